"""Search in archives and indexes: one ``open`` for every kind ``fmsearch`` answers on.

Two tiers, one interface (that of :class:`fmindex.Corpus`):

* every ``.logz`` archive is searched in its compressed streams
  (:class:`~logzip.search.archive.StreamArchive`): nothing is added to the archive;
* an archive made with ``--index`` carries a full-text FM-index shard per block, read in
  place as an :class:`fmindex.Corpus` (the fast tier, microsecond counts);
* an ``.fmi`` index (``fmsearch build``) is an :class:`fmindex.Corpus`.
"""
import builtins
import os

import fmindex
from fmindex.corpus import Section, open_sections

from ..container import MAGIC, iter_index_sections
from ..errors import NoIndexError
from .archive import StreamArchive

__all__ = ["open", "StreamArchive", "FM_TIER"]

FM_TIER = "full-text FM-index (--index)"


def open(path, tier: str = "auto"):  # noqa: A001 - like gzip.open
    """Open what ``path`` holds for searching: an archive (``tier``: "auto" takes its FM-index
    when every member has one, "streams" never does) or an ``.fmi`` index."""
    path = os.fspath(path)
    with builtins.open(path, "rb") as fileobj:
        magic = fileobj.read(len(MAGIC))
    if magic != MAGIC:
        return fmindex.open(path)
    if tier == "auto":
        try:
            sections = list(_sections(path))
        except NoIndexError:
            pass
        else:
            corpus = open_sections(path, sections)
            corpus.tier = FM_TIER
            return corpus
    return StreamArchive(path)


def _sections(path):
    for section in iter_index_sections(path):
        if section.length:
            yield Section(section.offset, section.length, section.raw_offset, section.first_line,
                          f"block {section.block}")
