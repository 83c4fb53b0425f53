"""File-system helpers for every results folder: atomic writes and output-folder checks.

A file is written to a hidden temporary sibling and moved into place with :func:`os.replace`,
so a reader (or a sweep resumed after ``kill -9``) sees either the old file or the complete new
one, never half of it. :func:`atomic_folder` does the same for a whole folder. Every file and
folder written gets the permissions the user's umask gives a newly created one.

:func:`check_out_folder` decides, before any work, whether ``--out`` may receive results: a new
or empty folder, or one whose marker (:mod:`sim.experiment.marker`) shows collectsim wrote it
for a compatible command and that holds nothing else. A symbolic link is followed: the results
go into the folder it points to and the link stays. Hidden staging folders that a killed writer
left behind (``.NAME.PID.XXXXXXXX.partial``) are removed by the next write into the same
parent, once their process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.config.loading import ScenarioError
from sim.experiment.marker import (
    MARKER_FILE,
    FolderKind,
    compatible,
    marker_text,
    read_marker,
    unexpected_entry,
    write_marker,
)


def current_umask() -> int:
    """The process's umask (read by setting it and putting it straight back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


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
        tmp.chmod(0o666 & ~current_umask())  # mkstemp creates owner-only files
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


def mark_folder(folder: Path, kind: FolderKind) -> None:
    """Create ``folder`` if needed and write its marker (a folder written in place: a sweep)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if read_marker(folder) is not kind:
        atomic_write_text(folder / MARKER_FILE, marker_text(kind))


def _writer_alive(temporary: Path) -> bool:
    """Whether the process named in a temporary file's name still runs (or, for a name
    without a process id, whether the file was touched within the last hour)."""
    parts = temporary.name.split(".")
    if len(parts) >= 5 and parts[-3].isdigit():
        return _running(int(parts[-3]))
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


# A staging or retired folder of atomic_folder: ".<name>.<pid>.<random>.partial" or ".old".
_STAGING = re.compile(r"^\..+\.(?P<pid>\d+)\.[A-Za-z0-9_]{8}\.(partial|old)$")


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def remove_stale_staging(parent: Path) -> list[Path]:
    """Delete the staging folders of killed writers in ``parent``; return those removed.

    Only hidden folders named by :func:`atomic_folder`'s pattern whose process no longer runs,
    and that are empty or carry a valid collectsim marker, are removed; anything else — a
    user's folder, a live writer's staging folder — is left alone.
    """
    removed = []
    with contextlib.suppress(OSError):
        for entry in Path(parent).iterdir():
            found = _STAGING.match(entry.name)
            if found is None or entry.is_symlink() or not entry.is_dir() \
                    or _running(int(found["pid"])):
                continue
            if any(entry.iterdir()) and read_marker(entry) is None:
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _sibling(out: Path, suffix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=suffix,
                                 dir=out.parent))


@contextlib.contextmanager
def atomic_folder(out: Path, kind: FolderKind) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``out``; rename it to ``out`` when the block ends.

    The staging folder carries the marker of ``kind`` from the start. An exception inside the
    block removes the staging folder and leaves ``out`` untouched. An existing ``out`` is
    replaced only by a complete new folder, and only if it still passes
    :func:`check_out_folder` at that moment (a folder that gained other files meanwhile is kept
    and the write fails with :class:`ScenarioError`). A symbolic link ``out`` is kept: the
    folder it points to is the one replaced.
    """
    out = _target(Path(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out.parent)
    staging = _sibling(out, ".partial")
    staging.chmod(0o777 & ~current_umask())
    try:
        write_marker(staging, kind)
        yield staging
        if out.exists():
            _check_contents(out, str(out), kind)
            retired = _sibling(out, ".old")
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


def _target(out: Path) -> Path:
    """``out`` with a symbolic link in its last part replaced by the path it points to."""
    if out.is_symlink():
        return out.resolve()
    return out


def _check_contents(out: Path, label: str, kind: FolderKind) -> None:
    """Refuse an existing non-empty ``out`` without a compatible marker or with other files."""
    try:
        if not any(out.iterdir()):
            return
        found = read_marker(out)
        if found is None:
            raise ScenarioError(label, "--out", f"exists and is not a collectsim results folder "
                                f"(no valid {MARKER_FILE}); name a new folder or empty it "
                                "yourself")
        if not compatible(found, kind):
            raise ScenarioError(label, "--out", f"holds the results of a collectsim {found}, "
                                f"which {kind} never replaces; name another folder")
        extra = unexpected_entry(out, kind)
    except OSError as exc:
        raise ScenarioError(label, "--out", f"cannot read this folder: {exc.strerror}") from None
    if extra is not None:
        raise ScenarioError(label, "--out", f"holds {extra!r}, which collectsim {kind} does not "
                            "write; move it away or name another folder")


def check_out_folder(out: Path, kind: FolderKind) -> Path:
    """Refuse an ``--out`` that cannot hold results or whose replacement would destroy data.

    Raises :class:`ScenarioError` before anything is written if ``out`` is a file, a symbolic
    link to nothing, the current folder or one containing it, an existing non-empty folder
    without a valid marker of a kind compatible with ``kind`` or holding anything that kind of
    folder does not write, or a place where nothing can be written. Parent folders are created
    as needed. Returns the folder to write: ``out``, or the folder a symbolic link points to.
    """
    out = Path(out)
    label = str(out)
    if out.is_symlink() and not out.exists():
        raise ScenarioError(label, "--out", "is a symbolic link to something that does not "
                            f"exist (-> {os.readlink(out)}); fix or remove the link")
    if out.exists() and not out.is_dir():
        raise ScenarioError(label, "--out", "exists and is not a folder")
    try:
        target = _target(out)
        resolved = out.resolve()
        here = Path.cwd().resolve()
    except (OSError, RuntimeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "symbolic link loop"
        raise ScenarioError(label, "--out", f"cannot use this folder: {reason}") from None
    if resolved == here or resolved in here.parents:
        raise ScenarioError(label, "--out", "is the current folder or contains it; "
                            "results replace the whole folder, so name a new one")
    if target.is_dir():
        _check_contents(target, label, kind)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".probe",
                                      dir=target.parent))
        probe.rmdir()
    except OSError as exc:
        raise ScenarioError(label, "--out", f"cannot write here: {exc.strerror}") from None
    return target
