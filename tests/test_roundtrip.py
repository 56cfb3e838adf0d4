"""Byte-exact round trips through logzip.compress / logzip.decompress."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import logzip
from corpora.edge_cases import edge_cases
from bench.common import corpus_files, relative
from corpora.shared import LOGHUB_FULL_FORMATS, loghub_2k_formats

SMALL_BLOCKS = 4096


def round_trip(data, **options):
    archive = logzip.compress(data, **options)
    assert logzip.decompress(archive) == data
    return archive


@pytest.mark.parametrize("name", sorted(edge_cases()))
def test_edge_cases(name):
    data = edge_cases()[name]
    round_trip(data)
    round_trip(data, block_size=SMALL_BLOCKS)


@pytest.mark.parametrize("name", sorted(edge_cases()))
def test_edge_cases_with_a_header_format(name):
    round_trip(edge_cases()[name], format="<Date> <Time> <Level> <Component>: <Content>")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    round_trip(data, block_size=1024)


words = st.sampled_from([b"INFO", b"WARN", b"open", b"close", b"file", b"=", b"id", b"0", b"42",
                         b"-7", b"0x1f", b"10.0.0.1:80", b"\t", b"", b"\xff\xfe", b"\x00", b"\r"])
lines = st.lists(words, max_size=12).map(b" ".join)
endings = st.sampled_from([b"\n", b"\r\n"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(lines, endings), max_size=300), lines)
def test_random_line_structures(pairs, tail):
    data = b"".join(line + end for line, end in pairs) + tail
    round_trip(data)
    round_trip(data, format="<Level> <Component> <Content>", block_size=1024)


@pytest.mark.parametrize("system", sorted(loghub_2k_formats()))
def test_loghub_2k_with_and_without_format(system, read_corpus, loghub_2k_systems):
    data = read_corpus(f"loghub-2k/{system}_2k.log")
    with_format = round_trip(data, format=loghub_2k_systems[system])
    round_trip(data)
    assert len(with_format) * 4 < len(data)


def test_several_blocks_on_two_processes(read_corpus):
    data = read_corpus("loghub-2k/HDFS_2k.log") * 3
    archive = round_trip(data, block_size=64 << 10, threads=2)
    assert archive == logzip.compress(data, block_size=64 << 10)


@pytest.mark.parametrize("name", sorted(LOGHUB_FULL_FORMATS))
def test_full_loghub_logs_beat_xz(name, read_corpus):
    """Round trip of each full Loghub log, and a ratio above xz -9e's measured one."""
    xz_ratio = {"HPC": 20.3, "Hadoop": 50.4, "Apache": 32.7, "Linux": 22.4, "Proxifier": 22.5}[name]
    data = read_corpus(f"loghub-full/{name}.log.zst")
    archive = round_trip(data, format=LOGHUB_FULL_FORMATS[name])
    assert len(data) / len(archive) > xz_ratio


CI_AND_TEXT = [relative(path) for path in corpus_files("ci-logs", "text")]


@pytest.mark.parametrize("relpath", CI_AND_TEXT)
def test_every_ci_log_and_text(relpath, read_corpus):
    """Every other file of the shared corpora, without a format (inferred or none), on two processes."""
    data = read_corpus(relpath)
    archive = round_trip(data, threads=2)
    if len(data) > 1 << 20:
        assert len(archive) < len(data) / 3


@pytest.mark.parametrize("system", ["HPC", "Hadoop", "Linux"])
def test_grouped_header_columns_on_real_logs(system, tmp_path, read_corpus, loghub_2k_systems):
    """Header columns stored in template order where that pays: smaller header, exact text,
    and search (which reads the header through StoredBlock.header_table) counts exactly."""
    import logzip.search
    from logzip.codec.block import StoredBlock, analyze_block, encode_model
    from logzip.codec.header import HeaderFormat
    data = read_corpus(f"loghub-2k/{system}_2k.log")
    model = analyze_block(data, HeaderFormat.parse(loghub_2k_systems[system]))
    grouped, plain = (StoredBlock(encode_model(model, 19, grouped=g)) for g in (True, False))
    assert len(grouped.sections[3]) < len(plain.sections[3])
    assert grouped.header_table() == plain.header_table() == model.header_columns
    assert grouped.decode() == data
    path = tmp_path / "log.logz"
    path.write_bytes(round_trip(data, format=loghub_2k_systems[system]))
    lines = data.split(b"\n")
    patterns = sorted({line[i:i + n] for line in lines[::97] for i, n in ((0, 9), (3, 14), (20, 6)) if line[i:i + n]})
    with logzip.search.open(path) as archive:
        counts = archive.counts(patterns)
    assert list(counts) == [sum(1 for k in range(len(data)) if data.startswith(p, k)) for p in patterns]
