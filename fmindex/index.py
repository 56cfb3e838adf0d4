"""One FM-index shard: build it from bytes, serialize it, query it in place.

A shard indexes one text (up to 2**31 - 1 bytes, the reach of the 32-bit
suffix array) and knows its lines; a corpus of several shards is
:class:`fmindex.corpus.Corpus`.
"""
import ctypes
import heapq
import itertools
from typing import Optional

import numpy as np

from . import _core, format
from .errors import CorruptIndexError, PatternError

LOCATE_STEPS = 90          # locate: SA rate and line anchors chosen (_sampling) for at most this
                           # many LF steps per occurrence on average (~25 us)
SA_RATES = tuple(2**k for k in range(4, 13))  # 16 .. 4096 rows per suffix array sample
ISA_RATE = 256             # extract: at most 256 LF steps of overhead per call
SAMPLE_WORDS = 32          # a directory entry every 32 words of 32 digits: 64 would save 0.01 of
                           # the text and count 16-20 % slower (scans cross more mixed words)
TRIE_SHARE = 0.01          # the trigram trie is kept when at most this share of the text
LINE_GROUP = 64            # must match _core.LINE_GROUP
WORD_SAMPLINGS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # powers of two dividing 2048 (a top entry)
DUMMY = -257               # child of a wavelet tree node that no byte reaches
MAX_TEXT = 2**31 - 1


def _width(value: int) -> int:
    return max(1, int(value).bit_length())


def _huffman(freqs: np.ndarray):
    """4-ary Huffman-shaped wavelet tree over the bytes with non-zero ``freqs``.

    Returns (children, codes, code_lens, paths, node_weights, node_counts):
    internal nodes are numbered breadth-first from the root 0, each with four
    children (digits 0..3); a child < 0 is the leaf of byte -(child + 1), or
    DUMMY, a zero-weight leaf that pads the tree to a full 4-ary one. A code
    holds one digit per level, the root's in bits 0-1. node_counts[4 k + d]
    is the number of digits d in the nodes before node k.
    """
    order = itertools.count()
    heap = [(int(freqs[c]), next(order), ("leaf", int(c))) for c in np.flatnonzero(freqs)]
    while len(heap) < 4 or (len(heap) - 1) % 3:
        heap.append((0, next(order), ("dummy",)))
    heapq.heapify(heap)
    while len(heap) > 1:
        merged = [heapq.heappop(heap) for _ in range(4)]
        weight = sum(entry[0] for entry in merged)
        heapq.heappush(heap, (weight, next(order), ("node", [entry[2] for entry in merged],
                                                    [entry[0] for entry in merged])))
    root = heap[0][2]

    internal, queue = [], [root]
    while queue:  # breadth first
        node = queue.pop(0)
        internal.append(node)
        queue.extend(child for child in node[1] if child[0] == "node")
    ids = {id(node): number for number, node in enumerate(internal)}
    children = np.empty(4 * len(internal), dtype=np.int32)
    digit_weights = np.empty((len(internal), 4), dtype=np.uint64)
    for number, node in enumerate(internal):
        for digit, child in enumerate(node[1]):
            children[4 * number + digit] = (ids[id(child)] if child[0] == "node" else
                                            -(child[1] + 1) if child[0] == "leaf" else DUMMY)
        digit_weights[number] = node[2]

    codes = np.zeros(256, dtype=np.uint64)
    code_lens = np.zeros(256, dtype=np.uint8)
    paths = np.zeros((256, 32), dtype=np.int32)

    def walk(node, code, depth, path):
        route = path + [ids[id(node)]]
        for digit, child in enumerate(node[1]):
            branch = code | (digit << (2 * depth))
            if child[0] == "node":
                walk(child, branch, depth + 1, route)
            elif child[0] == "leaf":
                if depth + 1 > 32:
                    raise ValueError("Huffman code longer than 32 digits")
                codes[child[1]], code_lens[child[1]] = branch, depth + 1
                paths[child[1], : depth + 1] = route

    walk(root, 0, 0, [])
    weights = digit_weights.sum(axis=1, dtype=np.uint64)
    node_counts = np.concatenate((np.zeros((1, 4), np.uint64), np.cumsum(digit_weights, axis=0)[:-1]))
    return children, codes, code_lens, paths, weights, node_counts.astype(np.uint64).ravel()


TRIGRAM_TABLES = ("t1off", "t2sym", "t2off", "t3sym", "t3sp", "tshort")


