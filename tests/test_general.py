"""Blocks where templates do not pay go whole through the general coder that suits them."""
import bz2
import io
import lzma
import random

import pytest

import logzip
from logzip.codec import digits, general
from logzip.codec.digits import MIN_RUN
from logzip.container import ArchiveReader


def payload_kinds(archive: bytes) -> list:
    return [payload[:1] for _, payload in ArchiveReader(io.BytesIO(archive)).blocks()]


@pytest.mark.parametrize("relpath", ["text/alice29.txt.zst", "text/html.zst", "json-logs/aws-cloudtrail.jsonl.zst",
                                     "ci-logs/mozilla/mochitest-browser-chrome_cf3_pass_errorsummary.log.zst",
                                     "ci-logs/mozilla/plain-chunked_errorsummary.log.zst"])
def test_text_is_never_larger_than_xz(relpath, read_corpus):
    """English prose (bzip2's), markup, a JSON log too small for its templates to pay, logs of
    200 bytes and 1.5 kB: no larger than what ``xz -9e`` makes of them, container included."""
    data = read_corpus(relpath)
    archive = logzip.compress(data)
    assert logzip.decompress(archive) == data
    assert len(archive) <= len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    assert payload_kinds(archive)[0] in general.KINDS


def test_prose_goes_to_bzip2_and_markup_to_lzma(read_corpus):
    assert payload_kinds(logzip.compress(read_corpus("text/alice29.txt.zst"))) == [general.BZIP2]
    assert payload_kinds(logzip.compress(read_corpus("text/html.zst"))) == [general.LZMA]


def test_logs_keep_their_streams(read_corpus, loghub_2k_systems):
    data = read_corpus("loghub-2k/HDFS_2k.log")
    assert payload_kinds(logzip.compress(data, format=loghub_2k_systems["HDFS"])) == [b"S"]


@pytest.mark.parametrize("kind", general.KINDS)
def test_every_coder_round_trips_within_its_cap(kind):
    data = b"".join(b"line %d of a text that repeats\r\n" % (i % 97) for i in range(3000)) + b"\0\xff no end"
    payload = general.compress(kind, data, 19)
    assert general.decompress(kind, payload[1:], len(data)) == data
    with pytest.raises(logzip.CorruptArchiveError):
        general.decompress(kind, payload[1:], len(data) - 1)


def test_digit_runs_pack_below_byte_coders_and_survive_damage():
    """1000-digit numbers: packed at 3.33 bits a digit, below what bzip2 and xz -9e make (3.4-3.5);
    runs at the start and end, of MIN_RUN-1 digits (left in the text), and any count of digits."""
    rng = random.Random(3)
    lines = [b"%d n=%d" % (i, rng.randrange(10 ** 999, 10 ** 1000)) for i in range(300)]
    data = b"0" * 40 + b"\n".join(lines) + b" 1234567890123456789012345678901 " + b"7" * 35
    payload = general.compress(general.DIGITS, data, 19)
    assert general.decompress(general.DIGITS, payload[1:], len(data)) == data
    assert len(payload) < 0.97 * min(len(bz2.compress(data, 9)), len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)))
    assert general._promising_coder(data, float("inf")) == (general.DIGITS, False)
    for n_digits in range(MIN_RUN, MIN_RUN + 13):
        assert digits.unpack(digits.pack(b"9" * n_digits), n_digits) == b"9" * n_digits
    damaged = bytearray(payload)
    packed_at = 1 + 8 + int.from_bytes(payload[5:9], "little")   # kind, u32 n_runs, u32 len(places)
    damaged[packed_at:packed_at + 5] = b"\xff" * 5   # triples of 1023
    with pytest.raises(logzip.CorruptArchiveError):
        general.decompress(general.DIGITS, bytes(damaged[1:]), len(data))
    with pytest.raises(logzip.CorruptArchiveError):
        general.decompress(general.DIGITS, payload[1:40], len(data))
