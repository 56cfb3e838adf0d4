"""CONDITIONED columns: integers whose steps are split by a class that earlier columns give."""
import random

import pytest

from logzip.codec._columns import canonical_ints
from logzip.codec.columns import decode_table, encode_table, marginal_sizes, table_layout
from logzip.codec.header import HeaderFormat
from tests.test_columns import assert_damage_reported, raw_form, round_trip

HPC = "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>"


def kinds(blob):
    return [kind for kind, _, _ in table_layout(blob)[2][1:]]


def correlated(rows, seed):
    """A counter that runs on (step 1) or jumps, words and giant numbers among it, and a time
    that stays put while the counter runs on and jumps with it; a few rows not integers."""
    rng = random.Random(seed)
    counter, time, ids, times = 5000, 1_100_000_000, [], []
    for i in range(rows):
        if rng.random() < 0.6:
            counter += 1
            time += rng.choice((0, 0, 0, 1))
        else:
            counter = rng.randrange(10**6)
            time += rng.randrange(-10**5, 10**5)
        ids.append(b"%d" % counter if i % 97 else rng.choice([b"subsys", b"-0", b"007", b"1" * 19]))
        times.append(b"%d" % time if i % 1013 else rng.choice([b"x", b"-0", b"0042", b"-" + b"9" * 18, b""]))
    return ids, times


@pytest.mark.parametrize("rows", [4096, 30_000, 70_000])
def test_correlated_steps_round_trip_conditioned(rows):
    """Short and sampled (long) columns; the time is stored CONDITIONED on the counter, and
    smaller than alone."""
    ids, times = correlated(rows, rows)
    blob = round_trip([ids, times], 19)
    assert kinds(blob)[1] == "CONDITIONED"
    alone = encode_table([times], 19)
    coder, payload, spans = table_layout(blob)
    time_bytes = marginal_sizes(blob, payload, [end for _, _, end in spans], 19)[-1]
    assert time_bytes < 0.8 * len(alone)


def test_hpc_time_conditioned_on_logid_and_node(read_corpus):
    """HPC's header: Time (its rows not integers too: 'subsys') is stored CONDITIONED, in
    less than 92% of its bytes alone; the table decodes to the split's columns."""
    lines = read_corpus("loghub-full/HPC.log.zst").split(b"\n")[:100_000]
    header = HeaderFormat.parse(HPC)
    columns = header.split(lines).columns
    time = header.column_names.index("Time")
    assert not canonical_ints(columns[time])[1].all()
    blob = round_trip(columns, 19)
    coder, payload, spans = table_layout(blob)
    assert spans[time + 1][0] == "CONDITIONED"
    before, through = spans[time][2], spans[time + 1][2]
    time_bytes = marginal_sizes(blob, payload, [before, through, len(payload)], 19)[1]
    assert time_bytes < 0.92 * len(encode_table([columns[time]], 19))


def test_uncorrelated_integers_stay_as_they_were():
    rng = random.Random(3)
    columns = [[b"%d" % rng.randrange(10**9) for _ in range(20_000)] for _ in range(2)]
    blob = round_trip(columns, 19)
    assert "CONDITIONED" not in kinds(blob)


def test_corrupt_conditioned_columns_raise_corrupt_archive_error():
    rng = random.Random(8)
    ids, times = correlated(5000, 1)
    blob = raw_form(encode_table([ids, times], 3))
    assert kinds(blob)[1] == "CONDITIONED" and decode_table(blob) == [ids, times]
    assert_damage_reported(blob, rng)


def test_canonical_ints_as_spell_writes_them():
    values, valid = canonical_ints([b"0", b"-0", b"012", b"12", b"-5", b"", b"-", b"x1", b"9" * 18, b"1" * 19])
    assert valid.tolist() == [1, 0, 0, 1, 1, 0, 0, 0, 1, 0]
    assert values[valid.view(bool)].tolist() == [0, 12, -5, 10**18 - 1]
