"""Errors of the FM-index; the ``fmsearch`` CLI prints them as one line.

``fmindex`` is a library of its own: its errors derive from :class:`FMIndexError`,
and from ``ValueError`` where the caller gave something unusable.
"""


class FMIndexError(Exception):
    """Base class of every error fmindex raises on purpose."""


class CorruptIndexError(FMIndexError, ValueError):
    """An index file or shard is truncated, damaged, or not an FM-index at all."""


class PatternError(FMIndexError, ValueError):
    """A search pattern cannot be searched (empty, longer than the text, bad escapes)."""


class IndexClosedError(FMIndexError, ValueError):
    """A query on a corpus after its close()."""


class OutputExistsError(FMIndexError, FileExistsError):
    """``build`` would replace an existing file without ``overwrite=True``."""
