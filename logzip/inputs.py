"""Inputs that are compressed already (rotated logs: ``app.log.1.gz``), recognised by their
magic bytes, never by their name, and read decompressed.

gzip, zstd, xz and bzip2 are read as their own tools read them, concatenated members or
frames included; damage in them is a LogzipError, as damage in an archive is.
"""
import builtins
import bz2
import gzip
import lzma
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Optional, Tuple

import zstandard

from .errors import LogzipError


@dataclass(frozen=True)
class Compression:
    name: str
    magic: bytes
    suffixes: Tuple[str, ...]
    reader: Callable[[BinaryIO], BinaryIO]


COMPRESSIONS = (
    Compression("gzip", b"\x1f\x8b", (".gz",), lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    Compression("zstd", b"\x28\xb5\x2f\xfd", (".zst", ".zstd"),
                lambda raw: zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True,
                                                                       closefd=False)),
    Compression("xz", b"\xfd7zXZ\x00", (".xz",), lambda raw: lzma.LZMAFile(raw)),
    Compression("bzip2", b"BZh", (".bz2",), lambda raw: bz2.BZ2File(raw)),
)
_DECODER_ERRORS = (EOFError, lzma.LZMAError, zstandard.ZstdError, zlib.error, OSError)


def compression_of(raw: BinaryIO) -> Optional[Compression]:
    """The compression ``raw`` (a buffered binary stream, not consumed) starts with, if any."""
    head = raw.peek(max(len(kind.magic) for kind in COMPRESSIONS))
    return next((kind for kind in COMPRESSIONS if head.startswith(kind.magic)), None)


class _Decompressed:
    """The decompressed bytes of ``raw``; ``tell`` and ``fileno`` are the compressed file's
    (how far its reading went), and a decoder's complaint becomes one LogzipError."""

    def __init__(self, raw: BinaryIO, compression: Compression, close_raw: bool):
        self._raw, self.compression, self._close_raw = raw, compression, close_raw
        self._reader = compression.reader(raw)

    def read(self, size: int = -1) -> bytes:
        try:
            return self._reader.read(size)
        except _DECODER_ERRORS as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # the disk's error, not the data's
            raise LogzipError(f"damaged {self.compression.name} input: {error}") from None

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._reader.close()
        if self._close_raw:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def decompressed(raw: BinaryIO, close_raw: bool = False):
    """A reader of what ``raw`` holds: ``raw`` itself when it is not compressed."""
    compression = compression_of(raw)
    return raw if compression is None else _Decompressed(raw, compression, close_raw)


def open_input(path) -> BinaryIO:
    """Open the file at ``path`` to read its log, decompressed if it is compressed (gzip,
    zstd, xz, bzip2); use it as a context manager or close it."""
    return decompressed(builtins.open(path, "rb"), close_raw=True)


def archive_name(path: str, suffix: str, compression: Optional[Compression]) -> str:
    """``app.log.1.gz`` -> ``app.log.1.logz``: the compression's suffix, if the name has it,
    replaced by ``suffix``; otherwise ``suffix`` added."""
    for old in compression.suffixes if compression is not None else ():
        if path.endswith(old) and len(path) > len(old):
            return path[:-len(old)] + suffix
    return path + suffix
