"""Inputs that templates cannot help (corpora.pathological) come back byte for byte, and
the streams where zstd's high levels gain nothing are coded at the fast level."""
import random

import pytest
import zstandard

import logzip
from corpora.pathological import KINDS, pathological
from logzip.codec.columns import compress_stream

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
