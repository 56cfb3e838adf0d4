"""Exceptions raised by logzip; the CLI prints them as one line and exits non-zero."""


class LogzipError(Exception):
    """Base class of every error logzip raises on purpose."""


class CorruptArchiveError(LogzipError, ValueError):
    """The archive is truncated, damaged, or not a logzip archive at all."""


class TruncatedArchiveError(CorruptArchiveError):
    """The archive ends too soon: a writer still at work, or one that died (its last member torn)."""


class FormatError(LogzipError, ValueError):
    """A header format string (Loghub syntax) cannot be used."""


class NoIndexError(LogzipError):
    """The archive (or one of its members) carries no FM-index (made without ``--index``)."""


class MissingDependencyError(LogzipError, ImportError):
    """An optional dependency is not installed (Dask for :mod:`logzip.dask`)."""
