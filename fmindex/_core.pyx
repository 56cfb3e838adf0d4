# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The hot part of the FM-index: compressed bitvector, wavelet tree, search.

Structures (n = text bytes, H0 = zero-order entropy of the text in bits):

* RRR bitvector (Raman, Raman, Rao), blocks of 63 bits. Each block is stored
  as a class code (2 bits when the block is all 0 or all 1, else 7 bits:
  flag + popcount) followed by its offset in the enumeration of the 63-bit
  words of that popcount (ceil(log2 C(63, k)) bits, 0 for uniform blocks).
  Every ``sample_blocks`` blocks a (bit pointer, rank) pair of two uint64.
  Space: sum of the offset widths (about the nH0 of the bits) + 2 bits per
  uniform block + 7 per mixed one + 128 / (63 * sample_blocks) bits per bit.
  Long runs in a BWT make most blocks uniform, so logs cost ~2/63 of a bit
  per bit where text costs close to its entropy.
  Time: rank and access decode at most ``sample_blocks - 1`` class codes and
  one block (at most 63 steps of the combinatorial number system): O(1).
* Huffman-shaped wavelet tree over the BWT, all node bitvectors concatenated
  in one RRR bitvector. Space: about n(H0 + 1) bits before compression;
  the RRR blocks bring runs and skew down towards nHk.
  Time: rank_c(i) and access(i) take one RRR rank per level, |code(c)| levels
  (H0 + 1 on average).
* Backward search: count(P) takes |P| steps of two rank_c each, inside one
  nogil loop. The end of text is row ``dollar_row`` of the BWT, kept out of
  the wavelet tree, so every byte value 0..255 stays a plain symbol.
* Suffix array sampled in SA order (rows 0, s, 2s, ...): locate walks LF until
  a sampled row or the end-of-text row, s steps on average; n/s log2(n) bits.
* Inverse suffix array sampled in text order (positions 0, t, 2t, ...):
  extract(i, j) walks LF from the sample at or after j: j - i + t steps at
  most; n/t log2(n) bits.
* Lines: line lengths packed by groups of 64 lines (absolute start, bit
  pointer and width per group): line_of(offset) is a binary search over the
  groups and a scan of at most 63 lengths.
