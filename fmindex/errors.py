"""Errors of the FM-index; the ``fmsearch`` CLI prints them as one line."""
from logzip.errors import CorruptArchiveError, LogzipError


class CorruptIndexError(CorruptArchiveError):
    """An index file or shard is truncated, damaged, or not an FM-index at all."""


class PatternError(LogzipError, ValueError):
    """A search pattern cannot be searched (empty, longer than the text, bad escapes)."""
