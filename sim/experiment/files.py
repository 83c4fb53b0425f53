"""File-system helpers for every results folder: atomic writes and output-folder checks.

A file is written to a hidden temporary sibling and moved into place with :func:`os.replace`,
so a reader (or a sweep resumed after ``kill -9``) sees either the old file or the complete new
one, never half of it. :func:`atomic_folder` does the same for a whole folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.config.loading import ScenarioError


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it to ``path``.

    The temporary file's name carries this process's id (``.<name>.<pid>.<random>.tmp``), so
    that :func:`remove_temporaries` never deletes a file another live process is writing.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def _writer_alive(temporary: Path) -> bool:
    """Whether the process named in a temporary file's name still runs (or, for a name
    without a process id, whether the file was touched within the last hour)."""
    parts = temporary.name.split(".")
    if len(parts) >= 5 and parts[-3].isdigit():
        try:
            os.kill(int(parts[-3]), 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True  # it exists but belongs to someone else
        return True
    try:
        return time.time() - temporary.stat().st_mtime < 3600
    except OSError:
        return False


def remove_temporaries(folder: Path) -> None:
    """Delete temporary files that killed writers left in ``folder`` (hidden ``*.tmp`` files
    whose process is gone); those of a process still running are left alone."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            if not _writer_alive(leftover):
                with contextlib.suppress(OSError):
                    leftover.unlink()


@contextlib.contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``out``; rename it to ``out`` when the block ends.

    An exception inside the block removes the staging folder and leaves ``out`` untouched. An
    existing ``out`` is replaced only by a complete new folder.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        yield staging
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old",
                                            dir=out.parent))
            retired.rmdir()
            os.replace(out, retired)
            try:
                os.replace(staging, out)
            except BaseException:
                os.replace(retired, out)
                raise
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


RESULT_MARKERS = ("manifest.json", "runs.sqlite")


def check_out_folder(out: Path) -> None:
    """Refuse an ``--out`` that cannot hold results or whose replacement would destroy data.

    Raises :class:`ScenarioError` before anything is written if ``out`` is a file, the current
    folder or one containing it, an existing non-empty folder that is not a collectsim results
    folder (no ``manifest.json`` or ``runs.sqlite``), or a place where nothing can be written.
    Parent folders are created as needed.
    """
    out = Path(out)
    label = str(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(label, "--out", "exists and is not a folder")
    try:
        target = out.resolve()
        here = Path.cwd().resolve()
    except OSError as exc:
        raise ScenarioError(label, "--out", f"cannot use this folder: {exc.strerror}") from None
    if target == here or target in here.parents:
        raise ScenarioError(label, "--out", "is the current folder or contains it; "
                            "results replace the whole folder, so name a new one")
    if out.is_dir() and any(out.iterdir()) \
            and not any((out / marker).is_file() for marker in RESULT_MARKERS):
        raise ScenarioError(label, "--out", "exists and is not a collectsim results folder "
                            "(no manifest.json); name a new folder or remove it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".probe", dir=out.parent))
        probe.rmdir()
    except OSError as exc:
        raise ScenarioError(label, "--out", f"cannot write here: {exc.strerror}") from None
