"""Fuzz targets: damaged archives and indexes give the right answer or a clean error, nothing else.

A short run is part of the test suite; ``make fuzz`` runs them long (``LOGZIP_FUZZ_EXAMPLES``).
Each example damages a small valid archive or index (bytes flipped, cut, spliced) and
checks that decompressing, searching it in its streams, or querying the index either gives
exactly what the undamaged one gives or raises the library's error for damage.
"""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmindex
import logzip
import logzip.search
from corpora.generate import FORMATS, generate
from tests.test_fmindex import occurrences

EXAMPLES = int(os.environ.get("LOGZIP_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
TEXT = generate("syslog", 20_000, seed=11)
PATTERNS = [b"kernel", b"\n", TEXT[5000:5012], b"absent pattern"]
ARCHIVES = {
    "structured": logzip.compress(TEXT, format=FORMATS["syslog"], block_size=8_000),
    "indexed": logzip.compress(TEXT, block_size=8_000, index=True),
}


@st.composite
def damaged(draw, data: bytes):
    """``data`` with a few bytes changed, a piece cut out or repeated, or its end cut off."""
    data = bytearray(data)
    kind = draw(st.sampled_from(["flip", "cut", "repeat", "truncate"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    elif kind == "cut":
        del data[at:at + draw(st.integers(1, 64))]
    elif kind == "repeat":
        data[at:at] = data[at:at + draw(st.integers(1, 64))]
    else:
        del data[at:]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_damaged_archives_decompress_exactly_or_fail_cleanly(name):
    @FUZZ
    @given(data=damaged(ARCHIVES[name]))
    def run(data):
        try:
            restored = logzip.decompress(data)
        except logzip.CorruptArchiveError:
            return
        assert restored == TEXT    # damage that no checksum sees must not change a byte

    run()


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_damaged_archives_search_exactly_or_fail_cleanly(name, tmp_path):
    path = tmp_path / "fuzz.logz"
    expected = [len(occurrences(TEXT, p)) for p in PATTERNS]

    @FUZZ
    @given(data=damaged(ARCHIVES[name]))
    def run(data):
        path.write_bytes(data)
        try:
            with logzip.search.open(path, tier="streams") as corpus:
                counts = corpus.counts(PATTERNS)
        except (logzip.CorruptArchiveError, fmindex.CorruptIndexError):
            return
        assert counts == expected

    run()


def test_damaged_indexes_answer_exactly_or_fail_cleanly(tmp_path):
    source = tmp_path / "a.log"
    source.write_bytes(TEXT)
    fmindex.build(source, tmp_path / "a.fmi", shard_size=6_000)
    index = (tmp_path / "a.fmi").read_bytes()
    path = tmp_path / "fuzz.fmi"
    expected = [len(occurrences(TEXT, p)) for p in PATTERNS]

    @FUZZ
    @given(data=damaged(index))
    def run(data):
        path.write_bytes(data)
        try:
            with fmindex.open(path) as corpus:
                counts = [corpus.count(p) for p in PATTERNS]
                hits = corpus.locate(PATTERNS[2], limit=5)
        except fmindex.CorruptIndexError:
            return
        assert counts == expected
        assert hits.tolist() == occurrences(TEXT, PATTERNS[2])[:5]

    run()

