"""logzip.search: searching archives, on both tiers, against a scan of the original text."""
import numpy as np

import logzip
import logzip.search
from tests.test_fmindex import line_starts, occurrences


def test_indexed_archive_is_a_corpus(tmp_path):
    text = b"".join(b"2024-01-%02d node%d ERROR disk %d full\n" % (i % 28 + 1, i % 5, i) for i in range(4000))
    path = tmp_path / "a.logz"
    path.write_bytes(logzip.compress(text, index=True, block_size=40_000))
    with logzip.search.open(path) as corpus:
        assert len(corpus.shards) > 1
        assert len(corpus) == len(text)
        for pattern in (b"ERROR", b"node3 ERROR disk 12", b"4 node"):
            assert corpus.count(pattern) == len(occurrences(text, pattern))
        starts = line_starts(text)
        for hit in corpus.hits(b"disk 3999 "):
            assert text[hit.offset:hit.offset + 10] == b"disk 3999 "
            assert hit.line == np.searchsorted(starts, hit.offset, side="right")
        assert corpus.line(1234) == text.split(b"\n")[1234] + b"\n"


def test_concatenated_indexed_archives(tmp_path):
    first = b"".join(b"alpha %d ok\n" % i for i in range(3000))
    second = b"".join(b"beta %d ok\n" % i for i in range(2000))
    path = tmp_path / "both.logz"
    path.write_bytes(logzip.compress(first, index=True) + logzip.compress(second, index=True))
    text = first + second
    with logzip.search.open(path) as corpus:
        assert len(corpus) == len(text)
        for pattern in (b"alpha 2999", b"beta 1999 ok", b" ok\n"):
            assert corpus.count(pattern) == len(occurrences(text, pattern))
        hit, = corpus.hits(b"beta 7 ")
        assert text[hit.offset:hit.offset + 7] == b"beta 7 " and hit.line == 3008
