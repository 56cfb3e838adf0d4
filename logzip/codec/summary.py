"""What a block's text holds, in a few kilobytes: so that search can pass a block by unread.

A summary is the set of the text's byte pairs (a 65536-bit map, zstd-compressed) and its
first and last :data:`EDGE` bytes. A pattern of two bytes or more that has a pair the
block lacks does not occur inside the block; what it does across the block's edges
(a match begun in the block before, the automaton's state handed to the next block)
is read from the edges. Only blocks of :data:`MIN_BLOCK` bytes and more get one: smaller
ones are parsed in a fraction of a second, and in a small archive a summary would cost
a share of the ratio.

Space: about 1 KB a block (map and edges in one zstd frame, in base64 in the block's
JSON metadata): 0.1-0.3% of a 32 MiB block's payload. Time to make: one pass over the block.
"""
import base64
from dataclasses import dataclass
from typing import Optional

import numpy as np
import zstandard

from ..errors import CorruptArchiveError
from ._summary import mark_pairs

EDGE = 256
MIN_BLOCK = 8 << 20
PAIRS = 1 << 16


@dataclass(frozen=True)
class BlockSummary:
    pairs: np.ndarray   # bool, PAIRS: pairs[a << 8 | b] when bytes a, b follow each other
    head: bytes         # the first EDGE bytes of the block
    tail: bytes         # the last EDGE bytes

    def may_hold(self, pairs: np.ndarray) -> bool:
        """False when a pattern of these :func:`byte_pairs` cannot occur inside the block."""
        return bool(self.pairs[pairs].all())

    def to_json(self) -> str:
        """One zstd frame of the map, the head and the tail (their lengths first), in base64."""
        body = np.packbits(self.pairs).tobytes() + bytes((len(self.head) - 1, len(self.tail) - 1)) \
            + self.head + self.tail
        return base64.b64encode(zstandard.ZstdCompressor(level=19).compress(body)).decode("ascii")

    @classmethod
    def from_json(cls, record: str) -> "BlockSummary":
        size = PAIRS // 8
        try:
            body = zstandard.ZstdDecompressor().decompress(base64.b64decode(record, validate=True),
                                                           max_output_size=size + 2 + 2 * EDGE)
        except (TypeError, ValueError, zstandard.ZstdError):
            raise CorruptArchiveError("corrupt archive: block summary is damaged") from None
        if len(body) < size + 2 or len(body) != size + 2 + body[size] + body[size + 1] + 2:
            raise CorruptArchiveError("corrupt archive: block summary is damaged")
        head_end = size + 3 + body[size]
        pairs = np.unpackbits(np.frombuffer(body, dtype=np.uint8, count=size)).astype(bool)
        return cls(pairs, body[size + 2:head_end], body[head_end:])


def summarize(raw: bytes) -> Optional[BlockSummary]:
    """The summary of a block's text, or None for a block too small to need one."""
    if len(raw) < MIN_BLOCK:
        return None
    pairs = np.zeros(PAIRS, dtype=np.uint8)
    mark_pairs(memoryview(raw).cast("B"), pairs)
    return BlockSummary(pairs.view(bool), bytes(raw[:EDGE]), bytes(raw[-EDGE:]))


def pair_bits(data) -> np.ndarray:
    """The pairs of adjacent bytes of ``data`` as 65,536 packed bits: pair a << 8 | b is bit
    b & 7 of byte a << 5 | b >> 3 (``np.packbits(..., bitorder="little")``)."""
    present = np.zeros(PAIRS, dtype=np.uint8)
    mark_pairs(memoryview(data).cast("B"), present)
    return np.packbits(present, bitorder="little")


def byte_pairs(data) -> np.ndarray:
    """Every pair of adjacent bytes a, b of ``data`` as the number a << 8 | b (in order, repeated)."""
    codes = np.frombuffer(data, dtype=np.uint8).astype(np.int32)
    return (codes[:-1] << 8) | codes[1:]
