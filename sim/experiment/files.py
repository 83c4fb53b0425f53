"""Small file-system helpers for experiment outputs: atomic writes and output-folder checks.

A file is written to a hidden temporary sibling and moved into place with :func:`os.replace`,
so a reader (or a sweep resumed after ``kill -9``) sees either the old file or the complete new
one, never half of it. :func:`atomic_folder` does the same for a whole folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.scenario import ScenarioError


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it to ``path``."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def remove_temporaries(folder: Path) -> None:
    """Delete temporary files a killed writer left in ``folder`` (hidden ``*.tmp`` files)."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
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


def check_out_folder(out: Path) -> None:
    """Refuse an output path that exists as a file or whose nearest existing parent is not a
    folder; raises :class:`ScenarioError` before anything is written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError(str(out), "--out", "exists and is not a folder")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ScenarioError(str(out), "--out", "its parent is not a folder")
