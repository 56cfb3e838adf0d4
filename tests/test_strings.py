"""The typed decode path's primitives (logzip.codec.strings, _strings) against plain Python."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from logzip.codec import _strings
from logzip.codec.strings import ByteColumn, blank_where, equals_where, fill, join_lines, scatter
from logzip.errors import CorruptArchiveError


def spell(values, pads, base):
    return ByteColumn(*_strings.spell(np.asarray(values, dtype=np.int64), np.asarray(pads, dtype=np.int64),
                                      base)).tolist()


def coded(values, codes):
    column = ByteColumn.from_list(values)
    return ByteColumn(column.data, column.offsets, np.asarray(codes, dtype=np.int64))


def test_spell():
    values = [0, -5, 123, -(2**63), 2**63 - 1, 255]
    assert spell(values, [], 10) == [b"%d" % v for v in values]
    assert spell([0, 123, 255], [0, 2, 1], 16) == [b"0", b"007b", b"0ff"]
    assert spell([-7], [2], 10) == [b"-007"]
    assert spell([], [], 10) == []


@given(st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), st.integers(0, 3)), max_size=50))
def test_spell_any_int64(pairs):
    """Digit counts come from bit lengths: every power of ten and its neighbours, 0 and both ends."""
    pairs += [(sign * 10 ** k + d, 0) for k in range(19) for d in (-1, 0, 1) for sign in (1, -1)]
    values, pads = [v for v, _ in pairs], [p for _, p in pairs]
    assert spell(values, [], 10) == [b"%d" % v for v in values]
    assert spell(values, pads, 10) == [b"-" * (v < 0) + b"0" * p + b"%d" % abs(v) for v, p in pairs]
    magnitudes = [abs(v) for v in values if v > -2**63]
    assert spell(magnitudes, [], 16) == [b"%x" % v for v in magnitudes]


def test_planes_and_pick():
    numbers = np.array([0, 1, 255, 256, 2**40 + 7, 2**64 - 1], dtype=np.uint64)
    for width in range(1, 9):
        kept = numbers & np.uint64(2 ** (8 * width) - 1)
        planes = kept.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :width].T.tobytes()
        assert _strings.planes(planes, len(numbers), width).tolist() == kept.tolist()
    with pytest.raises(ValueError):
        _strings.planes(b"\0" * 5, 2, 2)
    ranks = np.array([2, 0, 0, 1], dtype=np.uint64)
    assert _strings.pick(numbers[:3], ranks).tolist() == [255, 0, 0, 1]
    with pytest.raises(ValueError):
        _strings.pick(numbers[:2], ranks)


def test_fill_plain_and_coded_runs():
    plain = ByteColumn.from_list([b"1", b"", b"333"])
    codes = coded([b"x", b"\0\r\n"], [1, 0, 1])
    rows = fill([b"<", b"|", b">"], [plain, codes], 3)
    assert rows.codes is None
    assert rows.tolist() == [b"<1|\0\r\n>", b"<|x>", b"<333|\0\r\n>"]
    assert fill([b"", b""], [ByteColumn.from_list([])], 0).tolist() == []
    assert fill([b"ab"], [], 2).tolist() == [b"ab", b"ab"]
    assert codes.flat().tolist() == codes.tolist() == [b"\0\r\n", b"x", b"\0\r\n"]
    with pytest.raises(CorruptArchiveError):
        fill([b"a", b"b"], [plain], 2)              # a column of 3 rows for 2
    with pytest.raises(CorruptArchiveError):
        fill([b"", b""], [plain], 3, cap=3)         # 4 bytes
    with pytest.raises(ValueError):
        _strings.fill([b"a"], [plain.run()], 3, 100)     # texts must be one more than runs
    with pytest.raises(TypeError):
        _strings.fill([b"a", "b"], [plain.run()], 3, 100)


def test_fill_trims_the_last_row():
    plain = ByteColumn.from_list([b"1", b"", b"333"])
    rows = fill([b"<", b">\r\n"], [plain], 3, trim=2)
    assert rows.tolist() == [b"<1>\r\n", b"<>\r\n", b"<333>"]
    assert rows.data == b"<1>\r\n<>\r\n<333>"
    assert fill([b"ab\n"], [], 2, trim=1).data == b"ab\nab"     # constant rows too
    assert fill([b"", b"\n"], [plain], 3, cap=8, trim=1).data == b"1\n\n333"  # cap counts the trimmed bytes
    assert fill([b"<", b">\r\n"], [plain], 3, trim=7).tolist()[-1] == b""
    for bad in (-1, 8):     # the last row "<333>\r\n" has 7 bytes
        with pytest.raises(CorruptArchiveError):
            fill([b"<", b">\r\n"], [plain], 3, trim=bad)
    with pytest.raises(CorruptArchiveError):
        fill([b"", b"\n"], [ByteColumn.from_list([])], 0, trim=1)


def test_lines():
    for text, rows in [(b"a\nbb\n\nc", 4), (b"", 1), (b"\n", 2), (b"abc", 1)]:
        data, offsets = _strings.lines(text, rows)
        assert ByteColumn(data, offsets).tolist() == text.split(b"\n")
    for text, rows in [(b"a\nb", 1), (b"a\nb", 3), (b"", 0), (b"", 2)]:
        with pytest.raises(ValueError):
            _strings.lines(text, rows)


def test_scatter_blank_equals():
    a = ByteColumn.from_list([b"a0", b"a1"])
    b = coded([b"b"], [0, 0, 0])
    ids = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
    assert scatter([a, b], ids).tolist() == [b"b", b"a0", b"b", b"b", b"a1"]
    assert scatter([a, ByteColumn.from_list([])], np.zeros(2, dtype=np.uint8)).tolist() == [b"a0", b"a1"]
    for bad in ([0, 1, 1, 1, 1], [0, 0, 0, 1, 1], [1, 0, 1, 2, 0]):     # too many of a group, an unknown one
        with pytest.raises(CorruptArchiveError):
            scatter([a, b], np.array(bad))
    with pytest.raises(CorruptArchiveError):
        scatter([a, b], np.zeros(4, dtype=np.uint8))
    with pytest.raises(CorruptArchiveError):
        scatter([a, b], np.array([1, 0, 1, 1, 0]), cap=3)
    assert blank_where(b, np.array([True, False, True])).tolist() == [b"", b"b", b""]
    assert equals_where(coded([b"1", b"0", b"10"], [0, 2, 1, 0]), b"1").tolist() == [True, False, False, True]


def test_join_lines():
    lines = ByteColumn.from_list([b"a", b"", b"c\r"])
    assert join_lines(lines, None, 0, b"", 3, 100) == b"a\n\nc\r\n"
    assert join_lines(lines, None, 1, b"", 2, 100) == b"a\r\n\r\nc\r"
    assert join_lines(lines, None, 2, bytes([0b01000000]), 3, 100) == b"a\n\r\nc\r\n"
    other = coded([b"x"], [0, 0])
    assert join_lines([lines, other], np.array([1, 0, 0, 1, 0]), 2, bytes([0b10100000]), 4, 100) == \
        b"x\r\na\n\r\nx\nc\r"
    with pytest.raises(CorruptArchiveError):
        join_lines(lines, None, 2, b"", 1, 100)            # no bitmap
    with pytest.raises(CorruptArchiveError):
        join_lines(lines, None, 0, b"", 3, 5)              # 6 bytes
    with pytest.raises(CorruptArchiveError):
        join_lines(lines, None, 0, b"", 4, 100)            # more terminators than lines
