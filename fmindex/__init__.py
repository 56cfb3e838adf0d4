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
from .errors import CorruptIndexError, IndexClosedError, OutputExistsError, PatternError

# The index and its numpy are imported on first use (PEP 562), so that a program that only
# catches fmindex's errors (the command-line tools, on every start) does not pay for them.
_LAZY = {"Corpus": "corpus", "Hit": "corpus", "build": "corpus", "open": "corpus",
         "FMIndex": "index", "build_shard": "index"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'fmindex' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value

__all__ = ["FMIndex", "Corpus", "Hit", "build", "build_shard", "open", "CorruptIndexError", "IndexClosedError",
           "OutputExistsError", "PatternError"]
