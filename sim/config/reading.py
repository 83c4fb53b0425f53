"""Reading a file the user pointed at, safely: a regular file, read up to a size cap.

Every file collectsim reads on a user's behalf — scenario files and their ``extends`` parents,
experiment files, figures embedded in a report — comes through :func:`read_capped`. It refuses,
before reading a byte, anything that is not a regular file: a directory, a FIFO (which would
block the reader until someone writes to it), a character or block device (``/dev/zero`` never
ends, ``/dev/stdin`` waits for the terminal) or a socket. The file is opened with
``O_NONBLOCK``, so even a FIFO swapped in between the check and the open cannot hang the
reader, and checked again on the open descriptor. It then reads at most ``limit + 1`` bytes, so
an over-sized file is refused after reading just past the limit, whatever its real size.

With ``follow_symlinks=False`` a symbolic link is refused too (``O_NOFOLLOW``): a results
folder's figures must be the folder's own files, not links to files elsewhere.

Failures raise :class:`UnreadableFile`, whose text is a short phrase (``is a FIFO, not a
regular file``) for the caller to put in its one-line error or note.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

CHUNK_BYTES = 1 << 20

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


class UnreadableFile(Exception):
    """A file that was not read: missing, not a regular file, too large or unreadable."""

    def __init__(self, problem: str, *, missing: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.missing = missing  # nothing exists at the path (or a link points nowhere)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _refuse_unless_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"is {_kind(mode)}, not a regular file")


def read_capped(path: str | Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at ``path``, refused if it holds more than ``limit``."""
    try:
        status = os.stat(path, follow_symlinks=follow_symlinks)
    except FileNotFoundError:
        raise UnreadableFile("file not found", missing=True) from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    _refuse_unless_regular(status.st_mode)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    try:
        status = os.fstat(descriptor)
        _refuse_unless_regular(status.st_mode)
        if status.st_size > limit:
            raise UnreadableFile(f"file is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(CHUNK_BYTES, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    if size > limit:
        raise UnreadableFile(f"file is larger than {limit} bytes")
    return b"".join(chunks)
