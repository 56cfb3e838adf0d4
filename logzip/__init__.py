"""logzip: lossless log compression that learns the templates of the lines.

    >>> import logzip
    >>> archive = logzip.compress(b"took 3 ms\\ntook 15 ms\\n")
    >>> logzip.decompress(archive)
    b'took 3 ms\\ntook 15 ms\\n'

``logzip.open(path, "wb")`` streams into an archive, ``logzip.open(path, "rb")``
(or ``"rt"``) reads it back. See :mod:`logzip.pipeline` for the parameters.
"""
from .errors import CorruptArchiveError, FormatError, LogzipError
from .file import LogzipFile, compress, decompress, open
from .pipeline import CompressionParameters

__version__ = "0.1.0"

__all__ = [
    "compress", "decompress", "open", "LogzipFile", "CompressionParameters",
    "LogzipError", "CorruptArchiveError", "FormatError",
]
