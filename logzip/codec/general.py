"""General-purpose coders for the blocks where templates do not pay: prose, markup, small inputs.

A block's payload is either its typed streams or the whole block through one of these coders,
named by the payload's kind byte::

    P  zstd (at the archive's level; at most FAST_ZSTD_LEVEL on memoryless data)
    X  LZMA2, raw (no .xz container): one byte log2 of the dictionary size, then the stream
    B  bzip2
    D  long digit runs packed at 3.33 bits a digit, the text around them through one of the others
       (:mod:`logzip.codec.digits`)

Which coder suits a block is judged on a sample, not by running every coder on the whole block
(LZMA at its best settings runs at about 1 MB/s): a small block tries them all; a larger one
compresses its middle ``SAMPLE_BYTES`` with zstd -3, bzip2 and a fast LZMA preset, and only the
coder the sample favours, and only when it may beat the typed streams, compresses the whole block.
Where zstd -3 makes the sample no smaller than ``MEMORYLESS`` of its order-0 entropy and comes
within ``ZSTD_MARGIN`` of bzip2, the data is memoryless (random tokens, words, hashes): the slower
coders would win at most a few percent at a tenth of the speed, and zstd compresses it at its fast
level. Where runs of digits make at least ``DIGIT_SHARE`` of the sample, packing them (D) is
tried on it too: byte coders reach 3.4-3.5 bits a random digit, at 1 MB/s for LZMA and zstd -19.
(A JSON log of random tokens may beat LZMA's fast preset with zstd -3, yet lose to LZMA's
best by a third: the fast preset alone does not tell.)
"""
import bz2
import lzma
from typing import Optional

import numpy as np
import zstandard

from . import digits
from ..errors import CorruptArchiveError

ZSTD, LZMA, BZIP2, DIGITS = b"P", b"X", b"B", b"D"
NAMES = {ZSTD: "zstd", LZMA: "lzma", BZIP2: "bzip2", DIGITS: "digit runs"}
KINDS = tuple(NAMES)
BYTE_CODERS = (ZSTD, LZMA, BZIP2)
TRY_ALL_LIMIT = 64 << 10   # blocks up to this size try every coder: it costs milliseconds
SAMPLE_BYTES = 256 << 10   # one contiguous run: LZMA's gain lies in long matches, spread pieces hide it
# On a sample, LZMA's fast preset 1 compresses to about 1/0.88 of its best preset; bzip2 makes
# English prose 0.75-0.81 of what preset 1 makes, markup and lists 0.85-1.2, logs more: bzip2
# is chosen below BZIP2_MARGIN (it wins prose over LZMA by 10-14% on whole blocks, and loses the
# rest). Both compress a whole block better than its sample (LZMA by up to ~25% on the corpora,
# its long matches are cut off there): the whole block is tried when the sample's estimate comes
# within PROMISE of the typed streams.
FAST_PRESET_GAIN = 0.88
BZIP2_MARGIN = 0.83
BZIP2_FLOOR = 0.7   # below what bzip2 never got on a sample: no need to run it when that cannot win
PROMISE = 1.15
FAST_ZSTD_LEVEL = 3     # ~50-100 MB/s; on entropy-bound data level 19 gains under 1% at 2-3 MB/s
ZSTD_MARGIN = 1.03      # zstd -3 against bzip2 on the sample: random base64 tokens 1.023
MEMORYLESS = 0.95       # zstd -3 within this of the order-0 entropy: its matches find nothing
DIGIT_SHARE = 0.5       # digits in runs of digits.MIN_RUN or more, of a sample's bytes
_MIN_DICT_LOG, _MAX_DICT_LOG = 12, 26   # LZMA dictionary: 4 KiB .. 64 MiB (xz -9's)
_SAMPLE_DICT_LOG = SAMPLE_BYTES.bit_length() - 1
_PIECE = 256 << 10


def compress(kind: bytes, raw: bytes, level: int) -> bytes:
    """The payload of ``raw`` through the coder ``kind`` (kind byte included)."""
    if kind == ZSTD:
        return ZSTD + zstandard.ZstdCompressor(level=level).compress(raw)
    if kind == BZIP2:
        return BZIP2 + in_pieces(bz2.BZ2Compressor(9), raw)
    if kind == DIGITS:
        return DIGITS + digits.compress(raw, digits.runs(raw), lambda rest: general_payload(rest, level, None))
    dict_log = min(_MAX_DICT_LOG, max(_MIN_DICT_LOG, (len(raw) - 1).bit_length()))
    encoder = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=_lzma_filters(dict_log, _lzma_preset(level)))
    return LZMA + bytes([dict_log]) + in_pieces(encoder, raw)


def in_pieces(encoder, data: bytes) -> bytes:
    """``data`` through a bz2 or lzma compressor 256 KiB at a time: one call on a whole block
    runs for seconds without a return to Python, so Ctrl-C and SIGTERM would wait for it."""
    view = memoryview(data)
    out = [encoder.compress(view[start:start + _PIECE]) for start in range(0, len(data), _PIECE)]
    out.append(encoder.flush())
    return b"".join(out)


