"""Lines and their terminators split and join back byte for byte."""
from hypothesis import given, strategies as st

from logzip.codec._lines import count_newlines
from logzip.codec.lines import ALL_CRLF, ALL_LF, MIXED, join_lines, split_lines

line_bytes = st.binary(max_size=20).map(lambda b: b.replace(b"\n", b""))


@given(st.binary(max_size=2000))
def test_any_bytes_round_trip(raw):
    lines, endings = split_lines(raw)
    assert join_lines(lines, endings) == raw
    assert all(b"\n" not in line for line in lines)


@given(st.lists(st.tuples(line_bytes, st.sampled_from([b"\n", b"\r\n"])), max_size=50), line_bytes)
def test_line_structures_round_trip(pairs, tail):
    raw = b"".join(line + end for line, end in pairs) + tail
    lines, endings = split_lines(raw)
    assert join_lines(lines, endings) == raw
    assert len(lines) == len(pairs) + (1 if tail else 0)


def test_modes_and_terminators_are_stripped():
    assert split_lines(b"a\nb\n") == ([b"a", b"b"], bytes((ALL_LF, 0)))
    assert split_lines(b"a\r\nb\r\n") == ([b"a", b"b"], bytes((ALL_CRLF, 0)))
    lines, endings = split_lines(b"a\r\nb\nc")
    assert lines == [b"a", b"b", b"c"] and endings[:2] == bytes((MIXED, 1))


def test_lone_carriage_returns_stay_in_the_line():
    raw = b"a\rb\n\r\n\r"
    lines, endings = split_lines(raw)
    assert lines == [b"a\rb", b"", b"\r"]
    assert join_lines(lines, endings) == raw


@given(st.binary(max_size=2000), st.integers(0, 600))
def test_count_newlines(raw, newlines):
    """Runs of 255 bytes are summed in one byte: the count must not wrap at 256 newlines."""
    raw = raw + b"\n" * newlines + raw
    assert count_newlines(raw) == raw.count(b"\n")
    assert count_newlines(bytearray(raw)) == raw.count(b"\n")
