"""Damaged and forged indexes: a clean CorruptIndexError or the right answer, never a crash, a hang
or a wrong answer given as right.

"Forged" means damaged and then given valid checksums again, so that only the Cython core's own
bounds checks stand between the damage and the memory: there a wrong answer is possible (nothing
can tell), but no crash, no endless walk, no other error than CorruptIndexError.
"""
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib

import pytest

import fmindex
from fmindex import CorruptIndexError, format
from fmindex.corpus import CRC, HEAD

HPC_2K = "loghub-2k/HPC_2k.log"


def forge_checksums(data: bytearray) -> bytearray:
    """Recompute every checksum of an ``.fmi`` file (tables, shard headers, documents, corpus head)."""
    _, _, _, meta_len = HEAD.unpack_from(data, 0)
    end = HEAD.size + meta_len
    try:
        meta = json.loads(bytes(data[HEAD.size:end]))
        entries, docs = meta["shards"], meta["docs"]
    except (ValueError, KeyError, TypeError):
        entries, docs = [], None
    for entry in entries if isinstance(entries, list) else []:
        try:
            offset, length = int(entry[0]), int(entry[1])
            header_len = struct.unpack_from("<I", data, offset + 12)[0]
            n_tables = struct.unpack_from("<H", data, offset + 10)[0]
        except (TypeError, ValueError, IndexError, struct.error):
            continue
        if header_len > length or offset + header_len > len(data):
            continue
        for number in range(n_tables):
            at = offset + format.HEADER.size + number * format.ENTRY.size
            if at + format.ENTRY.size > offset + header_len:
                break
            name, start, size, _ = format.ENTRY.unpack_from(data, at)
            if offset + start + size <= len(data):
                format.ENTRY.pack_into(data, at, name, start, size,
                                       zlib.crc32(data[offset + start: offset + start + size]))
        format.CRC.pack_into(data, offset + header_len - 4, zlib.crc32(data[offset: offset + header_len - 4]))
    if isinstance(docs, list) and len(docs) == 3 and all(isinstance(v, int) for v in docs):
        offset, count, _ = docs
        meta["docs"][2] = zlib.crc32(data[offset: offset + 8 * count])
        payload = json.dumps(meta, separators=(",", ":")).encode()
        if len(payload) == meta_len:
            data[HEAD.size:end] = payload
    if end + 4 <= len(data):
        CRC.pack_into(data, end, zlib.crc32(data[:end]))
    return data


