"""Inputs that templates cannot help (corpora.pathological) come back byte for byte, skip the
template miner where triage says so, and the streams where zstd's high levels gain nothing are
coded at the fast level."""
import io
import random
import tracemalloc

import pytest
import zstandard

import logzip
import logzip.search
from corpora.pathological import KINDS, pathological
from logzip.cluster import TemplateMiner
from logzip.codec import general
from logzip.codec.block import STRUCTURED, decode_block, encode_structured
from logzip.codec.columns import compress_stream
from logzip.codec.triage import templates_hopeless
from logzip.container import ArchiveReader

CASES = pathological(200_000)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_pathological_inputs_round_trip(name):
    data = CASES[name]
    assert len(data) >= 150_000
    assert logzip.decompress(logzip.compress(data)) == data
    assert logzip.decompress(logzip.compress(data + b"\r\nlast line without newline")) == data + b"\r\nlast line without newline"


def test_level_is_kept_where_it_pays_and_dropped_where_it_does_not():
    rng = random.Random(1)
    noise = rng.randbytes(400_000)
    log = b"".join(b"%d INFO worker %d took %d ms\n" % (i, rng.randrange(9), rng.randrange(999))
                   for i in range(20_000))
    fast, slow = zstandard.ZstdCompressor(level=3), zstandard.ZstdCompressor(level=19)
    assert compress_stream(noise, 19) == fast.compress(noise)
    assert compress_stream(log, 19) == slow.compress(log)
    assert len(slow.compress(log)) < 0.97 * len(fast.compress(log))
    assert zstandard.ZstdDecompressor().decompress(compress_stream(noise, 19)) == noise


def overlapping_count(data: bytes, pattern: bytes) -> int:
    count, start = 0, data.find(pattern)
    while start >= 0:
        count, start = count + 1, data.find(pattern, start + 1)
    return count


@pytest.mark.parametrize("name, kind", [("giant_line", general.ZSTD), ("random_tokens", general.ZSTD),
                                        ("many_tokens", general.BZIP2), ("long_numbers", general.DIGITS)])
def test_hopeless_blocks_skip_templates_and_stay_searchable(name, kind, tmp_path, monkeypatch):
    """Blocks that triage judges hopeless never reach the miner, go whole to the coder their
    sample favours (zstd's fast level where the data is entropy-bound), and are searched exactly."""
    data = CASES[name] + b"\r\n\0\xff last line\twithout  newline"
    assert templates_hopeless(data)
    monkeypatch.setattr(TemplateMiner, "fit", lambda *args: pytest.fail("templates learned"))
    archive = logzip.compress(data)
    assert [payload[:1] for _, payload in ArchiveReader(io.BytesIO(archive)).blocks()] == [kind]
    assert logzip.decompress(archive) == data
    path = tmp_path / "hopeless.logz"
    path.write_bytes(archive)
    patterns = [data[1000:1004], data[5000:5016], b"\r\n\0", b"newline", b"absent\x01pattern"]
    with logzip.search.open(str(path)) as searched:
        assert searched.counts(patterns) == [overlapping_count(data, p) for p in patterns]


def test_logs_and_verses_are_not_hopeless(read_corpus):
    for relpath in ("loghub-2k/HDFS_2k.log", "loghub-2k/Windows_2k.log", "loghub-2k/HealthApp_2k.log",
                    "json-logs/aws-cloudtrail.jsonl.zst", "text/kjv.txt.zst"):
        assert not templates_hopeless(read_corpus(relpath))


@pytest.mark.parametrize("relpath, kind", [("text/plrabn12.txt.zst", general.BZIP2),
                                           ("text/urls.10K.zst", general.LZMA)])
def test_prose_and_lists_skip_templates(relpath, kind, read_corpus, monkeypatch):
    """Lines that begin each their own way (prose, URLs) go to the general coder at once."""
    data = read_corpus(relpath)
    monkeypatch.setattr(TemplateMiner, "fit", lambda *args: pytest.fail("templates learned"))
    archive = logzip.compress(data)
    assert [payload[:1] for _, payload in ArchiveReader(io.BytesIO(archive)).blocks()] == [kind]
    assert logzip.decompress(archive) == data


@pytest.mark.parametrize("tail", [b"", b"x", b"\r\n"])
def test_a_structured_block_of_newlines_decodes_in_bounded_memory(tail):
    """Archives of version 1 hold typed-stream blocks of up to 32 MiB of newlines; rendering
    them line by line cost ~90 bytes a line (3 GB). Now under 32 bytes a line (1 GB for such a
    block): only newlines skip the rendering (17), the others render typed columns (26)."""
    raw = b"\n" * (1 << 19) + tail
    payload = STRUCTURED + encode_structured(raw)
    tracemalloc.start()
    try:
        assert decode_block(payload, len(raw)) == raw
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * len(raw)