def decompress(kind: bytes, body: bytes, cap: int) -> bytes:
    """Inverse of :func:`compress` (``body`` without the kind byte), never beyond ``cap`` bytes."""
    if kind == ZSTD:
        from .block import _unzstd      # block imports this module

        return _unzstd(zstandard.ZstdDecompressor(), body, cap)
    if kind == DIGITS:
        return digits.decompress(body, cap, _decompress_payload)
    try:
        if kind == BZIP2:
            decoder = bz2.BZ2Decompressor()
        elif kind == LZMA and body and _MIN_DICT_LOG <= body[0] <= _MAX_DICT_LOG:
            decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_lzma_filters(body[0]))
            body = body[1:]
        else:
            raise CorruptArchiveError("corrupt archive: unknown block payload kind")
        raw = decoder.decompress(body, max_length=cap + 1)
    except (OSError, EOFError, lzma.LZMAError) as error:
        raise CorruptArchiveError(f"corrupt archive: {error}") from None
    if len(raw) > cap:
        raise CorruptArchiveError("corrupt archive: a stream expands beyond its block")
    if not decoder.eof or decoder.unused_data:
        raise CorruptArchiveError("corrupt archive: a block's stream is cut short or overlong")
    return raw


def _decompress_payload(payload: bytes, cap: int) -> bytes:
    """A payload of one of the byte coders (kind byte first), never beyond ``cap`` bytes."""
    if payload[:1] not in BYTE_CODERS:
        raise CorruptArchiveError("corrupt archive: unknown block payload kind")
    return decompress(payload[:1], payload[1:], cap)


def general_payload(raw: bytes, level: int, rival: Optional[int], promise: float = PROMISE) -> Optional[bytes]:
    """The smallest payload a general coder may make of ``raw`` if it can beat ``rival`` bytes
    (the typed streams' payload; None: no rival), else None; see the module's docstring for how
    it is chosen (``promise``: how close to ``rival`` a sample's estimate must come)."""
    if len(raw) <= TRY_ALL_LIMIT:
        return min((compress(kind, raw, level) for kind in BYTE_CODERS), key=len)
    choice = _promising_coder(raw, float("inf") if rival is None else rival * promise)
    if choice is None:
        return None
    kind, fast_zstd = choice
    return compress(kind, raw, min(level, FAST_ZSTD_LEVEL) if fast_zstd else level)


def _promising_coder(raw: bytes, bound: float):
    """``(kind, fast_zstd)``: the coder a sample of ``raw`` favours, and whether zstd's fast level
    does as well as the slower coders; None if its estimate is not below ``bound``."""
    start = max(0, (len(raw) - SAMPLE_BYTES) // 2)
    sample = raw[start:start + SAMPLE_BYTES]
    scale = len(raw) / len(sample)
    zstd = len(zstandard.ZstdCompressor(level=FAST_ZSTD_LEVEL).compress(sample)) * scale
    bzip2 = None
    packed = _digits_estimate(sample) * scale
    if packed < zstd:
        bzip2 = len(bz2.compress(sample, 9)) * scale
        if packed < bzip2:
            return (DIGITS, False) if packed < bound else None
    if zstd >= MEMORYLESS * _order0_bytes(sample) * scale:
        bzip2 = len(bz2.compress(sample, 9)) * scale
        if zstd <= bzip2 * ZSTD_MARGIN:
            return (ZSTD, True) if zstd < bound else None
    fast = len(lzma.compress(sample, format=lzma.FORMAT_RAW, filters=_lzma_filters(_SAMPLE_DICT_LOG, 1))) * scale
    if fast * BZIP2_FLOOR > bound:
        return None
    if bzip2 is None:
        bzip2 = len(bz2.compress(sample, 9)) * scale
    kind, estimate = (BZIP2, bzip2) if bzip2 < fast * BZIP2_MARGIN else (LZMA, fast * FAST_PRESET_GAIN)
    return (kind, False) if estimate < bound else None


def _digits_estimate(sample: bytes) -> float:
    """The bytes :mod:`logzip.codec.digits` would make of ``sample`` (inf: too few digit runs)."""
    spans = digits.runs(sample)
    n_digits = sum(end - start for start, end in spans)
    if n_digits < DIGIT_SHARE * len(sample):
        return float("inf")
    rest, _, _ = digits.split(sample, spans)
    return digits.packed_size(n_digits) + 4 * len(spans) + len(zstandard.ZstdCompressor(level=FAST_ZSTD_LEVEL).compress(rest))


def _order0_bytes(sample: bytes) -> float:
    """The bytes an ideal coder of single bytes (order 0) would make of ``sample``."""
    counts = np.bincount(np.frombuffer(sample, dtype=np.uint8), minlength=256)
    counts = counts[counts > 0]
    return float(-(counts * np.log2(counts / len(sample))).sum() / 8)


def _lzma_preset(level: int) -> int:
    """The LZMA preset for a zstd-style level (1..22): xz -9e at the default 19 and above."""
    return 9 | lzma.PRESET_EXTREME if level >= 19 else min(9, level // 2)


def _lzma_filters(dict_log: int, preset: int = 9) -> list:
    return [{"id": lzma.FILTER_LZMA2, "preset": preset, "dict_size": 1 << dict_log}]
