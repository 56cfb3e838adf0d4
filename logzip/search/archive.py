"""An archive searched in its streams: every ``.logz`` archive, with or without ``--index``.

:class:`StreamArchive` answers like an :class:`fmindex.Corpus` of lines (count, locate,
hits, line, lines_of, ...), exactly, from the blocks' own streams: a block is parsed
into its pieces (:mod:`logzip.search.layout`) when a query first needs it, and kept
while the parsed blocks fit in ``cache_bytes``. The blocks are searched in order, each
from the automaton state the previous one left, so matches across block boundaries
(and across the members of a concatenated archive) count like the others.
"""
import builtins
import mmap
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterator, List, Optional

import numpy as np

from fmindex import Hit
from fmindex.index import as_pattern

from ..codec import general
from ..codec.block import STRUCTURED, StoredBlock, payload_summary
from ..codec.summary import EDGE, byte_pairs
from ..container import crc32, iter_members
from ..errors import CorruptArchiveError
from ._scan import Automaton, match_ends, scan_text
from .blocks import TextBlock, StreamBlock
from .layout import block_layout

CACHE_BYTES = 1 << 30
HIT_CHUNK = 1 << 16     # occurrences made Hits at once by iter_hits
_NO_MATCH = np.zeros(0, dtype=np.int64)
TIER = "streams (no index: exact search in the compressed streams)"


@dataclass(frozen=True)
class StoredBlockRef:
    """Where a block's payload lies, and what the block says of itself."""

    offset: int
    length: int
    crc: int
    raw_offset: int
    raw_len: int
    raw_crc: int
    first_line: int     # global number of the block's first line (the b"\n" before it)
    n_newlines: int

    @property
    def n_lines(self) -> int:
        """The b"\\n" in the block, as a container block header names them
        (so that :func:`logzip.pipeline.decompress_block` checks a block read through its ref)."""
        return self.n_newlines


