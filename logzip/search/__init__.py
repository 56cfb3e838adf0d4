"""Search in archives and indexes: one ``open`` for every kind ``fmsearch`` answers on.

* an ``.fmi`` index (``fmsearch build``): an :class:`fmindex.Corpus`;
* a ``.logz`` archive made with ``--index``: the FM-index shards of its blocks, read in place
  as an :class:`fmindex.Corpus` (the fast tier, microsecond counts).
"""
import builtins
import os

import fmindex
from fmindex.corpus import Section, open_sections

from ..container import MAGIC, iter_index_sections


def open(path):  # noqa: A001 - like gzip.open
    """Open what ``path`` holds for searching: an archive or an index."""
    path = os.fspath(path)
    with builtins.open(path, "rb") as fileobj:
        magic = fileobj.read(len(MAGIC))
    if magic == MAGIC:
        return open_sections(path, _sections(path))
    return fmindex.open(path)


def _sections(path):
    for section in iter_index_sections(path):
        if section.length:
            yield Section(section.offset, section.length, section.raw_offset, section.first_line,
                          f"block {section.block}")
