"""FM-index against brute force on the shared real corpora (skipped when they are absent)."""
import numpy as np
import pytest

from corpora.shared import corpora_dir
from fmindex import FMIndex

from .test_fmindex import line_starts, occurrences

ROOT = corpora_dir()
LOGHUB_2K = sorted(p.name for p in (ROOT / "loghub-2k").glob("*_2k.log")) if ROOT else []
SMALL = ["text/alice29.txt.zst", "text/urls.10K.zst", "ci-logs/mozilla/mochitest-fail.log.zst",
         "ci-logs/mozilla/plain-chunked_errorsummary_10_lines.log.zst"]


def sampled_patterns(text: bytes, seed: int, count: int = 40):
    """Substrings of 1 to 32 bytes at random places, and the same with one byte changed (mostly absent)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        length = int(rng.choice([1, 2, 4, 8, 16, 32]))
        start = int(rng.integers(0, max(1, len(text) - length)))
        pattern = text[start: start + length]
        yield pattern
        yield pattern[:-1] + bytes([(pattern[-1] + 1) % 256])


def check(text: bytes, seed: int, count: int = 40) -> FMIndex:
    index = FMIndex.build(text)
    for pattern in sampled_patterns(text, seed, count):
        expected = occurrences(text, pattern)
        assert index.count(pattern) == len(expected), pattern
        if len(expected) <= 2000:
            assert index.locate(pattern).tolist() == expected, pattern
    rng = np.random.default_rng(seed)
    for start in rng.integers(0, len(text), 20):
        assert index.extract(int(start), int(start) + 300) == text[start: start + 300]
    return index


@pytest.mark.parametrize("name", LOGHUB_2K)
def test_loghub_2k(name, read_corpus):
    text = read_corpus(f"loghub-2k/{name}")
    index = check(text, seed=len(name))
    starts = line_starts(text)
    assert index.n_lines == len(starts)
    offsets = np.arange(0, len(text), 997)
    assert index.lines_of(offsets).tolist() == (np.searchsorted(starts, offsets, side="right") - 1).tolist()


@pytest.mark.parametrize("relpath", SMALL)
def test_small_corpora(relpath, read_corpus):
    check(read_corpus(relpath), seed=len(relpath))


@pytest.mark.slow
def test_hpc_full_log(read_corpus):
    text = read_corpus("loghub-full/HPC.log.zst")
    index = check(text, seed=7, count=25)
    assert index.nbytes < 0.3 * len(text)
