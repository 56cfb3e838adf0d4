"""encode_table/decode_table: lossless on any bytes, typed encodings pay off, corrupt blobs raise."""
import contextlib
import itertools
import random

import numpy as np
import pytest
import zstandard
from hypothesis import given, settings, strategies as st

from logzip.codec.columns import (MAX_ROWS, decode_ints, decode_table, decode_table_columns, decode_tables,
                                  encode_ints, encode_table, encode_tables)
from logzip.codec.header import HeaderFormat
from tests.test_header import LOGHUB_FULL_FORMATS
from logzip.errors import CorruptArchiveError


def round_trip(columns, level=3):
    blob = encode_table(columns, level)
    assert decode_table(blob) == columns
    assert [column.flat().tolist() for column in decode_table_columns(blob)] == columns
    return blob


def tables(values):
    """Equal-length lists of columns drawn from `values`."""
    return st.integers(0, 4).flatmap(lambda n_columns: st.integers(0, 30).flatmap(
        lambda rows: st.lists(st.lists(values, min_size=rows, max_size=rows),
                              min_size=n_columns, max_size=n_columns)))


numberish = st.one_of(
    st.integers(-10**25, 10**25).map(lambda v: b"%d" % v),
    st.tuples(st.integers(0, 5), st.integers(0, 10**6)).map(lambda t: b"0" * t[0] + b"%d" % t[1]),
    st.sampled_from([b"-0", b"-00", b"0", b"00", b"-", b"", b"-007", b"9223372036854775807",
                     b"-9223372036854775808", b"18446744073709551616", b"0x1f", b"ff", b"0ff", b"FF",
                     b"0" * 80 + b"7", b"-" + b"0" * 70 + b"1"]),
    st.integers(0, 2**70).map(lambda v: b"%x" % v),
)
shaped = st.builds(lambda a, b, sep: b"blk_" + a + sep + b, numberish, numberish,
                   st.sampled_from([b".", b":", b"\n", b"%", b"%s", b"\0", b""]))


@settings(max_examples=150, deadline=None)
@given(tables(st.binary(max_size=12) | numberish | shaped))
def test_round_trip_any_bytes(columns):
    round_trip(columns)


@settings(max_examples=100, deadline=None)
@given(st.lists(numberish, min_size=1, max_size=300), st.integers(1, 5))
def test_round_trip_repetitive_numbers(values, repeat):
    column = [values[i % len(values)] for i in range(len(values) * repeat)]
    round_trip([column, sorted(column), [b"node-" + v for v in column]])


@settings(max_examples=60, deadline=None)
@given(st.lists(tables(st.binary(max_size=8) | numberish | shaped), max_size=5))
def test_several_tables_round_trip(several):
    blob = encode_tables(several, 3)
    assert decode_tables(blob) == several
    assert decode_tables(blob, rows=[len(t[0]) if t else 0 for t in several]) == several


def test_several_tables_share_a_frame():
    """A value repeated across tables costs once: smaller than the tables one by one."""
    rng = random.Random(5)
    hosts = [b"host-%d.example.org:%d" % (rng.randrange(10**6), rng.randrange(65536)) for _ in range(300)]
    several = [[[rng.choice(hosts) for _ in range(400)]] for _ in range(10)]
    together = len(encode_tables(several, 19))
    assert together < 0.8 * sum(len(encode_table(t, 19)) for t in several)


def test_single_and_several_blobs_are_told_apart():
    one, several = encode_table([[b"a", b"b"]]), encode_tables([[[b"a", b"b"]]])
    with pytest.raises(CorruptArchiveError):
        decode_tables(one)
    with pytest.raises(CorruptArchiveError):
        decode_table(several)
    with pytest.raises(CorruptArchiveError):
        decode_tables(several, rows=[2, 2])
    with pytest.raises(CorruptArchiveError):
        decode_tables(several, rows=[3])


def test_empty_tables():
    assert round_trip([]) and round_trip([[]]) and round_trip([[], [], []])
    assert round_trip([[b""]]) and round_trip([[b""] * 5, [b"\n"] * 5])


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError):
        encode_table([[b"a"], []])


