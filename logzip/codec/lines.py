"""Lines and their exact terminators: ``bytes`` ⇄ (lines, endings).

A line is what lies between two b"\\n"; its terminator is b"\\n" or b"\\r\\n",
and the last line of the input may have none. The endings are kept in a few
bytes: one mode byte (all LF, all CRLF, or mixed with a bitmap of the CRLF
lines), one byte saying whether the input ends with an unterminated line.
"""
import numpy as np

from ..errors import CorruptArchiveError

ALL_LF, ALL_CRLF, MIXED = 0, 1, 2


def split_lines(raw: bytes):
    """Split ``raw`` into lines without terminators and the encoded endings."""
    n_crlf = raw.count(b"\r\n")
    mode, bitmap = ALL_LF, b""
    if n_crlf and n_crlf == raw.count(b"\n"):
        mode, lines = ALL_CRLF, raw.split(b"\r\n")
    else:
        lines = raw.split(b"\n")
    tail = lines.pop()
    if mode == ALL_LF and n_crlf:
        mode = MIXED
        is_crlf = [line[-1:] == b"\r" for line in lines]
        bitmap = np.packbits(np.array(is_crlf, dtype=bool)).tobytes()
        lines = [line[:-1] if crlf else line for line, crlf in zip(lines, is_crlf)]
    if tail:
        lines.append(tail)
    return lines, bytes((mode, 1 if tail else 0)) + bitmap


def join_lines(lines: list, endings: bytes) -> bytes:
    """Inverse of :func:`split_lines`."""
    if len(endings) < 2 or endings[0] > MIXED or endings[1] > 1:
        raise CorruptArchiveError("corrupt archive: bad line endings record")
    mode, has_tail = endings[0], endings[1]
    n_terminated = len(lines) - has_tail
    if n_terminated < 0:
        raise CorruptArchiveError("corrupt archive: line count disagrees with endings")
    if mode == MIXED:
        bits = np.frombuffer(endings, dtype=np.uint8, offset=2)
        if len(bits) * 8 < n_terminated:
            raise CorruptArchiveError("corrupt archive: line endings bitmap is short")
        is_crlf = np.unpackbits(bits, count=n_terminated).tolist()
        body = b"".join([line + b"\r\n" if crlf else line + b"\n"
                         for line, crlf in zip(lines, is_crlf)])
        if has_tail:
            body += lines[-1]
        return body
    terminator = b"\r\n" if mode == ALL_CRLF else b"\n"
    # One join does it all: an empty last item yields the final terminator.
    return terminator.join(lines if has_tail or not lines else lines + [b""])


def uniform_terminator(endings: bytes):
    """``(terminator, has_tail)`` when every terminated line ends alike, else None; a caller
    can then write ``line + terminator`` for every line, and drop the last terminator when
    ``has_tail`` (the input's last line had none)."""
    if len(endings) < 2 or endings[0] == MIXED:
        return None
    return (b"\r\n" if endings[0] == ALL_CRLF else b"\n"), bool(endings[1])
