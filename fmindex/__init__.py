"""FM-index: count, locate and extract any byte string of a corpus without decompressing it.

    import fmindex
    index = fmindex.FMIndex.build(b"some text")      # one shard, in memory
    index.count(b"me"), index.locate(b"me"), index.extract(0, 4)
    fmindex.build("app.log", "app.fmi")               # a file, a folder, a JSONL file
    with fmindex.open("app.fmi") as corpus:           # or an indexed .logz archive
        corpus.count(b"ERROR"), corpus.hits(b"ERROR", limit=10)
        for hit in corpus.iter_hits(b"ERROR"):         # every one, in text order, in bounded memory
            ...
"""
from .corpus import Corpus, Hit, build, open
from .errors import CorruptIndexError, IndexClosedError, OutputExistsError, PatternError
from .index import FMIndex, build_shard

__all__ = ["FMIndex", "Corpus", "Hit", "build", "build_shard", "open", "CorruptIndexError", "IndexClosedError",
           "OutputExistsError", "PatternError"]
