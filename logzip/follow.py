"""Follow a growing archive as ``tail -f`` follows a log: blocks are yielded as writers
flush them, across the members appended later.

The archive is read through a file that waits for the bytes not written yet instead of
ending, so the ordinary reader (:func:`logzip.file.iter_decompressed`, every checksum
checked) serves unchanged: a block is yielded once it is whole on disk.
"""
import builtins
import os
import time
from typing import Iterator, Optional

from .errors import CorruptArchiveError
from .file import iter_decompressed


class _Idle(Exception):
    """No byte came for the idle time the caller allowed."""


class _GrowingFile:
    """A read-only, unseekable file whose reads wait (polling) until the bytes asked for exist."""

    def __init__(self, path, poll: float, idle: Optional[float]):
        self._file = builtins.open(path, "rb")
        self._poll, self._idle = poll, idle

    def seekable(self) -> bool:
        return False

    def read(self, size: int) -> bytes:
        pieces, wanted, waited_since = [], size, time.monotonic()
        while wanted > 0:
            piece = self._file.read(wanted)
            if piece:
                pieces.append(piece)
                wanted -= len(piece)
                waited_since = time.monotonic()
                continue
            if os.fstat(self._file.fileno()).st_size < self._file.tell():
                raise CorruptArchiveError("the archive was cut short while it was followed")
            if self._idle is not None and time.monotonic() - waited_since >= self._idle:
                raise _Idle
            time.sleep(self._poll)
        return b"".join(pieces)

    def close(self) -> None:
        self._file.close()


def follow(path, poll: float = 0.2, idle: Optional[float] = None) -> Iterator[bytes]:
    """Yield the decompressed bytes of the archive at ``path``, a block at a time, from its
    start and then as blocks are written (``LogzipFile.flush``, ``logzip compress
    --flush-interval``) or members appended, checking every block; the file is polled
    every ``poll`` seconds. Runs until the caller stops (or, with ``idle``, until no byte
    came for that many seconds). Damage raises CorruptArchiveError, as in any reader."""
    growing = _GrowingFile(path, poll, idle)
    try:
        yield from iter_decompressed(growing)
    except _Idle:
        return
    finally:
        growing.close()
