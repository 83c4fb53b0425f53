"""Another revision of the package, checked out and installed in its own environment, and
timed replications run in a separate process of either revision.

``collectsim bench --against REV`` needs the model of another commit running beside this one.
The commit is taken from the git repository this package is installed from and cached under
the user's cache folder, keyed by its full hash::

    <cache>/revisions/<commit>/source/   the commit's files (``git archive``)
    <cache>/revisions/<commit>/venv/     a virtual environment with ``pip install -e source``
    <cache>/revisions/<commit>/ready     written last: both are complete

A folder marked ready is reused as it is; one that is not (an interrupted build) has its
environment built again. Every command goes through a :data:`Runner`, so the steps can be
followed without running git, venv or pip.

Timed replications run :mod:`sim.bench.timer`'s source with ``python -c`` in the working
directory that holds the revision's ``sim`` package, which Python puts first on the import
path: the other revision's code is reached only through its own public seam, and nothing of
this revision is imported there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.bench import timer

CURRENT_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding this revision's ``sim`` package (and its ``scenarios``)."""
TIMER_SOURCE = Path(timer.__file__).read_text(encoding="utf-8")

Runner = Callable[[Sequence[str], Path | None], str]
"""Runs a command in a working directory (``None``: this one) and returns its standard
output; raises :class:`CommandError` if it fails."""


class CommandError(RuntimeError):
    """A command of the benchmark (git, venv, pip, a timed run) failed."""

    def __init__(self, command: Sequence[str], status: int, detail: str) -> None:
        self.command, self.status, self.detail = list(command), status, detail
        shown = " ".join(command[:4]) + (" …" if len(command) > 4 else "")
        super().__init__(f"{shown} exited with status {status}: {detail}")


def run_command(command: Sequence[str], cwd: Path | None = None) -> str:
    """Run ``command`` (without ``PYTHONPATH``, so a Python finds only its own packages and
    the working directory's) and return its standard output; :class:`CommandError` with the
    last line of its error output if it fails."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONSAFEPATH", "PYTHONHOME")}
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no error output)"]
        raise CommandError(command, done.returncode, lines[-1])
    return done.stdout


def cache_root() -> Path:
    """Where checked-out revisions are kept: ``revisions`` in the user's cache folder for
    collectsim (``$XDG_CACHE_HOME/collectsim`` or ``~/.cache/collectsim`` on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("collectsim") / "revisions"


@dataclass(frozen=True)
class Checkout:
    """One revision in the cache: its files, its environment and the marker of both."""

    commit: str
    folder: Path

    @property
    def source(self) -> Path:
        return self.folder / "source"

    @property
    def venv(self) -> Path:
        return self.folder / "venv"

    @property
    def python(self) -> Path:
        scripts = "Scripts" if sys.platform == "win32" else "bin"
        return self.venv / scripts / ("python.exe" if sys.platform == "win32" else "python")

    @property
    def marker(self) -> Path:
        return self.folder / "ready"

    @property
    def baseline(self) -> Path:
        return self.source / "scenarios" / "baseline.toml"

    @property
    def ready(self) -> bool:
        return self.marker.is_file() and self.python.exists()


def package_repository(runner: Runner = run_command) -> Path:
    """The top folder of the git repository (or worktree) this package is installed from."""
    return Path(runner(["git", "-C", str(CURRENT_ROOT), "rev-parse", "--show-toplevel"],
                       None).strip())


def resolve_commit(repository: Path, revision: str, runner: Runner = run_command) -> str:
    """The full hash of the commit ``revision`` names in ``repository``."""
    return runner(["git", "-C", str(repository), "rev-parse", "--verify", "--quiet",
                   f"{revision}^{{commit}}"], None).strip()


def describe_current(runner: Runner = run_command) -> str:
    """This revision's commit hash, with a note if the installed files have changes not
    committed (what is timed is the files, not the commit)."""
    commit = runner(["git", "-C", str(CURRENT_ROOT), "rev-parse", "HEAD"], None).strip()
    changed = runner(["git", "-C", str(CURRENT_ROOT), "status", "--porcelain",
                      "--untracked-files=no"], None).strip()
    return commit + (" with uncommitted changes" if changed else "")


def prepare(revision: str, *, repository: Path, cache: Path, runner: Runner = run_command,
            python: str = sys.executable, note: Callable[[str], None] = print
            ) -> Checkout:
    """The revision's checkout and environment in ``cache``, made (and announced through
    ``note``) unless already there."""
    commit = resolve_commit(repository, revision, runner)
    checkout = Checkout(commit, cache / commit)
    if checkout.ready:
        return checkout
    note(f"preparing {commit[:12]} in {checkout.folder} (its files and a virtual environment; "
         "once per commit)")
    checkout.folder.mkdir(parents=True, exist_ok=True)
    if not checkout.source.is_dir():
        extract(repository, commit, checkout, runner)
    shutil.rmtree(checkout.venv, ignore_errors=True)
    runner([python, "-m", "venv", str(checkout.venv)], None)
    runner([str(checkout.python), "-m", "pip", "install", "--quiet", "-e",
            str(checkout.source)], None)
    checkout.marker.write_text(commit + "\n", encoding="utf-8")
    return checkout


def extract(repository: Path, commit: str, checkout: Checkout, runner: Runner) -> None:
    """The commit's files into ``checkout.source``, whole or not at all (unpacked beside it
    and renamed into place)."""
    archive = checkout.folder / "source.tar"
    partial = checkout.folder / "source.partial"
    shutil.rmtree(partial, ignore_errors=True)
    runner(["git", "-C", str(repository), "archive", "--format=tar", "-o", str(archive),
            commit], None)
    with tarfile.open(archive) as tar:
        tar.extractall(partial, filter="data")
    archive.unlink()
    partial.rename(checkout.source)


def timer_command(python: Path | None, request: dict[str, Any]) -> list[str]:
    """The command that times one replication as ``request`` asks (:func:`timer.main`) with
    ``python`` (this interpreter if ``None``)."""
    return [str(python or sys.executable), "-c", TIMER_SOURCE, json.dumps(request)]


def run_timer(python: Path | None, root: Path, request: dict[str, Any],
              runner: Runner = run_command) -> dict[str, Any]:
    """Time one replication in a new process of ``python`` working in ``root`` (the folder
    holding the revision's ``sim``); its figures."""
    figures: dict[str, Any] = json.loads(runner(timer_command(python, request), root))
    return figures