"""
from libc.stdint cimport uint8_t, uint32_t, int32_t, uint64_t, int64_t
from libc.stdlib cimport malloc, free

import numpy as np

DEF BLOCK = 63
DEF LINE_GROUP = 64

cdef uint64_t BINOMIAL[64][64]
cdef uint8_t WIDTH[64]


cdef void _init_tables():
    cdef int a, b
    for a in range(64):
        for b in range(64):
            BINOMIAL[a][b] = 0
        BINOMIAL[a][0] = 1
        for b in range(1, a + 1):
            BINOMIAL[a][b] = BINOMIAL[a - 1][b - 1] + BINOMIAL[a - 1][b]
    for b in range(64):
        WIDTH[b] = _bit_length(BINOMIAL[BLOCK][b] - 1) if BINOMIAL[BLOCK][b] > 1 else 0


cdef inline int _bit_length(uint64_t x) nogil:
    cdef int length = 0
    while x:
        x >>= 1
        length += 1
    return length


_init_tables()


cdef extern from *:
    """
    static inline int popcount64(unsigned long long x) { return __builtin_popcountll(x); }
    """
    int popcount64(uint64_t x) nogil


# ---------------------------------------------------------------- bit streams

cdef inline uint64_t _peek(const uint64_t* words, uint64_t nwords, uint64_t pos) noexcept nogil:
    """64 bits starting at bit ``pos`` (LSB first); bits past the end read as 0."""
    cdef uint64_t index = pos >> 6
    cdef uint64_t shift = pos & 63
    cdef uint64_t value
    if index >= nwords:
        return 0
    value = words[index] >> shift
    if shift and index + 1 < nwords:
        value |= words[index + 1] << (64 - shift)
    return value


cdef inline uint64_t _mask(int width) noexcept nogil:
    return 0xFFFFFFFFFFFFFFFF if width >= 64 else ((<uint64_t>1 << width) - 1)


cdef inline void _put(uint64_t* words, uint64_t pos, uint64_t value, int width) noexcept nogil:
    """Write ``width`` bits of ``value`` at bit ``pos`` (words zeroed beforehand)."""
    cdef uint64_t index = pos >> 6
    cdef uint64_t shift = pos & 63
    if width == 0:
        return
    value &= _mask(width)
    words[index] |= value << shift
    if shift and shift + width > 64:
        words[index + 1] |= value >> (64 - shift)


def pack(const uint64_t[::1] values, int width):
    """Pack ``values`` at ``width`` bits each into uint64 words."""
    cdef uint64_t count = values.shape[0], i
    out = np.zeros((count * width + 63) // 64 + 1, dtype=np.uint64)
    cdef uint64_t[::1] words = out
    with nogil:
        for i in range(count):
            _put(&words[0], i * width, values[i], width)
    return out


cdef inline uint64_t _packed_get(const uint64_t* words, uint64_t nwords, int width, uint64_t i) noexcept nogil:
    return _peek(words, nwords, i * width) & _mask(width)


# ---------------------------------------------------------------- RRR bitvector

cdef inline int _class_of(uint64_t head, int* code_len) noexcept nogil:
    if head & 1:
        code_len[0] = 7
        return (head >> 1) & 63
    code_len[0] = 2
    return BLOCK if head & 2 else 0


def rrr_encode(const uint64_t[::1] bits, uint64_t nbits, int sample_blocks):
    """Encode the first ``nbits`` bits of ``bits`` (LSB first); returns (stream, samples).

    One zero block is appended so that rank(nbits) needs no special case.
    """
    cdef uint64_t nblocks = nbits // BLOCK + 1
    cdef uint64_t nsamples = nblocks // sample_blocks + 1
    cdef uint64_t nwords_in = bits.shape[0]
    samples_arr = np.zeros(2 * nsamples, dtype=np.uint64)
    cdef uint64_t[::1] samples = samples_arr
    # Worst case 7 + 60 bits per block; grown on demand below.
    cdef uint64_t capacity = (nblocks * 10) // 64 + 16
    stream_arr = np.zeros(capacity, dtype=np.uint64)
    cdef uint64_t[::1] stream = stream_arr
    cdef uint64_t b, pos = 0, rank = 0, value, offset, start
    cdef int k, m, p, width
    for b in range(nblocks):
        if b % sample_blocks == 0:
            samples[2 * (b // sample_blocks)] = pos
            samples[2 * (b // sample_blocks) + 1] = rank
        start = b * BLOCK
        value = 0
        if start < nbits:
            value = _peek(&bits[0], nwords_in, start) & _mask(BLOCK)
            if nbits - start < BLOCK:
                value &= _mask(<int>(nbits - start))
        k = popcount64(value)
        width = WIDTH[k]
        if (pos + 7 + width) // 64 + 2 >= capacity:
            capacity *= 2
            stream_arr = np.concatenate([stream_arr, np.zeros(capacity - stream_arr.shape[0], dtype=np.uint64)])
            stream = stream_arr
        if k == 0 or k == BLOCK:
            _put(&stream[0], pos, 2 if k == BLOCK else 0, 2)
            pos += 2
        else:
            _put(&stream[0], pos, 1 | (<uint64_t>k << 1), 7)
            pos += 7
            offset = 0
            m = 0
            for p in range(BLOCK):
                if (value >> p) & 1:
                    m += 1
                    offset += BINOMIAL[p][m]
            _put(&stream[0], pos, offset, width)
            pos += width
        rank += k
    return stream_arr[: pos // 64 + 2].copy(), samples_arr


cdef struct RRR:
    const uint64_t* stream
    uint64_t nwords
    const uint64_t* samples
    uint64_t nsamples
    uint64_t nbits
    int sample_blocks


cdef inline uint64_t _rrr_rank(const RRR* v, uint64_t i, int* bit) noexcept nogil:
    """Number of 1 bits before position ``i``; ``bit`` receives bit ``i``."""
    cdef uint64_t block = i // BLOCK, sb, pos, rank, head, offset, b
    cdef int j = <int>(i - block * BLOCK), k, code_len, m, p
    sb = block // v.sample_blocks
    if sb >= v.nsamples:
        bit[0] = 0
        return 0
    pos = v.samples[2 * sb]
    rank = v.samples[2 * sb + 1]
    b = sb * v.sample_blocks
    while b < block:
        head = _peek(v.stream, v.nwords, pos)
        k = _class_of(head, &code_len)
        pos += code_len + WIDTH[k]
        rank += k
        b += 1
    head = _peek(v.stream, v.nwords, pos)
    k = _class_of(head, &code_len)
    if k == 0:
        bit[0] = 0
        return rank
    if k == BLOCK:
        bit[0] = 1
        return rank + j
    offset = _peek(v.stream, v.nwords, pos + code_len) & _mask(WIDTH[k])
    # Combinatorial number system, highest set bit first: stop at the first one below j.
    m = k
    p = BLOCK - 1
    bit[0] = 0
    while m > 0:
        while p >= m and BINOMIAL[p][m] > offset:
            p -= 1
        if p < j:
            return rank + m
        if p == j:
            bit[0] = 1
        offset -= BINOMIAL[p][m]
        m -= 1
        p -= 1
    return rank


# ---------------------------------------------------------------- FM-index core

def build_bwt(const uint8_t[::1] text, const int32_t[::1] sa, uint64_t sa_rate, uint64_t isa_rate):
    """BWT without the end-of-text symbol, its row, and both sample arrays.

    Rows are those of text + $ ($ smallest): row 0 is the suffix "$", row r
    (r >= 1) is suffix sa[r - 1]. Returns (bwt, dollar_row, sa_samples,
    isa_samples) with sa_samples[k] = SA[k * sa_rate] and isa_samples[k] =
    ISA[k * isa_rate].
    """
    cdef uint64_t n = text.shape[0], r, value, dollar_row = 0, write = 0
    bwt_arr = np.empty(n, dtype=np.uint8)
    sa_arr = np.empty(n // sa_rate + 1, dtype=np.uint64)
    isa_arr = np.empty((n + isa_rate - 1) // isa_rate, dtype=np.uint64)
    cdef uint8_t[::1] bwt = bwt_arr
    cdef uint64_t[::1] sa_samples = sa_arr, isa_samples = isa_arr
    with nogil:
        sa_samples[0] = n
        if n:
            bwt[write] = text[n - 1]
            write += 1
        for r in range(1, n + 1):
            value = <uint64_t>sa[r - 1]
            if r % sa_rate == 0:
                sa_samples[r // sa_rate] = value
            if value % isa_rate == 0:
                isa_samples[value // isa_rate] = r
            if value == 0:
                dollar_row = r
            else:
                bwt[write] = text[value - 1]
                write += 1
    return bwt_arr, dollar_row, sa_arr, isa_arr


def build_wavelet_bits(const uint8_t[::1] bwt, const int32_t[:, ::1] paths,
                       const uint8_t[::1] code_lens, const uint64_t[::1] codes,
                       const uint64_t[::1] node_starts, uint64_t nbits):
    """Concatenated node bitvectors of the wavelet tree (node bits in BWT order)."""
    cdef uint64_t n = bwt.shape[0], i, nnodes = node_starts.shape[0]
    cdef int d, c, node
    out = np.zeros(nbits // 64 + 2, dtype=np.uint64)
    cdef uint64_t[::1] words = out
    cdef uint64_t* cursor = <uint64_t*> malloc(nnodes * sizeof(uint64_t))
    if cursor == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(nnodes):
                cursor[i] = node_starts[i]
            for i in range(n):
                c = bwt[i]
                for d in range(code_lens[c]):
                    node = paths[c, d]
                    if (codes[c] >> d) & 1:
                        words[cursor[node] >> 6] |= (<uint64_t>1) << (cursor[node] & 63)
                    cursor[node] += 1
    finally:
        free(cursor)
    return out


cdef class Core:
    """Read-only queries over the arrays of one shard (they may live in an mmap)."""

    cdef RRR rrr
    cdef const uint64_t[::1] stream_view, samples_view
    cdef const uint64_t[::1] node_starts, node_ones, codes, C
    cdef const int32_t[::1] children
    cdef const uint8_t[::1] code_lens
    cdef const uint64_t[::1] sa_words, isa_words
    cdef const uint64_t[::1] line_anchors, line_ptrs, line_words
    cdef const uint8_t[::1] line_widths
    cdef readonly uint64_t n, dollar_row, sa_rate, isa_rate, n_lines
    cdef int sa_width, isa_width
    cdef int root

    def __init__(self, *, stream, samples, nbits, sample_blocks, node_starts, node_ones, children,
                 codes, code_lens, C, n, dollar_row, sa_words, sa_width, sa_rate,
                 isa_words, isa_width, isa_rate, line_anchors, line_ptrs, line_widths,
                 line_words, n_lines):
        self.stream_view = stream
        self.samples_view = samples
        self.rrr.stream = &self.stream_view[0]
        self.rrr.nwords = self.stream_view.shape[0]
        self.rrr.samples = &self.samples_view[0]
        self.rrr.nsamples = self.samples_view.shape[0] // 2
        self.rrr.nbits = nbits
        self.rrr.sample_blocks = sample_blocks
        self.node_starts = node_starts
        self.node_ones = node_ones
        self.children = children
        self.codes = codes
        self.code_lens = code_lens
        self.C = C
        self.n = n
        self.dollar_row = dollar_row
        self.sa_words = sa_words
        self.sa_width = sa_width
        self.sa_rate = sa_rate
        self.isa_words = isa_words
        self.isa_width = isa_width
        self.isa_rate = isa_rate
        self.line_anchors = line_anchors
        self.line_ptrs = line_ptrs
        self.line_widths = line_widths
        self.line_words = line_words
        self.n_lines = n_lines

    cdef inline uint64_t _rank(self, int c, uint64_t row) noexcept nogil:
        """Occurrences of byte c in BWT rows [0, row)."""
        cdef uint64_t i = row - (row > self.dollar_row), start, ones
        cdef int node = 0, d, bit
        cdef int length = self.code_lens[c]
        cdef uint64_t code = self.codes[c]
        for d in range(length):
            start = self.node_starts[node]
            ones = _rrr_rank(&self.rrr, start + i, &bit) - self.node_ones[node]
            if (code >> d) & 1:
                i = ones
                node = self.children[2 * node + 1]
            else:
                i = i - ones
                node = self.children[2 * node]
            if node < 0:
                break
        return i

    cdef inline int _lf(self, uint64_t* row) noexcept nogil:
        """BWT[row] (-1 for the end of text) and row <- LF(row)."""
        cdef uint64_t r = row[0], i, start, ones
        cdef int node = 0, bit, c
        if r == self.dollar_row:
            row[0] = 0
            return -1
        i = r - (r > self.dollar_row)
        while True:
            start = self.node_starts[node]
            ones = _rrr_rank(&self.rrr, start + i, &bit) - self.node_ones[node]
            if bit:
                i = ones
                node = self.children[2 * node + 1]
            else:
                i = i - ones
                node = self.children[2 * node]
            if node < 0:
                break
        c = -node - 1
        r = self.C[c] + i
        row[0] = r if r <= self.n else self.n  # a damaged index must not walk out of range
        return c

    cdef void _search(self, const uint8_t* pattern, Py_ssize_t m, uint64_t* sp, uint64_t* ep) noexcept nogil:
        cdef Py_ssize_t k = m - 1
        cdef int c = pattern[k]
        cdef uint64_t lo = self.C[c], hi = self.C[c + 1]
        while lo < hi and k > 0:
            k -= 1
            c = pattern[k]
            if self.code_lens[c] == 0:
                lo = hi = 0
                break
            lo = self.C[c] + self._rank(c, lo)
            hi = self.C[c] + self._rank(c, hi)
        sp[0] = lo
        ep[0] = hi if hi > lo else lo

    def search(self, const uint8_t[::1] pattern):
        """(sp, ep): the half-open range of BWT rows prefixed by ``pattern`` (non-empty)."""
        cdef uint64_t sp, ep
        with nogil:
            self._search(&pattern[0], pattern.shape[0], &sp, &ep)
        return sp, ep

    def count(self, const uint8_t[::1] pattern):
        cdef uint64_t sp, ep
        with nogil:
            self._search(&pattern[0], pattern.shape[0], &sp, &ep)
        return ep - sp

    def count_many(self, patterns):
        """Counts of a list of non-empty bytes patterns, one Python call."""
        cdef const uint8_t[::1] p
        cdef uint64_t sp, ep
        out = np.empty(len(patterns), dtype=np.uint64)
        cdef uint64_t[::1] counts = out
        cdef Py_ssize_t i
        for i in range(len(patterns)):
            p = patterns[i]
            with nogil:
                self._search(&p[0], p.shape[0], &sp, &ep)
            counts[i] = ep - sp
        return out

    cdef inline uint64_t _locate_row(self, uint64_t row) noexcept nogil:
        cdef uint64_t steps = 0
        while True:
            if row % self.sa_rate == 0:
                return _packed_get(&self.sa_words[0], self.sa_words.shape[0], self.sa_width,
                                   row // self.sa_rate) + steps
            if row == self.dollar_row:
                return steps
            if steps > self.n:  # only a damaged index gets here
                return self.n
            self._lf(&row)
            steps += 1

    def locate_rows(self, uint64_t sp, uint64_t ep):
        """Text positions of rows [sp, ep), in row order."""
        out = np.empty(ep - sp, dtype=np.uint64)
        cdef uint64_t[::1] positions = out
        cdef uint64_t r
        with nogil:
            for r in range(sp, ep):
                positions[r - sp] = self._locate_row(r)
        return out

    def extract(self, uint64_t i, uint64_t j):
        """Text bytes [i, j), 0 <= i <= j <= n, walked back from the ISA sample at or after j."""
        cdef uint64_t k, row, length = j - i, pos
        cdef int c
        out = bytearray(length)
        cdef uint8_t[::1] buf = out
        if length == 0:
            return bytes(out)
        k = ((j + self.isa_rate - 1) // self.isa_rate) * self.isa_rate
        with nogil:
            if k >= self.n:
                k = self.n
                row = 0
            else:
                row = _packed_get(&self.isa_words[0], self.isa_words.shape[0], self.isa_width,
                                  k // self.isa_rate)
                if row > self.n:
                    row = 0
            pos = k
            while pos > i:
                c = self._lf(&row)
                pos -= 1
                if pos < j:
                    buf[pos - i] = <uint8_t>c
        return bytes(out)

    # ------------------------------------------------------------ lines

    cdef inline uint64_t _line_start(self, uint64_t line) noexcept nogil:
        cdef uint64_t group = line // LINE_GROUP, pos, start
        cdef int width, k
        if group >= <uint64_t>self.line_anchors.shape[0]:
            return self.n
        start = self.line_anchors[group]
        pos = self.line_ptrs[group]
        width = self.line_widths[group]
        for k in range(<int>(line - group * LINE_GROUP)):
            start += _peek(&self.line_words[0], self.line_words.shape[0], pos) & _mask(width)
            pos += width
        return start if start <= self.n else self.n

    def line_start(self, uint64_t line):
        """Offset of the first byte of 0-based ``line`` (n for line == n_lines)."""
        if line >= self.n_lines:
            return self.n
        return self._line_start(line)

    def lines_of(self, const uint64_t[::1] positions):
        """0-based line number of every text position."""
        out = np.empty(positions.shape[0], dtype=np.uint64)
        cdef uint64_t[::1] lines = out
        cdef uint64_t i, pos, lo, hi, mid, start, ptr, line, ngroups = self.line_anchors.shape[0]
        cdef int width, k
        with nogil:
            for i in range(<uint64_t>positions.shape[0]):
                pos = positions[i]
                lo = 0
                hi = ngroups
                while hi - lo > 1:  # last group whose anchor <= pos
                    mid = (lo + hi) // 2
                    if self.line_anchors[mid] <= pos:
                        lo = mid
                    else:
                        hi = mid
                line = lo * LINE_GROUP
                if ngroups:
                    start = self.line_anchors[lo]
                    ptr = self.line_ptrs[lo]
                    width = self.line_widths[lo]
                    for k in range(LINE_GROUP - 1):
                        if line + 1 >= self.n_lines:
                            break
                        start += _peek(&self.line_words[0], self.line_words.shape[0], ptr) & _mask(width)
                        ptr += width
                        if start > pos:
                            break
                        line += 1
                lines[i] = line
        return out


def pack_varwidth(const uint64_t[::1] values, const uint8_t[::1] widths):
    """Pack values[i] at widths[i] bits, back to back, into uint64 words."""
    cdef uint64_t count = values.shape[0], i, pos = 0, total = 0
    for i in range(count):
        total += widths[i]
    out = np.zeros(total // 64 + 2, dtype=np.uint64)
    cdef uint64_t[::1] words = out
    with nogil:
        for i in range(count):
            _put(&words[0], pos, values[i], widths[i])
            pos += widths[i]
    return out