def test_typed_encoding_beats_plain_zstd():
    """Typed columns compress better than their newline-joined text: much better for counters,
    closer to the entropy for random numbers (where plain zstd is already near it)."""
    import zstandard
    rng = random.Random(7)
    n = 20000
    expected_ratio = [   # (column, typed size / plain zstd size must be below)
        ([b"%d" % (1131566461 + i // 3) for i in range(n)], 0.3),
        ([b"%d" % v for v in itertools.accumulate(rng.choice([0, 0, 1, 2, 30]) for _ in range(n))], 0.9),
        ([b"blk_%d" % rng.randint(-2**63, 2**63 - 1) for _ in range(n)], 0.95),
        ([b"10.251.%d.%d:50010" % (rng.randint(0, 255), rng.randint(0, 255)) for _ in range(n)], 0.85),
        ([b"%06d" % rng.randint(0, 999999) for _ in range(n)], 0.9),
        ([b"node-%d" % rng.randint(0, 300) for _ in range(n)], 0.9),
        ([b"%02d:%02d:%02d,%03d" % (t // 3600000 % 24, t // 60000 % 60, t // 1000 % 60, t % 1000) for t in
          itertools.accumulate(rng.choice([0, 0, 15, 16, 31, 47, 1000, 12345]) for _ in range(n))], 0.6),
    ]
    for column, ratio in expected_ratio:
        plain = len(zstandard.ZstdCompressor(level=19).compress(b"\n".join(column)))
        typed = len(round_trip([column], level=19))
        assert typed < plain * ratio, (column[:3], typed, plain)


@pytest.mark.parametrize("system", ["HPC", "Linux", "Apache", "Proxifier", "Hadoop", "BGL", "Mac"])
def test_loghub_2k_header_columns(system, loghub_2k_systems, read_corpus):
    lines = read_corpus(f"loghub-2k/{system}_2k.log").split(b"\n")[:-1]
    split = HeaderFormat.parse(loghub_2k_systems[system]).split(lines)
    round_trip(split.columns)
    round_trip([split.contents])


def corrupt_variants(blob, rng):
    yield b""
    for cut in range(0, len(blob), max(1, len(blob) // 40)):
        yield blob[:cut]
    for _ in range(300):
        damaged = bytearray(blob)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        yield bytes(damaged)


def assert_damage_reported(blob, rng):
    """Every damaged variant of a table's blob decodes to bytes or raises CorruptArchiveError."""
    for damaged in corrupt_variants(blob, rng):
        try:
            decoded = decode_table(damaged)
        except CorruptArchiveError:
            continue
        assert all(type(v) is bytes for column in decoded for v in column)


def raw_form(blob):
    """The same blob stored uncompressed, so that damage reaches the column parser."""
    if not blob[0] & 1:
        return blob
    size, shift, pos = 0, 0, 1
    while True:
        size |= (blob[pos] & 0x7F) << shift
        shift, pos = shift + 7, pos + 1
        if blob[pos - 1] < 0x80:
            break
    payload = zstandard.ZstdDecompressor().decompress(blob[pos:], max_output_size=size)
    return bytes([blob[0] & ~1]) + payload


CORRUPTIBLE = [[b"%d" % i for i in range(50)], [b"a", b"b\n"] * 25, [b"x%d.%d" % (i, i * 7) for i in range(50)],
               [b"same"] * 50, [b"%05d" % (i * 37 % 1000) for i in range(50)], [b"k%d" % (i % 3) for i in range(50)],
               [b"12:%02d:%02d" % (i // 60, i % 60) for i in range(50)], [b"-%d" % i for i in range(50)],
               [b"%x" % (i * 999) for i in range(50)], [b"n%d" % i if i % 3 else b"" for i in range(50)]]


RANKED = [[b"%d" % t for t in itertools.accumulate(random.Random(2).choice([0, 15, 16, 1000]) for _ in range(2000))]]


@pytest.mark.parametrize("stored", ["zstd", "raw"])
@pytest.mark.parametrize("table", [CORRUPTIBLE, RANKED], ids=["kinds", "ranked"])
def test_corrupt_blobs_raise_corrupt_archive_error(stored, table):
    rng = random.Random(1)
    blob = encode_table(table, 19)
    assert decode_table(raw_form(blob)) == table
    if stored == "raw":
        blob = raw_form(blob)
    assert_damage_reported(blob, rng)


def test_corrupt_several_tables_raise_corrupt_archive_error():
    rng = random.Random(4)
    several = [CORRUPTIBLE, RANKED, [], [[b"x"] * 3]]
    blob = raw_form(encode_tables(several, 19))
    assert decode_tables(blob) == several
    for damaged in corrupt_variants(blob, rng):
        try:
            decoded = decode_tables(damaged)
        except CorruptArchiveError:
            continue
        assert all(type(v) is bytes for table in decoded for column in table for v in column)


def test_expected_rows_checked():
    blob = encode_table([[b"a"] * 7])
    assert decode_table(blob, rows=7) == [[b"a"] * 7]
    with pytest.raises(CorruptArchiveError):
        decode_table(blob, rows=8)


def test_both_coders_round_trip_and_lzma_is_smaller(read_corpus):
    """A header column of the HPC log: LZMA (level 19) beats zstd -19 (forced by a level below)."""
    lines = read_corpus("loghub-2k/HPC_2k.log").split(b"\n")
    column = [line.split(b" ")[0] for line in lines]
    lzma_blob, zstd_blob = encode_table([column], 19), encode_table([column], 18)
    assert lzma_blob[0] & 15 == 4 and zstd_blob[0] & 15 == 1
    assert decode_table(lzma_blob) == decode_table(zstd_blob) == [column]
    assert len(lzma_blob) < len(zstd_blob)


def test_huge_counts_rejected():
    """Counts far beyond the data fail before anything that large is allocated."""
    huge_rows = bytes([0x10]) + bytes([0x01]) + b"\xff\xff\xff\xff\x0f" + bytes([0]) + b"\x00"
    damaged = [huge_rows]
    for level in (3, 19):   # zstd, LZMA
        blob = encode_table([[b"%d" % i for i in range(1000)]], level)
        damaged.append(blob[:1] + b"\xff" * 8 + b"\x7f" + blob[3:])
    for blob in damaged:
        with pytest.raises(CorruptArchiveError):
            decode_table(blob)
    assert MAX_ROWS <= 1 << 26


@pytest.mark.parametrize("system, spec", sorted(LOGHUB_FULL_FORMATS.items()))
def test_loghub_full_header_columns(system, spec, read_corpus):
    """Full logs: header columns round-trip and beat zstd of the newline-joined columns."""
    import zstandard
    lines = read_corpus(f"loghub-full/{system}.log.zst").split(b"\n")
    columns = HeaderFormat.parse(spec).split(lines).columns
    blob = round_trip(columns, level=3)
    plain = zstandard.ZstdCompressor(level=3).compress(b"".join(b"\n".join(c) + b"\n" for c in columns))
    assert len(blob) < len(plain) * 0.8


def test_giant_values_stay_fast():
    """Megabyte values made of digit runs are not cut into millions of sub-columns."""
    import time
    rng = random.Random(3)
    columns = [[bytes(rng.choice(b"0123456789") for _ in range(200_000)) for _ in range(3)],
               [b"%d.%d" % (rng.randrange(10**9), i) * 20_000 for i in range(3)]]
    start = time.process_time()
    round_trip(columns)
    assert time.process_time() - start < 2.0


@contextlib.contextmanager
def small_samples():
    """Columns and integer arrays of more than 64 rows choose their encoding on a 64-row sample
    (4 runs of 16)."""
    from logzip.codec import columns
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "_SAMPLE_ROWS", 64)
        patch.setattr(columns, "_SAMPLE_RUNS", 4)
        patch.setattr(columns, "_SAMPLE_ABOVE", 64)
        patch.setattr(columns, "_RANK_MIN", 16)
        yield


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=6) | numberish | shaped, min_size=1, max_size=8), st.integers(65, 400),
       st.randoms(use_true_random=False))
def test_sampled_choice_round_trips(values, rows, rng):
    """The sample's winner may not fit the whole column (a newline, a non-number, a different
    width or too many distinct values outside the sample): the column still round-trips."""
    common = values[0]
    column = [common] * rows
    for _ in range(rng.randrange(1, 6)):
        column[rng.randrange(rows)] = rng.choice(values)
    numbers = [b"%d" % (1131566461 + i * rng.randrange(1, 40)) for i in range(rows)]
    numbers[rng.randrange(rows)] = rng.choice(values)
    with small_samples():
        round_trip([column, numbers, [b"%d" % rng.randrange(rows * 4) for _ in range(rows)]])


def test_sampled_choice_nearly_as_small_as_trying_everything():
    from logzip.codec import columns
    rng = random.Random(11)
    n = 70000       # above _SAMPLE_ABOVE
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(5000)]
    table = [
        [b"%d" % t for t in itertools.accumulate(rng.choice([0, 15, 16, 1000]) for _ in range(n))],
        [b"node-%d" % rng.randint(0, 300) if rng.random() < 0.9 else b"gige%d" % rng.randint(0, 9) for _ in range(n)],
        [b"%02d:%02d:%02d" % (t // 3600 % 24, t // 60 % 60, t % 60) for t in
         itertools.accumulate(rng.choice([0, 0, 1, 2, 7]) for _ in range(n))],
        [rng.choice([b"INFO", b"WARN", b"ERROR"]) for _ in range(n)],
        [b"%x" % rng.getrandbits(40) for _ in range(n)],
        [rng.choice(words) for _ in range(n)],      # a sample shows too many distinct values for DICT
    ]
    sampled = round_trip(table, level=19)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "_SAMPLE_ABOVE", n)
        exhaustive = round_trip(table, level=19)
    assert len(sampled) < len(exhaustive) * 1.01


def test_compiled_parse_ints_matches_int():
    import numpy as np
    from logzip.codec import _columns
    from tests.test_strings import spell
    samples = [b"-0", b"-00", b"0", b"00", b"-", b"", b"-007", b"9223372036854775807", b"9223372036854775808",
               b"-9223372036854775808", b"-9223372036854775809", b"ff", b"0ff", b"FF", b"7fffffffffffffff",
               b"8000000000000000", b"0" * 64 + b"7", b"0" * 65 + b"7", b"-" + b"0" * 64 + b"1", b"1-2", b" 1",
               b"1_0", b"+1", b"0x1f", b"\x001"]
    for value in samples:
        for base, alphabet in ((10, b"-0123456789"), (16, b"0123456789abcdef")):
            parsed = _columns.parse_ints([b"1", value], base)
            try:
                number = int(value, base) if not value.translate(None, alphabet) else None
            except ValueError:
                number = None
            fits = (number is not None and -2**63 <= number < 2**63 and not (number == 0 and value.startswith(b"-"))
                    and len(value) - len(spell(np.array([number]), np.zeros(0, dtype=np.int64), base)[0]) <= 64)
            if not fits:
                assert parsed is None, (value, base)
                continue
            values, pads = parsed
            assert values.tolist() == [int(b"1", base), number]
            assert spell(values, pads, base) == [b"1", value]


def test_compiled_column_scans():
    import numpy as np
    from logzip.codec import _columns
    column = [b"a12b3", b"a1b2", b"x", b"12", b"", b"a1b2", b"007"]
    skeletons, ids = _columns.skeletons(column, 255)
    assert skeletons == [b"a0b0", b"x", b"0", b""] and ids.tolist() == [0, 0, 1, 2, 3, 0, 2]
    assert _columns.skeletons(column, 3) is None
    assert _columns.digit_runs([b"a12b3", b"a1b02"], 2) == [[b"12", b"1"], [b"3", b"02"]]
    with pytest.raises(ValueError):
        _columns.digit_runs([b"a1b2", b"a1"], 2)
    assert _columns.group(column, ids, 4) == [[b"a12b3", b"a1b2", b"a1b2"], [b"x"], [b"12", b"007"], [b""]]
    with pytest.raises(ValueError):
        _columns.group(column, np.zeros(2, dtype=np.int64), 1)
    values, ids = _columns.dictionary(column + [b"x"], 8)
    assert values == [b"a12b3", b"a1b2", b"x", b"12", b"", b"007"] and ids.tolist() == [0, 1, 2, 3, 4, 1, 5, 2]
    assert _columns.dictionary(column, 5) is None
    assert _columns.lengths(column).tolist() == list(map(len, column))
    assert _columns.all_equal([]) and _columns.all_equal([b"ab", bytes(b"ab")]) and not _columns.all_equal([b"ab", b"ac"])
    assert _columns.fixed_width([b"a12", b"b34"]) and not _columns.fixed_width([b"a12", b"3bc"])
    assert not _columns.fixed_width([b"abc", b"abc"]) and not _columns.fixed_width([b"12", b"123"])
    for scan in (_columns.fixed_width, _columns.lengths, _columns.all_equal, lambda c: _columns.skeletons(c, 255)):
        with pytest.raises(TypeError):
            scan([b"1", "2"])


def grouped_round_trip(columns, key, level=3):
    blob = encode_table(columns, level, key)
    assert decode_table(blob, len(key), key) == columns
    return blob


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40).flatmap(lambda rows: st.tuples(
    st.lists(st.lists(st.binary(max_size=6) | numberish | shaped, min_size=rows, max_size=rows), max_size=3),
    st.lists(st.integers(-1, 3), min_size=rows, max_size=rows))))
def test_grouped_round_trip_any_bytes(table_and_key):
    columns, key = table_and_key
    if columns:
        grouped_round_trip(columns, key)


@pytest.mark.parametrize("rows", [1, 2, 3000, 70_000])
def test_grouped_columns_edge_cases(rows):
    """Huge ints, leading zeros, non-numeric rows mixed in, a value the key decides; short and
    sampled (long) columns; keys of -1 (no template) among them."""
    rng = random.Random(rows)
    key = [rng.randrange(-1, 5) for _ in range(rows)]
    columns = [
        [b"%d" % (2**63 - 1 - i) if i % 7 else b"-9223372036854775808" for i in range(rows)],
        [b"%05d" % rng.randrange(1000) if i % 11 else b"x%d" % i for i in range(rows)],
        [b"component-%d" % (k * k) for k in key],
        [b"0" * rng.randrange(3) + b"%x" % rng.randrange(1 << 40) for _ in range(rows)],
        [b""] * rows,
    ]
    blob = grouped_round_trip(columns, key)
    if rows >= 3000:    # the column the key decides is stored GROUPED
        assert len(blob) < len(encode_table(columns, 3))


def test_grouped_pays_where_the_key_decides():
    """A field the key decides (HPC's component, given the template) costs next to nothing
    GROUPED; a column that does not gain stays in row order; the key is needed to read it."""
    rng = random.Random(5)
    key = [rng.randrange(40) for _ in range(50_000)]
    decided = [b"comp%d" % (k * 7919 % 1000) for k in key]
    counter = [b"%d" % (1_000_000 + i) for i in range(len(key))]
    grouped = grouped_round_trip([decided, counter], key, 19)
    plain = encode_table([decided, counter], 19)
    assert len(grouped) < 0.8 * len(plain)
    assert len(encode_table([counter], 19, key)) == len(encode_table([counter], 19))
    with pytest.raises(CorruptArchiveError):
        decode_table(grouped)
    with pytest.raises(CorruptArchiveError):
        decode_table(grouped, key=key[:-1])
    assert decode_table(grouped, key=key) == [decided, counter]


@pytest.mark.parametrize("values", [[], [7], [0, 2**63 - 1, -2**63, 5], list(range(70_000, 0, -1)),
                                    [i % 3 for i in range(100_000)]])
def test_integer_arrays_round_trip(values):
    blob = encode_ints(np.array(values, dtype=np.int64), 19)
    assert decode_ints(blob, len(values)).tolist() == values
    with pytest.raises(CorruptArchiveError):
        decode_ints(blob, len(values) + 1)
    with pytest.raises(CorruptArchiveError):
        decode_table(blob)


def test_fused_digits_round_trip(monkeypatch):
    """Same-length values are stored as their digits fused in mixed radix: times of day with
    milliseconds, and 40-digit numbers (pieces of 18 digits, fused in several groups)."""
    from logzip.codec import columns
    calls = []
    fused_digits = columns._strings.fused_digits
    monkeypatch.setattr(columns._strings, "fused_digits", lambda *args: calls.append(len(args[2])) or fused_digits(*args))
    rng = random.Random(5)
    times = sorted(b"2015-10-18 %02d:%02d:%02d,%03d" % (rng.randrange(24), rng.randrange(60), rng.randrange(60),
                                                       rng.randrange(1000)) for _ in range(5000))
    long_numbers = [b"%040d" % rng.randrange(10 ** 40) for _ in range(3000)]
    for column in (times, long_numbers):
        calls.clear()
        assert decode_table(encode_table([column], 19)) == [column]
        assert calls, "the column was not fused"
    assert len(calls) > 1, "40-digit numbers take several fused groups"


def test_gather_takes_values_in_order_and_checks_indices():
    """_columns.gather (GROUPED columns' key order) is the list comprehension, bounds checked."""
    from logzip.codec import _columns
    values = [bytes([i % 256]) * (i % 7) for i in range(5000)]
    order = np.random.default_rng(2).permutation(len(values))
    assert _columns.gather(values, order) == [values[i] for i in order]
    assert _columns.gather(values, np.array([4, 4, 0], dtype=np.int64)) == [values[4], values[4], values[0]]
    assert _columns.gather(values, np.zeros(0, dtype=np.int64)) == []
    for bad in (len(values), -1):
        with pytest.raises(IndexError):
            _columns.gather(values, np.array([0, bad], dtype=np.int64))
