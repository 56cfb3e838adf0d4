"""Typed column encoding: a table of byte-string columns to one compressed, self-describing blob.

Every column is encoded by what it holds, chosen per column (recursively for the parts):

    CONST     every value the same
    INT       decimal (or hex) integers, leading zeros kept in a padding column; stored as
              fixed-width little-endian numbers after an optional delta and zigzag
    DICT      few distinct values: a table of them plus an id per row
    SHAPE     values made of digit runs in a few skeletons ('blk_-%', '%.%.%.%:%'): a skeleton id
              per row and, per skeleton, a sub-table of its digit runs
    LINES     anything else without b'\\n': newline-joined
    CHUNKS    anything else: lengths plus concatenated bytes

Blob: version/method byte, then the payload, raw or as one zstd frame (after its size):
varint n_columns, varint n_rows, then each column as kind byte + its data.
"""
import re
from typing import List

import numpy as np
import zstandard

from logzip.errors import CorruptArchiveError

VERSION = 1
_RAW, _ZSTD = 0, 1
CONST, INT, DICT, SHAPE, LINES, CHUNKS = range(6)

MAX_ROWS = 1 << 26          # no corrupt count may make the decoder allocate more
_MAX_DEPTH = 6
_DIGITS = re.compile(rb"[0-9]+")
_DECIMAL = re.compile(rb"-?[0-9]{1,19}")
_HEX = re.compile(rb"[0-9a-f]{1,15}")
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def encode_table(columns: List[List[bytes]], level: int = 19) -> bytes:
    """Encode equal-length columns of bytes into a compressed blob (see decode_table)."""
    rows = len(columns[0]) if columns else 0
    if any(len(column) != rows for column in columns):
        raise ValueError("all columns of a table must have the same length")
    out = bytearray()
    _put_varint(out, len(columns))
    _put_varint(out, rows)
    for column in columns:
        _encode_column(out, column, 0)
    payload = bytes(out)
    compressed = zstandard.ZstdCompressor(level=level).compress(payload)
    if len(compressed) + 1 < len(payload):
        head = bytearray((VERSION << 4 | _ZSTD,))
        _put_varint(head, len(payload))
        return bytes(head) + compressed
    return bytes((VERSION << 4 | _RAW,)) + payload


def decode_table(blob: bytes) -> List[List[bytes]]:
    """Decode a blob made by encode_table; CorruptArchiveError if it is damaged."""
    if not blob:
        raise CorruptArchiveError("corrupt column table: empty")
    version, method = blob[0] >> 4, blob[0] & 15
    if version != VERSION or method not in (_RAW, _ZSTD):
        raise CorruptArchiveError(f"corrupt column table: unknown version/method byte {blob[0]:#x}")
    if method == _ZSTD:
        head = _Reader(blob, 1)
        size = head.varint()
        payload = _decompress(blob[head.pos:], size)
    else:
        payload = bytes(blob[1:])
    reader = _Reader(payload)
    n_columns, rows = reader.varint(), reader.varint()
    if n_columns > len(payload) or n_columns * max(rows, 1) > MAX_ROWS:
        raise CorruptArchiveError(f"corrupt column table: {n_columns} columns of {rows} rows")
    columns = [_decode_column(reader, rows, 0) for _ in range(n_columns)]
    if reader.pos != len(payload):
        raise CorruptArchiveError("corrupt column table: trailing bytes")
    return columns


# -- choosing and writing a column's encoding

def _encode_column(out: bytearray, column: List[bytes], depth: int) -> None:
    rows = len(column)
    first = column[0] if rows else b""
    if rows == 0 or column.count(first) == rows:
        out.append(CONST)
        _put_bytes(out, first)
        return
    ints = _parse_ints(column)
    if ints is not None:
        out.append(INT)
        _put_ints(out, *ints)
        return
    distinct = dict.fromkeys(column)
    if len(distinct) * 2 <= rows:
        out.append(DICT)
        values = list(distinct)
        _put_varint(out, len(values))
        _encode_column(out, values, depth + 1)
        ids = {value: i for i, value in enumerate(values)}
        _put_int_array(out, np.array([ids[v] for v in column], dtype=np.int64))
        return
    if depth < _MAX_DEPTH and _encode_shape(out, column, depth):
        return
    if not any(b"\n" in value for value in column):
        out.append(LINES)
        _put_bytes(out, b"\n".join(column))
        return
    out.append(CHUNKS)
    _put_int_array(out, np.fromiter(map(len, column), dtype=np.int64, count=rows))
    _put_bytes(out, b"".join(column))


