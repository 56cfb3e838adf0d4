"""logzip: lossless log compression that learns the templates of the lines.

    >>> import logzip
    >>> archive = logzip.compress(b"took 3 ms\\ntook 15 ms\\n")
    >>> logzip.decompress(archive)
    b'took 3 ms\\ntook 15 ms\\n'

``logzip.open(path, "wb")`` streams into an archive, ``logzip.open(path, "rb")``
(or ``"rt"``) reads it back, ``"ab"`` appends a member; ``logzip.follow(path)`` yields
the blocks of a growing archive as they are flushed; ``logzip.open_input(path)`` reads a
log compressed by gzip, zstd, xz or bzip2 (by its magic bytes) decompressed. See :mod:`logzip.pipeline` for the parameters.
"""
from .errors import CorruptArchiveError, FormatError, LogzipError
from .file import LogzipFile, compress, decompress, open
from .follow import follow
from .fsspec_compression import register_when_imported as _register_with_fsspec
from .inputs import open_input
from .pipeline import CompressionParameters

_register_with_fsspec()

__version__ = "0.1.0"

__all__ = [
    "compress", "decompress", "open", "follow", "open_input", "LogzipFile", "CompressionParameters",
    "LogzipError", "CorruptArchiveError", "FormatError",
]
