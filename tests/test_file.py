"""logzip.open and LogzipFile behave like gzip's."""
import io

import pytest

import logzip
from logzip.errors import CorruptArchiveError

DATA = b"".join(b"2024-01-01 12:00:%02d INFO worker %d: took %d ms\n" % (i % 60, i % 7, i * 3)
                for i in range(5000))


def test_binary_write_then_read(tmp_path):
    path = tmp_path / "a.logz"
    with logzip.open(path, "wb", block_size=16 << 10) as archive:
        for start in range(0, len(DATA), 1000):
            archive.write(DATA[start:start + 1000])
    with logzip.open(path, "rb") as archive:
        assert archive.read(10) == DATA[:10]
        assert archive.readline() == DATA[10:DATA.index(b"\n") + 1]
        assert archive.read() == DATA[DATA.index(b"\n") + 1:]


def test_text_mode(tmp_path):
    path = tmp_path / "a.logz"
    with logzip.open(path, "wt", encoding="utf-8") as archive:
        archive.write("héllo\nwörld\n")
    with logzip.open(path, "rt", encoding="utf-8") as archive:
        assert archive.readlines() == ["héllo\n", "wörld\n"]


def test_streaming_writer_over_a_file_object():
    sink = io.BytesIO()
    with logzip.LogzipFile(None, "wb", fileobj=sink,
                           params=logzip.CompressionParameters(block_size=8 << 10)) as writer:
        writer.writelines(DATA.splitlines(keepends=True))
    assert not sink.closed
    assert logzip.decompress(sink.getvalue()) == DATA
    with logzip.LogzipFile(None, "rb", fileobj=io.BytesIO(sink.getvalue())) as reader:
        assert sum(1 for _ in reader) == 5000


def test_modes_are_checked(tmp_path):
    with pytest.raises(ValueError):
        logzip.open(tmp_path / "a.logz", "rwb")
    with logzip.open(tmp_path / "a.logz", "wb") as archive:
        with pytest.raises(io.UnsupportedOperation):
            archive.read()


def test_bad_parameters_fail_before_any_work():
    with pytest.raises(ValueError):
        logzip.compress(b"x", level=0)
    with pytest.raises(logzip.FormatError):
        logzip.compress(b"x", format="<Date> <Time")


def test_damage_is_reported_not_returned():
    archive = bytearray(logzip.compress(DATA))
    archive[len(archive) // 2] ^= 0xFF
    with pytest.raises(CorruptArchiveError):
        logzip.decompress(bytes(archive))
    with pytest.raises(CorruptArchiveError):
        logzip.decompress(b"hello world, not an archive")


def test_blocks_hold_at_most_max_lines_lines():
    """Decoding memory grows with lines, so blocks of tiny lines are cut by line count too."""
    from logzip.pipeline import BlockCutter

    cutter = BlockCutter(1 << 20, max_lines=1000)
    blocks = [block for start in range(0, 5500, 700) for block in cutter.feed(b"x\n" * min(700, 5500 - start))]
    blocks.append(cutter.flush())
    assert [block.count(b"\n") for block in blocks] == [1000] * 5 + [500]
    assert b"".join(blocks) == b"x\n" * 5500


def test_empty_lines_beyond_the_line_limit_round_trip():
    from logzip.container import iter_members
    from logzip.pipeline import MAX_BLOCK_LINES

    data = b"\n" * (MAX_BLOCK_LINES + 10)
    archive = logzip.compress(data, level=1)
    assert logzip.decompress(archive) == data
    blocks = [block for member in iter_members(io.BytesIO(archive)) for block, _ in member.blocks()]
    assert [block.n_lines for block in blocks] == [MAX_BLOCK_LINES, 10]


def test_a_loop_over_an_unnamed_file_reads_every_line(tmp_path):
    """``for line in logzip.open(path)`` keeps no reference to the file: the loop must."""
    data = b"".join(b"line %d\n" % i for i in range(50_000))
    path = tmp_path / "loop.logz"
    path.write_bytes(logzip.compress(data, block_size=64 << 10))
    lines = []
    for line in logzip.open(path):
        lines.append(line)
    assert b"".join(lines) == data


def test_an_input_of_one_block_is_shared_among_the_workers(monkeypatch):
    """With -T 2 an input that fits one block becomes one block per worker, cut after a newline;
    with one worker, or after a first block has gone, it stays whole."""
    from logzip import pipeline
    from logzip.container import iter_members

    monkeypatch.setattr(pipeline, "MIN_SPLIT", 16 << 10)
    data = b"".join(b"%d took %d ms\r\n" % (i, i * 7 % 1000) for i in range(8000)) + b"no newline at the end"

    def block_sizes(archive):
        return [block.raw_len for member in iter_members(io.BytesIO(archive)) for block, _ in member.blocks()]

    archive = logzip.compress(data, threads=2)
    assert logzip.decompress(archive) == data
    sizes = block_sizes(archive)
    assert len(sizes) == 2 and abs(sizes[0] - sizes[1]) < 100
    assert data[sizes[0] - 1:sizes[0]] == b"\n"
    assert block_sizes(logzip.compress(data, threads=1)) == [len(data)]
    assert len(block_sizes(logzip.compress(data, threads=2, block_size=len(data) - 1000))) == 2