def _trigram_trie(run_rows: np.ndarray, run_codes: np.ndarray, n: int, max_share: float) -> dict:
    """The BWT rows of every trigram of the text, as a trie of sorted bytes.

    t1off[b0]:t1off[b0 + 1] are the bigrams b0 b1 (bytes b1 in t2sym),
    t2off[k]:t2off[k + 1] the trigrams of bigram k (bytes b2 in t3sym), and
    trigram g has rows t3sp[g]:t3sp[g + 1], cut short by a row of tshort (the
    suffixes of 1 and 2 bytes) that falls inside. Backward search starts from
    it, three steps in. A text of too many distinct trigrams (prose) gets no
    trie: t3sp is empty.
    """
    real = run_codes != 0xFFFFFFFF
    codes, starts = run_codes[real], run_rows[real]
    if len(codes) * 5 > max_share * n:  # too many trigrams to pay off: an empty trie
        codes, starts = codes[:0], None
    bigrams, first = np.unique(codes >> 8, return_index=True)
    return {"t1off": np.searchsorted(bigrams >> 8, np.arange(257)).astype(np.uint32),
            "t2sym": (bigrams & 0xFF).astype(np.uint8),
            "t2off": np.append(first, len(codes)).astype(np.uint32),
            "t3sym": (codes & 0xFF).astype(np.uint8),
            "t3sp": np.append(starts, n + 1).astype(np.uint32) if starts is not None else np.zeros(0, np.uint32),
            "tshort": run_rows[~real & (run_rows > 0)].astype(np.uint32)}


def _expected_steps(lengths: np.ndarray, n: int, sa_rate: int, anchors: bool) -> float:
    """Mean LF steps to locate a text position: to a sample (one row in ``sa_rate``
    on average, a geometric wait) or, with ``anchors``, to the start of its line."""
    if not anchors or not n:
        return float(sa_rate)
    q = 1.0 - 1.0 / sa_rate  # a position d bytes into its line stops after min(d + 1, wait) steps
    lengths = lengths.astype(np.float64)
    return float(np.sum(sa_rate * lengths - sa_rate * sa_rate * q * (1.0 - q ** lengths))) / n


