"""FM-index: count, locate and extract any byte string of a corpus without decompressing it.

    import fmindex
    index = fmindex.FMIndex.build(b"some text")       # one shard, in memory
    index.count(b"me"), index.locate(b"me"), index.extract(0, 4)
    corpus = fmindex.open("logs.fmi")                  # or an indexed .logz archive
"""
from .errors import CorruptIndexError, PatternError
from .index import FMIndex, build_shard

__all__ = ["FMIndex", "build_shard", "CorruptIndexError", "PatternError"]