class StreamArchive:
    """A ``.logz`` archive (all its members) queried as one text of lines."""

    kind = "lines"
    names: List[str] = []
    doc_starts = None
    tier = TIER

    def __init__(self, path, cache_bytes: int = CACHE_BYTES):
        self.source = os.fspath(path)
        self.blocks = block_refs(self.source)
        self._length = sum(b.raw_len for b in self.blocks)
        self._raw_starts = np.array([b.raw_offset for b in self.blocks], dtype=np.int64)
        self._first_lines = np.array([b.first_line for b in self.blocks], dtype=np.int64)
        self._last_lines = self._first_lines + np.array([b.n_newlines for b in self.blocks], dtype=np.int64)
        self._n_lines = None
        self._file = builtins.open(self.source, "rb")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if self.blocks else None
        self._cache: "OrderedDict[int, object]" = OrderedDict()
        self._summaries: dict = {}
        self._verified: set = set()   # blocks whose payload checksum held
        self._cache_bytes, self._cached = cache_bytes, 0

    # ------------------------------------------------------------ context manager

    def close(self) -> None:
        if self._file is not None:
            self._cache.clear()
            if self._map is not None:
                self._map.close()
            self._file.close()
            self._file = self._map = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------ sizes

    def __len__(self) -> int:
        return self._length

    @property
    def n_lines(self) -> int:
        """Lines of the text, a last one without terminator included."""
        if self._n_lines is None:
            n = sum(b.n_newlines for b in self.blocks)
            self._n_lines = n + (1 if self.blocks and self._ends_open() else 0)
        return self._n_lines

    @property
    def n_docs(self) -> int:
        return self.n_lines

    @property
    def nbytes(self) -> int:
        """Bytes that search adds to the archive: none."""
        return 0

    # ------------------------------------------------------------ queries

    def count(self, pattern) -> int:
        return self.counts([pattern])[0]

    def counts(self, patterns, blocks: Optional[range] = None) -> List[int]:
        """The count of every pattern, reading each block once (and not at all where its
        summary rules the pattern out). ``blocks``: only the text of these consecutive blocks,
        as if it stood alone (the matches inside it), for work split across processes."""
        automata = [Automaton(self._pattern(p)) for p in patterns]
        pairs = [byte_pairs(a.pattern) for a in automata]
        totals, states = [0] * len(automata), [0] * len(automata)
        for number in range(len(self.blocks)) if blocks is None else blocks:
            for k, automaton in enumerate(automata):
                passed = self._pass_by(number, pairs[k], automaton, states[k])
                if passed is not None:
                    found, states[k] = len(passed[0]), passed[1]
                else:
                    found, states[k] = self._block(number).count(automaton, states[k])
                totals[k] += found
        return totals

    def locate(self, pattern, limit: Optional[int] = None, first: bool = True,
               blocks: Optional[range] = None) -> np.ndarray:
        """Sorted offsets of the occurrences, the first ``limit`` ones (all by default);
        ``blocks``: only those inside these consecutive blocks, as :meth:`counts` has it."""
        found = list(self._starts_by_block(Automaton(self._pattern(pattern)), limit, blocks))
        offsets = np.concatenate(found).astype(np.uint64) if found else np.zeros(0, dtype=np.uint64)
        return offsets[:limit] if limit is not None else offsets

    def hits(self, pattern, limit: Optional[int] = None, first: bool = True) -> List[Hit]:
        return self.hits_at(self.locate(pattern, limit, first))

    def iter_hits(self, pattern, first: bool = True) -> Iterator[Hit]:
        """Every occurrence as a Hit, in text order, lazily: memory holds one block's offsets
        (8 bytes an occurrence) and a chunk of Hits, whatever the number of occurrences."""
        for offsets in self._starts_by_block(Automaton(self._pattern(pattern))):
            for start in range(0, len(offsets), HIT_CHUNK):
                yield from self.hits_at(offsets[start:start + HIT_CHUNK])

    def _starts_by_block(self, automaton: Automaton, limit: Optional[int] = None,
                         blocks: Optional[range] = None) -> Iterator[np.ndarray]:
        """The archive offsets where matches start, block by block (those of blocks with some),
        until ``limit`` are found. A block is read only when the one before is done."""
        pairs = byte_pairs(automaton.pattern)
        state, total = 0, 0
        for number in range(len(self.blocks)) if blocks is None else blocks:
            ref = self.blocks[number]
            if limit is not None and total >= limit:
                return
            passed = self._pass_by(number, pairs, automaton, state)
            if passed is None:
                passed = self._block(number).locate(automaton, state, None if limit is None else limit - total)
            starts, state = passed
            if len(starts):
                total += len(starts)
                yield starts + ref.raw_offset

    def hits_at(self, offsets) -> List[Hit]:
        """The hits at text ``offsets`` (sorted): their lines and offsets in them."""
        offsets = np.asarray(offsets, dtype=np.uint64)
        lines = self.lines_of(offsets)
        in_line = offsets.astype(np.int64) - self.line_starts(lines)
        return [Hit(o, k, d, k + 1) for o, k, d in zip(offsets.tolist(), lines.tolist(), in_line.tolist())]

    def lines_of(self, offsets) -> np.ndarray:
        """Global 0-based line number of each offset."""
        offsets = np.asarray(offsets, dtype=np.int64)
        out = np.empty(len(offsets), dtype=np.int64)
        owners = np.maximum(np.searchsorted(self._raw_starts, offsets, side="right") - 1, 0)
        for number in np.unique(owners).tolist():
            mine = owners == number
            starts = self._block(number).line_starts()
            local = offsets[mine] - self.blocks[number].raw_offset
            out[mine] = np.searchsorted(starts, local, side="right") - 1 + self.blocks[number].first_line
        return out

    def line_start(self, line: int) -> int:
        """Offset of global 0-based ``line`` (len(self) past the last one); one line at a time
        costs a few microseconds, :meth:`line_starts` does many at once."""
        if line >= self.n_lines:
            return self._length
        number = int(self._first_holder(line))
        ref, block = self.blocks[number], self._block(number)
        local = line - ref.first_line
        return ref.raw_offset + (int(block.line_starts()[local]) if local < block.n_lines else ref.raw_len)

    def line_starts(self, lines) -> np.ndarray:
        """:meth:`line_start` of each line, block by block. A line cut between blocks starts in
        the first block that holds part of it."""
        lines = np.asarray(lines, dtype=np.int64)
        out = np.full(len(lines), self._length, dtype=np.int64)
        inside = lines < self.n_lines
        numbers = self._first_holder(lines[inside])
        local = lines[inside] - self._first_lines[numbers]
        for number in np.unique(numbers).tolist():
            mine = numbers == number
            block = self._block(number)
            here = local[mine] < block.n_lines          # else it starts at the next block's start
            starts = np.where(here, block.line_starts()[np.minimum(local[mine], block.n_lines - 1)],
                              self.blocks[number].raw_len)
            local[mine] = starts + self.blocks[number].raw_offset
        out[inside] = local
        return out

    def line(self, line: int) -> bytes:
        """Global line ``line`` with its terminator (a line cut between blocks comes whole)."""
        number = int(self._first_holder([line])[0])
        parts = []
        while 0 <= number < len(self.blocks) and self.blocks[number].first_line <= line:
            ref, block = self.blocks[number], self._block(number)
            local = line - ref.first_line
            if local < block.n_lines:
                parts.append(block.line(local))
            if local < ref.n_newlines:
                break
            number += 1
        return b"".join(parts)

    def lines(self, lines) -> List[bytes]:
        """Global lines ``lines`` (sorted), each with its terminator, rendered block by block."""
        lines = np.asarray(lines, dtype=np.int64)
        owners = self._first_holder(lines)
        out = []
        for number in np.unique(owners).tolist():
            ref, block = self.blocks[number], self._block(number)
            local = lines[owners == number] - ref.first_line
            whole = local < ref.n_newlines          # the block's unterminated end may go on
            text, offsets = block.lines(local[whole])
            out += [text[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
            out += [self.line(int(k) + ref.first_line) for k in local[~whole]]
        return out

    def extract(self, start: int, end: int) -> bytes:
        """Text bytes [start, end), from the lines that hold them."""
        start, end = max(0, start), min(end, self._length)
        if start >= end:
            return b""
        first, last = self.lines_of([start, end - 1]).tolist()
        text = b"".join(self.line(k) for k in range(first, last + 1))
        base = self.line_start(first)
        return text[start - base:end - base]

    def doc_name(self, doc: int) -> str:
        return ""

    def verify(self) -> None:
        """Decode every block and check it against its stored checksum."""
        from ..pipeline import decompress_block
        with builtins.open(self.source, "rb") as fileobj:
            for reader in iter_members(fileobj):
                for header, payload in reader.blocks():
                    decompress_block(header, payload)

    # ------------------------------------------------------------ blocks

    def _pattern(self, pattern) -> bytes:
        if self._file is None:
            raise ValueError(f"{self.source}: the archive is closed")
        return as_pattern(pattern.encode("utf-8") if isinstance(pattern, str) else pattern)

    def _pass_by(self, number: int, pairs: np.ndarray, automaton: Automaton, carry: int):
        """``(match starts, state after)`` for a block whose summary says the pattern does not occur
        inside it: only matches begun in the block before end in it, within its first bytes. None
        when the block must be read."""
        m = automaton.m
        if not 2 <= m <= EDGE + 1:
            return None
        summary = self._summary(number)
        if summary is None or summary.may_hold(pairs):
            return None
        ends = match_ends(summary.head[:m - 1], carry, automaton)[0] if carry else _NO_MATCH
        _, state = scan_text(summary.tail[len(summary.tail) - (m - 1):], 0, automaton)
        return ends - (m - 1), state

    def _summary(self, number: int):
        if number not in self._summaries:
            self._summaries[number] = payload_summary(self._payload(number))
        return self._summaries[number]

    def _first_holder(self, lines) -> np.ndarray:
        """The first block that holds part of each line (a block's last line may go on in the next)."""
        return np.searchsorted(self._last_lines, lines, side="left")

    def _payload(self, number: int) -> bytes:
        """Block ``number``'s payload, its checksum verified the first time it is read."""
        ref = self.blocks[number]
        payload = self._map[ref.offset:ref.offset + ref.length]
        if number not in self._verified:
            if crc32(payload) != ref.crc:
                raise CorruptArchiveError("corrupt archive: block payload checksum mismatch")
            self._verified.add(number)
        return payload

    def _ends_open(self) -> bool:
        """Whether the text ends with a line that has no terminator."""
        last = self._block(len(self.blocks) - 1)
        return last.n_lines > self.blocks[-1].n_newlines

    def _block(self, number: int):
        block = self._cache.get(number)
        if block is not None:
            self._cache.move_to_end(number)
            return block
        if self._file is None:
            raise ValueError(f"{self.source}: the archive is closed")
        block = _open_block(self.blocks[number], self._payload(number))
        self._cache[number] = block
        self._cached += block.nbytes
        while self._cached > self._cache_bytes and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= dropped.nbytes
        return block


def block_refs(path: str) -> List[StoredBlockRef]:
    """Where every block of the archive at ``path`` lies, through all its members (headers
    read, payloads skipped)."""
    refs, raw_offset, first_line, member_start = [], 0, 0, 0
    with builtins.open(path, "rb") as fileobj:
        for reader in iter_members(fileobj):
            for header, _ in reader.blocks(with_payload=False):
                refs.append(StoredBlockRef(member_start + header.payload_offset, header.payload_len,
                                           header.payload_crc, raw_offset, header.raw_len,
                                           header.raw_crc, first_line, header.n_lines))
                raw_offset += header.raw_len
                first_line += header.n_lines
            member_start = fileobj.tell()
    return refs


def _open_block(ref: StoredBlockRef, payload: bytes):
    kind, body = payload[:1], payload[1:]
    if kind in general.KINDS:
        text = general.decompress(kind, body, ref.raw_len)
    elif kind == STRUCTURED:
        stored = StoredBlock(body, ref.raw_len)
        layout = block_layout(stored)
        if layout is not None:
            block = StreamBlock(layout)
            if block.line_starts()[-1] != ref.raw_len:
                raise _mismatch()
            return block
        text = stored.decode()
    else:
        raise CorruptArchiveError("corrupt archive: unknown block payload kind")
    if len(text) != ref.raw_len or crc32(text) != ref.raw_crc:
        raise _mismatch()
    return TextBlock(text)


def _mismatch() -> CorruptArchiveError:
    return CorruptArchiveError("corrupt archive: a block does not decode to what was stored")