def _sampling(starts: np.ndarray, n: int, sa_rate: Optional[int], anchors: Optional[bool],
              steps: float = LOCATE_STEPS):
    """(sa_rate, anchors), the unset ones chosen: the smallest locate structures that take
    at most ``steps`` LF steps per occurrence on average (or the fewest steps, if none
    does). Anchors cost log2(lines) bits a line: they pay on lines of tens of bytes
    or more (logs, prose), not on lists of short words. ``starts``: offset of every line."""
    lengths = np.diff(starts, append=np.uint64(n))
    width, line_bits = _width(n), len(lengths) * _width(len(lengths))
    choices = []
    for rate in SA_RATES if sa_rate is None else (sa_rate,):
        for anchored in (False, True) if anchors is None else (anchors,):
            expected = _expected_steps(lengths, n, rate, anchored)
            bits = -(-n // rate) * width + (line_bits if anchored else 0)
            choices.append((expected > steps, bits if expected <= steps else expected, rate, anchored))
    return min(choices)[2:]


def _line_tables(starts: np.ndarray, n: int):
    """Packed line lengths by groups of LINE_GROUP lines (see _core)."""
    n_lines = len(starts)
    lengths = np.diff(starts, append=np.uint64(n)).astype(np.uint64)
    group_starts = np.arange(0, n_lines, LINE_GROUP)
    offsets = starts[group_starts] if n_lines else np.zeros(0, np.uint64)
    if n_lines:
        longest = np.maximum.reduceat(lengths, group_starts).astype(np.float64)
        widths = np.frexp(longest)[1].clip(1, 64).astype(np.uint8)  # bit lengths
    else:
        widths = np.zeros(0, np.uint8)
    per_line = np.repeat(widths, LINE_GROUP)[:n_lines]
    bit_ends = np.cumsum(per_line, dtype=np.uint64)
    pointers = np.concatenate(([0], bit_ends))[group_starts].astype(np.uint64)
    words = _core.pack_varwidth(lengths, per_line)
    return n_lines, offsets, pointers, widths, words


class FMIndex:
    """Count, locate and extract substrings of one text, from its FM-index.

    Patterns and texts are bytes; every byte value is allowed. Build with
    :meth:`build`, store with :meth:`to_bytes`, reopen zero-copy with
    :meth:`from_buffer` (e.g. on an ``mmap``).

    The tables' checksums are checked on the first query, not on open (open
    stays about a millisecond whatever the size): one CRC32 pass over the
    shard before its first answer, 11 ms for the 29 MB index of the CI logs
    when cached (plus reading it, when not). A table that fails raises
    CorruptIndexError on that query and every later one.
    """

    def __init__(self, params: dict, tables: dict, checksums: dict = None, owner=None):
        self.params = params
        self.tables = tables
        self._checksums = checksums
        self._owner = owner  # keeps the underlying buffer alive
        self._verified = checksums is None  # no checksums: tables built in memory
        self._core = _core.Core(
            stream=tables["stream"], directory=tables["dir"], top=tables["top"],
            sample_words=params["sample_words"], node_starts=tables["nstarts"],
            node_counts=tables["ncounts"], children=tables["children"], codes=tables["codes"],
            code_lens=tables["codelens"], C=tables["C"], n=params["n"],
            dollar_row=params["dollar_row"], sa_words=tables["sa"], sa_width=params["sa_width"],
            sa_rate=params["sa_rate"], isa_words=tables["isa"], isa_width=params["isa_width"],
            isa_rate=params["isa_rate"], feed_words=tables["feeds"], feed_width=_width(params["n_lines"]),
            line_anchors=tables["lanchors"], line_ptrs=tables["lptrs"],
            line_widths=tables["lwidths"], line_words=tables["lwords"], n_lines=params["n_lines"],
            **{key: tables[key] for key in TRIGRAM_TABLES})

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, text, **options) -> "FMIndex":
        """Index ``text`` (bytes-like, < 2 GiB); ``options`` are those of :func:`build_shard`."""
        return cls.from_buffer(build_shard(text, **options))

    @classmethod
    def from_buffer(cls, buffer, offset: int = 0, length: int = None) -> "FMIndex":
        """Open the shard at ``buffer[offset:offset+length]`` without copying it."""
        params, tables, checksums = format.parse(buffer, offset, length)
        _check_structure(params, tables)
        return cls(params, tables, checksums, owner=buffer)

    def to_bytes(self) -> bytes:
        return format.serialize(self.params, self.tables)

    def verify(self) -> None:
        """Check every table against its checksum; raises CorruptIndexError."""
        if self._checksums is not None:
            format.verify(self.tables, self._checksums)
        self._verified = True

    def core(self):
        """The Cython core, its tables' checksums checked first (once)."""
        if not self._verified:
            self.verify()
        return self._core

    # ------------------------------------------------------------ queries

    def __len__(self) -> int:
        return self.params["n"]

    @property
    def n_lines(self) -> int:
        return self.params["n_lines"]

    @property
    def nbytes(self) -> int:
        """Size of the index in bytes (tables only)."""
        return sum(array.nbytes for array in self.tables.values())

    def count(self, pattern) -> int:
        """Occurrences of ``pattern``, overlapping ones included (0 when longer than the text)."""
        return int(self.core().count(as_pattern(pattern)))

    def search(self, pattern):
        """(sp, ep): the BWT rows of the occurrences of a valid pattern."""
        return self.core().search(as_pattern(pattern))

    def locate(self, pattern, limit: int = None, first: bool = False) -> np.ndarray:
        """Sorted start offsets of the occurrences: ``limit`` of them at most, any of them
        (the fastest), or with ``first`` the first ones, which locates every occurrence."""
        sp, ep = self.search(pattern)
        if limit is not None and not first:
            ep = min(ep, sp + max(0, limit))
        positions = self._core.locate_rows(sp, ep)
        positions.sort()
        return positions[:max(0, limit)] if limit is not None else positions

    def extract(self, start: int, end: int) -> bytes:
        """Text bytes [start, end), clipped to the text."""
        n = len(self)
        start, end = max(0, min(start, n)), max(0, min(end, n))
        if start >= end:
            return b""
        return self.core().extract(start, end)

    def lines_of(self, positions) -> np.ndarray:
        """0-based line number of each text offset."""
        return self.core().lines_of(np.ascontiguousarray(positions, dtype=np.uint64))

    def line_start(self, line: int) -> int:
        """Offset of 0-based ``line`` (len(self) for the line after the last)."""
        return int(self.core().line_start(line))

    def line(self, line: int) -> bytes:
        """The bytes of 0-based ``line``, with its end of line."""
        return self.extract(self.line_start(line), self.line_start(line + 1))

    def stats(self) -> dict:
        """Bytes per table, for ``fmsearch info``."""
        return {key: int(array.nbytes) for key, array in self.tables.items()}


