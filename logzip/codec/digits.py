"""Long runs of decimal digits packed at 10 bits for 3 digits (3.33 bits a digit; ideal 3.32).

A random digit carries log2(10) bits, yet byte coders pay for it in their slowest mode: zstd -19
and LZMA -9e run at about 1 MB/s on 1000-digit numbers and reach 3.4-3.5 bits a digit, bzip2
3.44 at 15 MB/s. Here each run of at least ``MIN_RUN`` digits leaves the text; the runs, joined,
are cut into triples (0..999), four triples to five bytes. The text without them (``rest``) and
where each run was go through a general coder. Layout of a body::

    u32 n_runs, u32 len(places), places: zstd of u32 pairs (gap in rest before the run, run length),
    packed digits (their length follows from the run lengths), rest's payload (kind byte first)
"""
import re
import struct

import numpy as np
import zstandard

from ..errors import CorruptArchiveError

MIN_RUN = 32
_RUN = re.compile(rb"[0-9]{%d,}" % MIN_RUN)
_HEAD = struct.Struct("<II")


def runs(data: bytes) -> list:
    """The ``(start, end)`` of every run of at least ``MIN_RUN`` digits in ``data``."""
    return [match.span() for match in _RUN.finditer(data)]


def split(data: bytes, spans: list):
    """``(rest, places, digits)``: ``data`` without the runs at ``spans``, each run's
    (gap in rest before it, length) as u32 pairs, and the runs' digits joined."""
    view = memoryview(data)
    pieces, places, previous = [], [], 0
    for start, end in spans:
        pieces.append(view[previous:start])
        places += (start - previous, end - start)
        previous = end
    pieces.append(view[previous:])
    digits = b"".join(view[start:end] for start, end in spans)
    return b"".join(pieces), np.asarray(places, dtype="<u4"), digits


def pack(digits: bytes) -> bytes:
    """ASCII digits -> 10 bits for each triple, four triples in five bytes (zero-padded)."""
    d = np.frombuffer(digits, dtype=np.uint8) - 48
    d = np.concatenate([d, np.zeros(-len(d) % 12, dtype=np.uint8)]).astype(np.uint64)
    triples = (d[0::3] * 100 + d[1::3] * 10 + d[2::3]).reshape(-1, 4)
    words = (triples[:, 0] << 30) | (triples[:, 1] << 20) | (triples[:, 2] << 10) | triples[:, 3]
    return words.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 3:].tobytes()


def packed_size(n_digits: int) -> int:
    return (n_digits + 11) // 12 * 5


def unpack(packed: bytes, n_digits: int) -> bytes:
    """Inverse of :func:`pack` for ``n_digits`` digits."""
    rows = np.frombuffer(packed, dtype=np.uint8).reshape(-1, 5)
    words = np.zeros((len(rows), 8), dtype=np.uint8)
    words[:, 3:] = rows
    words = words.view(">u8").ravel().astype(np.uint64)
    triples = np.stack([(words >> shift) & 1023 for shift in (30, 20, 10, 0)], axis=1).ravel()
    if triples.max(initial=0) > 999:
        raise CorruptArchiveError("corrupt archive: a packed digit triple above 999")
    d = np.stack([triples // 100, triples // 10 % 10, triples % 10], axis=1).ravel()[:n_digits]
    return (d.astype(np.uint8) + 48).tobytes()


def compress(data: bytes, spans: list, rest_payload) -> bytes:
    """The body of ``data`` with the digit runs at ``spans`` packed (``rest_payload``: bytes ->
    the general payload of the text without them)."""
    rest, places, digits = split(data, spans)
    coded = zstandard.ZstdCompressor(level=19).compress(places.tobytes())
    return _HEAD.pack(len(spans), len(coded)) + coded + pack(digits) + rest_payload(rest)


def decompress(body: bytes, cap: int, rest_decompress) -> bytes:
    """Inverse of :func:`compress`, never beyond ``cap`` bytes (``rest_decompress``:
    (payload, cap) -> the text without the runs)."""
    if len(body) < _HEAD.size:
        raise CorruptArchiveError("corrupt archive: a digit payload is cut short")
    n_runs, n_coded = _HEAD.unpack_from(body)
    start = _HEAD.size + n_coded
    try:
        raw_places = zstandard.ZstdDecompressor().decompress(body[_HEAD.size:start], max_output_size=8 * n_runs)
    except zstandard.ZstdError as error:
        raise CorruptArchiveError(f"corrupt archive: {error}") from None
    if len(raw_places) != 8 * n_runs or start > len(body):
        raise CorruptArchiveError("corrupt archive: a digit payload's places are cut short")
    places = np.frombuffer(raw_places, dtype="<u4").astype(np.int64).reshape(-1, 2)
    n_digits = int(places[:, 1].sum())
    end = start + packed_size(n_digits)
    if n_digits > cap or end > len(body):
        raise CorruptArchiveError("corrupt archive: a digit payload expands beyond its block")
    digits = unpack(body[start:end], n_digits)
    rest = rest_decompress(body[end:], cap - n_digits)
    if int(places[:, 0].sum()) > len(rest):
        raise CorruptArchiveError("corrupt archive: a digit run placed beyond its text")
    out, at, taken = [], 0, 0
    for gap, length in places.tolist():
        out += (rest[at:at + gap], digits[taken:taken + length])
        at, taken = at + gap, taken + length
    out.append(rest[at:])
    return b"".join(out)