def _parse_ints(column: List[bytes]):
    """(base, values, pads) if every value is a decimal or lowercase-hex integer, else None.

    pads[i] is how many leading zeros value i has beyond its natural spelling.
    """
    for base, pattern in ((10, _DECIMAL), (16, _HEX)):
        fullmatch = pattern.fullmatch
        if not all(map(fullmatch, column)):
            continue
        values = [int(v, base) for v in column]
        if base == 10:
            if min(values) < _INT64_MIN or max(values) > _INT64_MAX:
                return None
            if any(v == 0 and text[:1] == b"-" for v, text in zip(values, column)):
                return None          # '-0' cannot be told apart from '0'
            natural = [b"%d" % v for v in values]
        else:
            natural = [b"%x" % v for v in values]
        pads = np.fromiter((len(t) - len(n) for t, n in zip(column, natural)), dtype=np.int64,
                           count=len(column))
        array = np.array(values, dtype=np.int64)
        return base, array, pads
    return None


def _encode_shape(out: bytearray, column: List[bytes], depth: int) -> bool:
    """Write a SHAPE column if its values share a few skeletons around digit runs."""
    skeletons = {}          # text between the digit runs -> skeleton id
    skeleton_ids = []
    runs_by_skeleton = []   # per skeleton, the digit runs of each of its values
    split, find = _DIGITS.split, _DIGITS.findall
    most = min(255, len(column) // 16 + 1)
    for value in column:
        skeleton = tuple(split(value))
        sid = skeletons.get(skeleton)
        if sid is None:
            if len(skeletons) == most:
                return False
            sid = skeletons[skeleton] = len(skeletons)
            runs_by_skeleton.append([])
        skeleton_ids.append(sid)
        runs_by_skeleton[sid].append(find(value))
    if all(len(skeleton) == 1 or skeleton == (b"", b"") for skeleton in skeletons):
        return False        # no digit runs, or only bare numbers: nothing to split
    out.append(SHAPE)
    _put_varint(out, len(skeletons))
    for skeleton in skeletons:
        _put_varint(out, len(skeleton))
        for text in skeleton:
            _put_bytes(out, text)
    _put_int_array(out, np.array(skeleton_ids, dtype=np.int64))
    for runs in runs_by_skeleton:
        for part in zip(*runs):
            _encode_column(out, list(part), depth + 1)
    return True


# -- integer arrays

def _put_ints(out: bytearray, base: int, values: np.ndarray, pads: np.ndarray) -> None:
    out.append(base)
    _put_int_array(out, values)
    if pads.any():
        out.append(1)
        _put_int_array(out, pads)
    else:
        out.append(0)


def _put_int_array(out: bytearray, values: np.ndarray) -> None:
    """Write int64 values as fixed-width little-endian unsigned numbers after a transform.

    Flags byte: bit 4 = delta (zigzagged differences from the first value), else frame of
    reference (offsets from the minimum); low nibble = byte width (1..8).  Then the base (first
    value or minimum, zigzag varint) and the numbers as byte planes (all lowest bytes first):
    that compresses better than whole numbers or varints on counters and random values alike.
    """
    if not len(values):
        out += b"\x01\x00"
        return
    base = values.min()
    offsets = values.view(np.uint64) - values[values.argmin():][:1].view(np.uint64)
    offset_width = _width(int(offsets.max()))
    deltas = _zigzag(np.diff(values, prepend=values[:1]))
    delta_width = _width(int(deltas.max()))
    use_delta = delta_width < offset_width
    if use_delta:
        base, encoded, width = values[0], deltas, delta_width
    else:
        encoded, width = offsets, offset_width
    out.append(use_delta << 4 | width)
    _put_varint(out, int(_zigzag(np.array([base], dtype=np.int64))[0]))
    out += encoded.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :width].T.tobytes()


def _zigzag(values: np.ndarray) -> np.ndarray:
    return ((values << 1) ^ (values >> 63)).view(np.uint64)


def _unzigzag(encoded: np.ndarray) -> np.ndarray:
    encoded = encoded.astype(np.uint64)
    return ((encoded >> np.uint64(1)) ^ (np.uint64(0) - (encoded & np.uint64(1)))).view(np.int64)


def _width(top: int) -> int:
    return max(1, (top.bit_length() + 7) // 8)


# -- reading

class _Reader:
    __slots__ = ("payload", "pos")

    def __init__(self, payload: bytes, pos: int = 0):
        self.payload, self.pos = payload, pos

    def byte(self) -> int:
        if self.pos >= len(self.payload):
            raise CorruptArchiveError("corrupt column table: truncated")
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
                raise CorruptArchiveError("corrupt column table: varint too long")

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.payload):
            raise CorruptArchiveError("corrupt column table: truncated")
        data = self.payload[self.pos:end]
        self.pos = end
        return data

    def bytes(self) -> bytes:
        return self.take(self.varint())

    def int_array(self, count: int) -> np.ndarray:
        """Read what _put_int_array wrote (count numbers)."""
        flags = self.byte()
        use_delta, width = flags >> 4, flags & 15
        if not 1 <= width <= 8 or use_delta > 1:
            raise CorruptArchiveError("corrupt column table: bad integer array header")
        base = _unzigzag(np.array([self.varint()], dtype=np.uint64))
        planes = np.frombuffer(self.take(count * width), dtype=np.uint8).reshape(width, count)
        matrix = np.zeros((count, 8), dtype=np.uint8)
        matrix[:, :width] = planes.T
        encoded = matrix.view("<u8").ravel()
        if use_delta:
            values = np.cumsum(_unzigzag(encoded), dtype=np.int64)
            values += base[0]
            return values
        return (encoded + base.view(np.uint64)[0]).view(np.int64)