def as_pattern(pattern, text_length: int = None) -> bytes:
    """``pattern`` as bytes; PatternError when it is empty or longer than ``text_length`` (when given:
    counts do not give it, a pattern longer than the text simply occurs 0 times)."""
    if type(pattern) is not bytes:  # noqa: E721 - the common case, kept cheap: counts take microseconds
        if isinstance(pattern, str):
            raise TypeError("patterns are bytes; encode str patterns first")
        pattern = bytes(pattern)
    if not pattern:
        raise PatternError("empty pattern")
    if text_length is not None and len(pattern) > text_length:
        raise PatternError(f"pattern of {len(pattern)} bytes is longer than the text ({text_length} bytes)")
    return pattern


def build_shard(text, *, sa_rate: Optional[int] = None, line_anchors: Optional[bool] = None,
                isa_rate: int = ISA_RATE, sample_words: int = SAMPLE_WORDS,
                trie_share: float = TRIE_SHARE) -> bytes:
    """The serialized FM-index of ``text``, its documents being its lines.

    ``sa_rate``: one suffix array sample every that many BWT rows;
    ``line_anchors``: store the line number of every line-feed row, so that
    locate also stops at the start of a line (None: when that makes the index
    smaller, see :func:`_sampling`; both None: chosen together);
    ``isa_rate``: one inverse sample every that many text bytes (extract
    overhead); ``sample_words``: words per rank directory entry;
    ``trie_share``: largest size of the trigram trie, as a share of the text.

    Peak memory is about 4 bytes per text byte on top of the text: the 32-bit
    suffix array, over which the BWT is written; it then shrinks to the BWT
    before the wavelet tree is built.
    """
    if (sa_rate is not None and sa_rate < 1) or isa_rate < 1 or sample_words not in WORD_SAMPLINGS:
        raise ValueError(f"sampling rates must be positive, sample_words one of {WORD_SAMPLINGS}")
    data = np.frombuffer(memoryview(text).cast("B"), dtype=np.uint8)
    n = len(data)
    if n > MAX_TEXT:
        raise ValueError(f"a shard holds at most {MAX_TEXT} bytes, got {n}")
    if sa_rate is None or line_anchors is None:
        sa_rate, line_anchors = _sampling(_core.line_starts(data), n, sa_rate, line_anchors)
    sa = _suffix_array(data)  # the peak: 4 bytes a text byte, nothing else held but the text
    dollar_row, sa_samples, isa_samples, feed_starts, freqs, run_rows, run_codes = _core.build_bwt(
        data, sa, sa_rate, isa_rate)
    sa.resize(n // 4 + 1, refcheck=False)  # the BWT took the first n bytes of the suffix array
    bwt = sa.view(np.uint8)[:n]
    del sa
    starts = _core.line_starts(data)  # again: kept across the peak, they would cost 8 bytes a line
    n_lines, group_offsets, pointers, widths, words = _line_tables(starts, n)
    feed_width = _width(n_lines)
    feeds = (_core.pack(np.searchsorted(starts, feed_starts).astype(np.uint64), feed_width) if line_anchors
             else np.zeros(0, np.uint64))
    del starts, feed_starts
    trigrams = _trigram_trie(run_rows, run_codes, n, trie_share)
    children, codes, code_lens, paths, weights, node_counts = _huffman(freqs)
    node_starts = np.concatenate(([0], np.cumsum(weights)[:-1])).astype(np.uint64)
    ndigits = int(weights.sum())
    digits = _core.build_wavelet_digits(bwt, paths, code_lens, codes, node_starts, ndigits)
    del bwt
    stream, directory, top = _core.digits_encode(digits, ndigits, sample_words)
    del digits
    C = np.concatenate(([1], 1 + np.cumsum(freqs))).astype(np.uint64)
    sa_width, isa_width = _width(n), _width(n)
    params = dict(n=n, dollar_row=dollar_row, n_lines=n_lines, ndigits=ndigits, sa_rate=sa_rate,
                  isa_rate=isa_rate, sa_width=sa_width, isa_width=isa_width,
                  sample_words=sample_words)
    tables = dict(stream=stream, dir=directory, top=top, nstarts=node_starts, ncounts=node_counts,
                  children=children, codes=codes, codelens=code_lens, C=C,
                  sa=_core.pack(sa_samples, sa_width), isa=_core.pack(isa_samples, isa_width), feeds=feeds,
                  lanchors=group_offsets, lptrs=pointers, lwidths=widths, lwords=words, **trigrams)
    return format.serialize(params, tables)


def _suffix_array(data: np.ndarray) -> np.ndarray:
    """The 32-bit suffix array of ``data``, by libdivsufsort (as pydivsufsort calls it), in an
    array that owns its memory, so that it can shrink to the BWT written over it. (Imported
    here: only building needs it, and a search should not load it.)"""
    from pydivsufsort.dll import libdivsufsort

    sa = np.empty(len(data), dtype=np.int32)
    if len(data) and libdivsufsort.divsufsort(data.ctypes.data_as(ctypes.c_void_p),
                                              sa.ctypes.data_as(ctypes.c_void_p), ctypes.c_int32(len(data))):
        raise MemoryError(f"libdivsufsort could not sort {len(data)} bytes")
    return sa


def _check_structure(params: dict, tables: dict) -> None:
    """Reject headers and small tables that would send the core out of bounds."""
    def fail(what):
        raise CorruptIndexError(f"damaged FM-index: {what}")

    n, ndigits = params["n"], params["ndigits"]
    children, code_lens, codes, C = tables["children"], tables["codelens"], tables["codes"], tables["C"]
    nnodes = len(tables["nstarts"])
    if n > MAX_TEXT or params["dollar_row"] > n or params["n_lines"] > n:
        fail("text size fields")
    if min(params["sa_rate"], params["isa_rate"]) < 1 or params["sample_words"] not in WORD_SAMPLINGS \
            or not 1 <= params["sa_width"] <= 64 or not 1 <= params["isa_width"] <= 64:
        fail("sampling parameters")
    if len(code_lens) != 256 or len(codes) != 256 or len(C) != 257 or nnodes < 1 \
            or len(children) != 4 * nnodes or len(tables["ncounts"]) != 4 * nnodes:
        fail("wavelet tree tables")
    if C[0] != 1 or C[256] != n + 1 or np.any(np.diff(C.astype(np.int64)) < 0):
        fail("symbol counts")
    parents = np.arange(len(children)) // 4
    if np.any(tables["nstarts"] > ndigits) or np.any(children >= nnodes) or np.any(children < DUMMY) \
            or np.any((children >= 0) & (children <= parents)):  # children after parents: no cycles
        fail("wavelet tree nodes")
    for c in np.flatnonzero(code_lens):  # every code must lead to its own leaf
        node, code = 0, int(codes[c])
        for depth in range(int(code_lens[c])):
            if node < 0:
                fail("wavelet tree codes")
            node = int(children[4 * node + ((code >> (2 * depth)) & 3)])
        if node != -(int(c) + 1):
            fail("wavelet tree codes")
    nwords = ndigits // 32 + 1
    if len(tables["dir"]) != -(-nwords // params["sample_words"]) or len(tables["top"]) != 4 * -(-nwords // 2048):
        fail("rank directory")
    if len(tables["sa"]) * 64 < (n // params["sa_rate"] + 1) * params["sa_width"] \
            or len(tables["isa"]) * 64 < -(-n // params["isa_rate"]) * params["isa_width"]:
        fail("suffix array samples")
    if len(tables["feeds"]) and len(tables["feeds"]) * 64 < int(C[11] - C[10]) * _width(params["n_lines"]):
        fail("line anchors")
    t1off, t2off = tables["t1off"].astype(np.int64), tables["t2off"].astype(np.int64)
    if len(t1off) != 257 or t1off[0] != 0 or np.any(np.diff(t1off) < 0) or t1off[256] != len(tables["t2sym"]) \
            or len(t2off) != len(tables["t2sym"]) + 1 or (len(t2off) and t2off[0] != 0) \
            or np.any(np.diff(t2off) < 0) or t2off[-1] != len(tables["t3sym"]) \
            or len(tables["t3sp"]) != (len(tables["t3sym"]) + 1 if len(tables["t3sp"]) else 0) \
            or len(tables["tshort"]) > 2:
        fail("trigram tables")
    ngroups = -(-params["n_lines"] // LINE_GROUP)
    if len(tables["lanchors"]) != ngroups or len(tables["lptrs"]) != ngroups \
            or len(tables["lwidths"]) != ngroups or np.any(tables["lwidths"] > 64):
        fail("line tables")
