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


def join_lines(lines, endings: bytes, cap: int = MAX_BYTES) -> bytes:
    """Inverse of :func:`split_lines`; ``lines`` a list of ``bytes`` or a
    :class:`~logzip.codec.strings.ByteColumn`, the text at most ``cap`` bytes."""
    if len(endings) < 2 or endings[0] > MIXED or endings[1] > 1:
        raise CorruptArchiveError("corrupt archive: bad line endings record")
    column = lines if isinstance(lines, ByteColumn) else ByteColumn.from_list(lines)
    n_terminated = len(column) - endings[1]
    if n_terminated < 0:
        raise CorruptArchiveError("corrupt archive: line count disagrees with endings")
    return strings.join_lines(column, endings[0], endings[2:], n_terminated, cap)


def terminator_of_all(endings: bytes):
    """``b"\\n"`` or ``b"\\r\\n"`` when every line, the last included, ends with it, else None:
    then a writer can append it to every line and skip :func:`join_lines`."""
    if len(endings) < 2 or endings[0] not in (ALL_LF, ALL_CRLF) or endings[1] != 0:
        return None
    return b"\r\n" if endings[0] == ALL_CRLF else b"\n"