def run_isolated(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a child Python, so that a crash is a failure and not the end of the tests."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def hpc_index(tmp_path, read_corpus):
    source = tmp_path / "t.log"
    source.write_bytes(read_corpus(HPC_2K)[:6000])
    fmindex.build(source, tmp_path / "t.fmi")
    return tmp_path / "t.fmi"


def test_damaged_stream_byte_is_an_error_not_a_crash(hpc_index, tmp_path):
    """Issue 1: one byte of the stream table flipped crashed Core._search (a > b in _rank_pair)."""
    data = bytearray(hpc_index.read_bytes())
    data[1622] ^= 0xF9
    for name, blob in (("bad.fmi", data), ("forged.fmi", forge_checksums(bytearray(data)))):
        (tmp_path / name).write_bytes(blob)
        result = run_isolated(f"""
            import fmindex
            try:
                print(fmindex.open({str(tmp_path / name)!r}).count(b"node"))
            except fmindex.CorruptIndexError as error:
                print("corrupt", error)
            """)
        assert result.returncode == 0, (name, result.returncode, result.stderr[-2000:])
    assert "corrupt" in result.stdout  # forged: the core saw the damage itself


def test_damaged_ncounts_locate_stops_at_its_walk_bound(hpc_index, tmp_path):
    """Issue 2: a flipped byte of ncounts made locate walk for a minute and answer wrongly."""
    data = bytearray(hpc_index.read_bytes())
    at = _table_offset(data, hpc_index, "ncounts") + 8 * 5 + 1
    data[at] ^= 0x40
    forged = tmp_path / "forged.fmi"
    forged.write_bytes(forge_checksums(data))
    with fmindex.open(forged) as corpus:
        started = time.perf_counter()
        with pytest.raises(CorruptIndexError):
            for pattern in (b"node", b"state_change", b"unavailable", b"1"):
                corpus.locate(pattern)
        assert time.perf_counter() - started < 5


def _shard_span(path):
    meta = _meta(path.read_bytes())
    return meta["shards"][0][0], meta["shards"][0][1]


def _meta(data: bytes) -> dict:
    _, _, _, meta_len = HEAD.unpack_from(data, 0)
    return json.loads(data[HEAD.size: HEAD.size + meta_len])


def _table_offset(data, path, table: str) -> int:
    offset, _ = _shard_span(path)
    number = list(format.TABLES).index(table)
    _, start, _, _ = format.ENTRY.unpack_from(data, offset + format.HEADER.size + number * format.ENTRY.size)
    return offset + start


def test_locate_walk_is_bounded_by_the_layout():
    """With line anchors a walk is at most a line long; without, at most the text."""
    text = b"".join(b"event %d happened\n" % i for i in range(300))
    anchored = fmindex.FMIndex.build(text, sa_rate=4096, line_anchors=True)
    assert 20 <= anchored._core.max_walk < 64
    plain = fmindex.FMIndex.build(text, sa_rate=4096, line_anchors=False)
    assert plain._core.max_walk == len(text)


FUZZ = """
    import mmap, sys, fmindex
    from fmindex.corpus import _open_fmi

    def in_memory(data):
        buffer = mmap.mmap(-1, len(data))
        buffer.write(data)
        return buffer

    from tests.test_fmindex_damage import forge_checksums
    path, forged, stride = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
    good = bytearray(open(path, "rb").read())
    patterns = [b"node", b"event 7", b"\\n", b"happened\\nevent 1", b"zz", b"e"]
    with fmindex.open(path) as corpus:
        expected = [(corpus.count(p), corpus.locate(p).tolist()) for p in patterns]
        text = corpus.extract(0, len(corpus))
        lines = corpus.lines_of(range(0, len(text), 7)).tolist()
    wrong = []
    for offset in range(0, len(good), stride):
        data = bytearray(good)
        data[offset] ^= 0xA5
        if forged:
            data = forge_checksums(data)
        try:
            with _open_fmi(path, in_memory(data)) as corpus:  # what fmindex.open does, without a file
                answers = [(corpus.count(p), corpus.locate(p).tolist()) for p in patterns]
                got_text, got_lines = corpus.extract(0, len(corpus)), corpus.lines_of(range(0, len(text), 7)).tolist()
                hits = [h.line for h in corpus.hits(b"event 1")]
        except fmindex.CorruptIndexError:
            continue
        if not forged and (answers != expected or got_text != text or got_lines != lines):
            wrong.append(offset)
    print("wrong", wrong)
"""


@pytest.fixture
def small_index(tmp_path):
    source = tmp_path / "small.log"
    source.write_bytes(b"".join(b"event %d happened on node %d\n" % (i, i % 5) for i in range(16)))
    fmindex.build(source, tmp_path / "small.fmi", shard_size=256)
    return tmp_path / "small.fmi"


@pytest.mark.parametrize("forged,stride", [(False, 1), (True, 3)], ids=["damaged", "forged"])
def test_every_byte_damaged(small_index, forged, stride):
    """Issue 3: each byte of a small index damaged in turn: a clean error or the right answer
    (a forged one: no crash, no hang, no other error). In a child process: a crash fails the test."""
    size = small_index.stat().st_size
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(FUZZ), str(small_index), str(int(forged)), str(stride)],
                            capture_output=True, text=True, timeout=600,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, (result.returncode, result.stderr[-3000:])
    assert result.stdout.strip() == "wrong []", (size, result.stdout[-2000:])


def test_forged_meta_types_are_corrupt_index_errors(small_index):
    """Issue 8: a wrong type in the JSON meta, with a valid checksum, is CorruptIndexError, not TypeError."""
    data = small_index.read_bytes()
    meta = _meta(data)
    changes = [("kind", 3), ("names", 7), ("shards", [["0", 1, 2, 3]]), ("shards", 5), ("docs", 1),
               ("shards", [[True, 1, 2, 3]]), ("kind", "files"), ("shards", meta["shards"][:1] * 2)]
    meta_len = HEAD.unpack_from(data, 0)[3]
    for key, value in changes:
        payload = json.dumps(dict(meta, **{key: value}), separators=(",", ":")).encode()
        assert len(payload) <= meta_len, key
        head = HEAD.pack(b"FMICORP\x00", 1, 0, meta_len) + payload.ljust(meta_len)  # JSON allows the spaces
        small_index.write_bytes(head + CRC.pack(zlib.crc32(head)) + data[len(head) + 4:])
        with pytest.raises(CorruptIndexError):
            fmindex.open(small_index).count(b"event")
