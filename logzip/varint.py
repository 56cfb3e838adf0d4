"""Variable-length integers (LEB128) and length-prefixed byte strings, read with bounds checks.

Used by the small self-describing records of the archive (template sets, column
tables); damage raises :class:`CorruptArchiveError`, never an IndexError.
"""
from .errors import CorruptArchiveError


def put_varint(out: bytearray, value: int) -> None:
    """Append the non-negative ``value``, 7 bits a byte, low bits first."""
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def put_bytes(out: bytearray, data: bytes) -> None:
    """Append ``data`` behind its length."""
    put_varint(out, len(data))
    out += data


class VarintReader:
    """Reads what :func:`put_varint` and :func:`put_bytes` wrote; ``what`` names the
    record in error messages ("corrupt {what}: truncated")."""

    __slots__ = ("payload", "pos", "what")

    def __init__(self, payload: bytes, pos: int = 0, what: str = "archive record"):
        self.payload, self.pos, self.what = payload, pos, what

    def corrupt(self, problem: str) -> CorruptArchiveError:
        return CorruptArchiveError(f"corrupt {self.what}: {problem}")

    def byte(self) -> int:
        if self.pos >= len(self.payload):
            raise self.corrupt("truncated")
        self.pos += 1
        return self.payload[self.pos - 1]

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 63:
                raise self.corrupt("varint too long")

    def _skip(self, n: int) -> int:
        """Move past the next ``n`` bytes; where they start."""
        start, end = self.pos, self.pos + n
        if end > len(self.payload):
            raise self.corrupt("truncated")
        self.pos = end
        return start

    def take(self, n: int) -> bytes:
        start = self._skip(n)
        return self.payload[start:self.pos]

    def view(self, n: int) -> memoryview:
        """The next ``n`` bytes, uncopied (large integer planes)."""
        start = self._skip(n)
        return memoryview(self.payload)[start:self.pos]

    def bytes(self) -> bytes:
        return self.take(self.varint())

    def finish(self) -> None:
        if self.pos != len(self.payload):
            raise self.corrupt("trailing bytes")
