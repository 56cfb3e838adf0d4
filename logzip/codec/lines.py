"""Lines and their exact terminators: ``bytes`` ⇄ (lines, endings).

A line is what lies between two b"\\n"; its terminator is b"\\n" or b"\\r\\n",
and the last line of the input may have none. The endings are kept in a few
bytes: one mode byte (all LF, all CRLF, or mixed with a bitmap of the CRLF
lines), one byte saying whether the input ends with an unterminated line.
"""
from ..errors import CorruptArchiveError
from . import strings
from ._lines import split_mixed
from .strings import MAX_BYTES, ByteColumn

ALL_LF, ALL_CRLF, MIXED = 0, 1, 2


def split_lines(raw: bytes):
    """Split ``raw`` into lines without terminators and the encoded endings."""
    n_crlf = raw.count(b"\r\n")
    if n_crlf and n_crlf != raw.count(b"\n"):
        lines, bitmap = split_mixed(bytes(raw))
        return lines, bytes((MIXED, not raw.endswith(b"\n"))) + bitmap
    lines = raw.split(b"\r\n" if n_crlf else b"\n")
    tail = lines.pop()
    if tail:
        lines.append(tail)
    return lines, bytes((ALL_CRLF if n_crlf else ALL_LF, 1 if tail else 0))


def join_lines(lines, endings: bytes, cap: int = MAX_BYTES, ids=None) -> bytes:
    """Inverse of :func:`split_lines`; ``lines`` a list of ``bytes`` or a
    :class:`~logzip.codec.strings.ByteColumn`, or, with ``ids``, columns whose rows ``ids``
    interleaves (see :func:`~logzip.codec.strings.scatter`); the text at most ``cap`` bytes."""
    if len(endings) < 2 or endings[0] > MIXED or endings[1] > 1:
        raise CorruptArchiveError("corrupt archive: bad line endings record")
    if ids is None and not isinstance(lines, ByteColumn):
        lines = ByteColumn.from_list(lines)
    n_terminated = (len(lines) if ids is None else len(ids)) - endings[1]
    if n_terminated < 0:
        raise CorruptArchiveError("corrupt archive: line count disagrees with endings")
    return strings.join_lines(lines, ids, endings[0], endings[2:], n_terminated, cap)


def uniform_terminator(endings: bytes):
    """``(terminator, has_tail)`` when every terminated line ends alike, else None; a caller
    can then write ``line + terminator`` for every line, and drop the last terminator when
    ``has_tail`` (the input's last line had none)."""
    if len(endings) < 2 or endings[0] not in (ALL_LF, ALL_CRLF) or endings[1] > 1:
        return None
    return (b"\r\n" if endings[0] == ALL_CRLF else b"\n"), bool(endings[1])