def _decode_column(reader: _Reader, rows: int, depth: int) -> List[bytes]:
    if depth > _MAX_DEPTH:
        raise CorruptArchiveError("corrupt column table: nested too deeply")
    kind = reader.byte()
    if kind == CONST:
        return [reader.bytes()] * rows
    if kind == INT:
        return _decode_ints(reader, rows)
    if kind == DICT:
        n_values = reader.varint()
        if n_values > rows:
            raise CorruptArchiveError("corrupt column table: dictionary larger than its column")
        values = _decode_column(reader, n_values, depth + 1)
        ids = reader.int_array(rows)
        if rows and (ids.min() < 0 or ids.max() >= n_values):
            raise CorruptArchiveError("corrupt column table: dictionary id out of range")
        return [values[i] for i in ids.tolist()]
    if kind == SHAPE:
        return _decode_shape(reader, rows, depth)
    if kind == LINES:
        values = reader.bytes().split(b"\n")
        if len(values) != rows:
            raise CorruptArchiveError("corrupt column table: line count mismatch")
        return values
    if kind == CHUNKS:
        lengths = reader.int_array(rows)
        data = reader.bytes()
        if (rows and lengths.min() < 0) or int(lengths.sum()) != len(data):
            raise CorruptArchiveError("corrupt column table: chunk lengths mismatch")
        ends = np.cumsum(lengths).tolist()
        return [data[start:end] for start, end in zip([0] + ends, ends)]
    raise CorruptArchiveError(f"corrupt column table: unknown column kind {kind}")


def _decode_ints(reader: _Reader, rows: int) -> List[bytes]:
    base = reader.byte()
    if base not in (10, 16):
        raise CorruptArchiveError("corrupt column table: bad integer base")
    values = reader.int_array(rows).tolist()
    has_pads = reader.byte()
    spell = b"%d" if base == 10 else b"%x"
    if base == 16 and any(v < 0 for v in values):
        raise CorruptArchiveError("corrupt column table: negative hex value")
    texts = [spell % v for v in values]
    if has_pads:
        pads = reader.int_array(rows).tolist()
        if any(p < 0 or p > 64 for p in pads):
            raise CorruptArchiveError("corrupt column table: bad integer padding")
        texts = [_pad(t, p) if p else t for t, p in zip(texts, pads)]
    return texts


def _pad(text: bytes, pad: int) -> bytes:
    if text[:1] == b"-":
        return b"-" + b"0" * pad + text[1:]
    return b"0" * pad + text


def _decode_shape(reader: _Reader, rows: int, depth: int) -> List[bytes]:
    n_skeletons = reader.varint()
    if n_skeletons > max(rows, 1):
        raise CorruptArchiveError("corrupt column table: too many skeletons")
    formats = []
    for _ in range(n_skeletons):
        n_texts = reader.varint()
        if not 1 <= n_texts <= len(reader.payload):
            raise CorruptArchiveError("corrupt column table: bad skeleton")
        formats.append(b"%s".join(reader.bytes().replace(b"%", b"%%") for _ in range(n_texts)))
    ids = reader.int_array(rows)
    if rows and (ids.min() < 0 or ids.max() >= n_skeletons):
        raise CorruptArchiveError("corrupt column table: skeleton id out of range")
    counts = np.bincount(ids, minlength=n_skeletons).tolist() if rows else [0] * n_skeletons
    rendered = []
    for fmt, count in zip(formats, counts):
        parts = [_decode_column(reader, count, depth + 1) for _ in range(fmt.count(b"%s"))]
        rendered.append([fmt % row for row in zip(*parts)] if parts else [fmt % ()] * count)
    if n_skeletons == 1:
        return rendered[0]
    iterators = [iter(values) for values in rendered]
    return [next(iterators[i]) for i in ids.tolist()]


# -- small helpers

def _put_varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)


def _put_bytes(out: bytearray, data: bytes) -> None:
    _put_varint(out, len(data))
    out += data


def _decompress(frame: bytes, size: int) -> bytes:
    """Decompress a zstd frame that must give exactly `size` bytes, never allocating more."""
    try:
        with zstandard.ZstdDecompressor().stream_reader(frame) as stream:
            payload = stream.read(size + 1)
    except zstandard.ZstdError as error:
        raise CorruptArchiveError(f"corrupt column table: {error}") from None
    if len(payload) != size:
        raise CorruptArchiveError("corrupt column table: size mismatch")
    return payload
