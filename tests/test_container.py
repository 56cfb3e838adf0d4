"""The .logz container: blocks and checksums, truncation and damage are detected."""
import io
from pathlib import Path

import pytest

import logzip
import logzip.search
from corpora.shared import read_corpus
from logzip.container import ArchiveReader, ArchiveWriter, crc32, iter_index_sections, INDEX_ALIGNMENT
from logzip.errors import CorruptArchiveError, NoIndexError
from logzip.search.archive import StreamArchive
from tests.test_fmindex import occurrences
from tests.test_search import sample_patterns


def build_archive(blocks, indexed=False, meta=None):
    out = io.BytesIO()
    writer = ArchiveWriter(out, {"format": None} if meta is None else meta, indexed=indexed)
    for raw, payload, index in blocks:
        writer.write_block(len(raw), crc32(raw), raw.count(b"\n"), payload, index)
    writer.close()
    return out.getvalue()


BLOCKS = [(b"one\ntwo\n", b"payload-1", b"I" * 100), (b"three\n", b"payload-22", b"J" * 7)]


def read_all(data):
    reader = ArchiveReader(io.BytesIO(data))
    return [(block.raw_len, block.n_lines, payload) for block, payload in reader.blocks()], reader


def test_blocks_read_back_in_order_with_meta():
    blocks, reader = read_all(build_archive(BLOCKS, indexed=True))
    assert blocks == [(8, 2, b"payload-1"), (6, 1, b"payload-22")]
    assert reader.meta == {"format": None} and reader.indexed
    assert reader.end_record == {"n_blocks": 2, "raw_len": 14, "n_lines": 3}


def test_index_sections_are_aligned_and_hold_the_index(tmp_path):
    path = tmp_path / "a.logz"
    data = build_archive(BLOCKS, indexed=True)
    path.write_bytes(data)
    sections = list(iter_index_sections(path))
    assert [(s.first_line, s.raw_offset, s.raw_len) for s in sections] == [(0, 0, 8), (2, 8, 6)]
    for section, (_, _, index) in zip(sections, BLOCKS):
        assert section.offset % INDEX_ALIGNMENT == 0
        assert data[section.offset:section.offset + section.length] == index


def test_unindexed_archive_has_no_index_sections(tmp_path):
    path = tmp_path / "a.logz"
    path.write_bytes(build_archive(BLOCKS))
    with pytest.raises(NoIndexError, match="no index"):
        list(iter_index_sections(path))


def test_every_truncation_is_detected():
    data = build_archive(BLOCKS, indexed=True)
    for size in range(len(data)):
        with pytest.raises(CorruptArchiveError):
            read_all(data[:size])


def test_every_flipped_byte_is_detected():
    data = build_archive([(raw, payload, b"") for raw, payload, _ in BLOCKS])
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x41
        with pytest.raises(CorruptArchiveError):
            read_all(bytes(damaged))


def test_foreign_file_is_rejected():
    with pytest.raises(CorruptArchiveError, match="not a logzip archive"):
        read_all(b"\x1f\x8b\x08\x00 this is gzip")


DATA = Path(__file__).parent / "data"


def test_version_1_archives_still_decode_and_search(tmp_path):
    """Archives written before the compact records (version 1: a structured block, then a
    member of one plain block; an indexed one) decode, count and locate as they did."""
    text = read_corpus(DATA / "v1-syslog.log.zst")
    archive = DATA / "v1-syslog.logz"
    assert ArchiveReader(io.BytesIO(archive.read_bytes())).version == 1
    assert logzip.decompress(archive.read_bytes()) == text
    patterns = sample_patterns(text, 20, seed=1)
    with logzip.search.open(archive) as corpus:
        assert corpus.counts(patterns) == [len(occurrences(text, p)) for p in patterns]
    tail = text[text.rindex(b"2024-01-01 12:00:00 INFO started"):]
    with logzip.search.open(DATA / "v1-indexed.logz") as corpus:
        assert corpus.tier != StreamArchive.tier
        assert corpus.count(b"WARN odd") == tail.count(b"WARN odd") == 1
    assert logzip.decompress((DATA / "v1-indexed.logz").read_bytes()) == tail


def test_a_newer_version_is_one_clear_error():
    data = bytearray(build_archive(BLOCKS))
    data[4] = 3
    with pytest.raises(CorruptArchiveError, match="unsupported archive version 3 .*reads 1 and 2"):
        read_all(bytes(data))


def test_the_records_of_a_small_archive_cost_less_than_xz_container():
    """File header, block header and end record of a one-block archive without metadata: the
    .xz container spends 60 bytes on a small input (stream header and footer, block header,
    check, index)."""
    payload = b"x" * 100
    assert len(build_archive([(b"a line\n", payload, b"")], meta={})) - len(payload) <= 40
