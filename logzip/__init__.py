"""logzip: lossless log compression that learns the templates of the lines.

    >>> import logzip
    >>> archive = logzip.compress(b"took 3 ms\\ntook 15 ms\\n")
    >>> logzip.decompress(archive)
    b'took 3 ms\\ntook 15 ms\\n'

``logzip.open(path, "wb")`` streams into an archive, ``logzip.open(path, "rb")``
(or ``"rt"``) reads it back. See :mod:`logzip.pipeline` for the parameters.
"""
from .errors import CorruptArchiveError, FormatError, LogzipError

__version__ = "0.1.0"
# Imported on first use (PEP 562): numpy and the codecs cost ~0.2 s, which a command
# that only prints its help or reads an error type should not pay.
_LAZY = {"compress": "file", "decompress": "file", "open": "file", "LogzipFile": "file",
         "CompressionParameters": "pipeline"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'logzip' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "compress", "decompress", "open", "LogzipFile", "CompressionParameters",
    "LogzipError", "CorruptArchiveError", "FormatError",
]
