# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The hot part of the FM-index: compressed bitvector, wavelet tree, search.

Structures (n = text bytes, H0 = zero-order entropy of the text in bits):

* Hybrid bitvector (after Kaerkkaeinen, Kempa, Puglisi, "Hybrid compression of
  bitvectors for the FM-index", DCC 2014), in 64-bit words cut into
  superblocks of ``sample_words`` words. Each superblock is a byte stream of
  tokens: a run of 1..64 equal all-0 or all-1 words (1 byte), a word given by
  the positions of its <= 6 minority bits (1 + k bytes), or a group of 1..64
  plain words (1 + 8m bytes). A directory holds one uint64 for each
  superblock, its byte offset and rank relative to a top-level (offset, rank)
  pair every 65536 words (small enough to stay in cache). Space: 1 byte per
  run + 8..56 bits per sparse word + 64 bits per dense word + 1 / sample_words
  bits per bit. A log's BWT is
  mostly runs (80 % to 93 % of the wavelet tree words are all-0 or all-1 on
  the HPC and CI logs), so it costs about what its dense words cost.
  Time: rank and access scan the tokens of one superblock (popcount on plain
  words, <= 6 byte compares on sparse ones): O(sample_words), a few cache
  lines.
* Huffman-shaped wavelet tree over the BWT, all node bitvectors concatenated
  in one hybrid bitvector. Space: n(H0 + 1) bits at most before compression.
  Time: rank_c(i) and access(i) take one bitvector rank per level,
  |code(c)| levels (H0 + 1 on average).
* Backward search: count(P) takes |P| steps of two rank_c each, inside one
  nogil loop; the two ranks of a level share their scan when they fall in
  one superblock. The end of text is row ``dollar_row`` of the BWT, kept out of
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

DEF SPARSE_MAX = 6
DEF TOP_WORDS = 65536   # words per top-level directory entry
DEF PTR_BITS = 28       # directory entry: byte offset from the top entry | rank from it << 28
DEF LINE_GROUP = 64

cdef extern from *:
    """
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    #pragma GCC target("popcnt")
    #endif
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


# ---------------------------------------------------------------- hybrid bitvector

cdef extern from *:
    """
    #include <string.h>
    static inline unsigned long long load64(const unsigned char* p) {
        unsigned long long x; memcpy(&x, p, 8); return x;
    }
    """
    uint64_t load64(const uint8_t* p) nogil


def hybrid_encode(const uint64_t[::1] bits, uint64_t nbits, int sample_words):
    """(tokens, directory, top) of the first ``nbits`` bits of ``bits`` (LSB first).

    A zero word is appended so that rank(nbits) needs no special case.
    Tokens never cross a superblock of ``sample_words`` (<= 64) words.
    """
    cdef uint64_t nwords = nbits // 64 + 1, nwords_in = bits.shape[0]
    cdef uint64_t nsuper = (nwords + sample_words - 1) // sample_words
    cdef uint64_t ntop = (nwords + TOP_WORDS - 1) // TOP_WORDS
    directory_arr = np.zeros(nsuper, dtype=np.uint64)
    top_arr = np.zeros(2 * ntop, dtype=np.uint64)
    cdef uint64_t[::1] directory = directory_arr, top = top_arr
    cdef uint64_t capacity = nwords + 64
    stream_arr = np.zeros(capacity, dtype=np.uint8)
    cdef uint8_t[::1] stream = stream_arr
    cdef uint64_t sb, w, end, run, pos = 0, ones = 0, x, minority_word
    cdef int k, p, m, t
    if TOP_WORDS % sample_words:
        raise ValueError("sample_words must divide %d" % TOP_WORDS)
    for sb in range(nsuper):
        w = sb * sample_words
        if w % TOP_WORDS == 0:
            top[2 * (w // TOP_WORDS)] = pos
            top[2 * (w // TOP_WORDS) + 1] = ones
        directory[sb] = (pos - top[2 * (w // TOP_WORDS)]) | ((ones - top[2 * (w // TOP_WORDS) + 1]) << PTR_BITS)
        end = min(w + sample_words, nwords)
        if pos + 9 * (end - w) + 8 >= capacity:
            capacity = 2 * capacity + 9 * sample_words
            stream_arr = np.concatenate([stream_arr, np.zeros(capacity - stream_arr.shape[0], np.uint8)])
            stream = stream_arr
        while w < end:
            x = _word(&bits[0], nwords_in, nbits, w)
            k = popcount64(x)
            if k == 0 or k == 64:
                run = 1
                while w + run < end and _word(&bits[0], nwords_in, nbits, w + run) == x:
                    run += 1
                stream[pos] = <uint8_t>((0 if k == 0 else 64) + run - 1)
                pos += 1
                ones += run * k
                w += run
            elif k <= SPARSE_MAX or 64 - k <= SPARSE_MAX:
                minority_word = x if k <= SPARSE_MAX else ~x
                m = popcount64(minority_word)
                stream[pos] = <uint8_t>((128 if k <= SPARSE_MAX else 160) + m - 1)
                pos += 1
                for p in range(64):
                    if (minority_word >> p) & 1:
                        stream[pos] = <uint8_t>p
                        pos += 1
                ones += k
                w += 1
            else:
                m = 1
                while w + m < end and m < 64 and _is_dense(_word(&bits[0], nwords_in, nbits, w + m)):
                    m += 1
                stream[pos] = <uint8_t>(191 + m)
                pos += 1
                for t in range(m):
                    x = _word(&bits[0], nwords_in, nbits, w + t)
                    memcpy_u64(&stream[pos], x)
                    pos += 8
                    ones += popcount64(x)
                w += m
    return stream_arr[:pos + 8].copy(), directory_arr, top_arr


cdef inline uint64_t _word(const uint64_t* bits, uint64_t nwords_in, uint64_t nbits, uint64_t w) noexcept nogil:
    """Word w of the bitvector, bits past nbits cleared."""
    cdef uint64_t x
    if w * 64 >= nbits or w >= nwords_in:
        return 0
    x = bits[w]
    if nbits - w * 64 < 64:
        x &= _mask(<int>(nbits - w * 64))
    return x


cdef inline bint _is_dense(uint64_t x) noexcept nogil:
    cdef int k = popcount64(x)
    return SPARSE_MAX < k < 64 - SPARSE_MAX


cdef extern from *:
    """
    static inline void memcpy_u64(unsigned char* p, unsigned long long x) { memcpy(p, &x, 8); }
    #define prefetch(p) __builtin_prefetch(p)
    """
    void memcpy_u64(uint8_t* p, uint64_t x) nogil
    void prefetch(const void* p) nogil


cdef struct Bits:
    const uint8_t* stream
    uint64_t nbytes
    const uint64_t* directory
    uint64_t nsuper
    const uint64_t* top
    uint64_t ntop
    uint64_t sample_words


cdef struct Cursor:
    uint64_t ptr    # byte offset of the current token
    uint64_t ones   # 1 bits before it
    uint64_t word   # index of its first word


cdef inline void _cursor_at(const Bits* v, Cursor* c, uint64_t word) noexcept nogil:
    """Cursor at the first token of the superblock of ``word``."""
    cdef uint64_t sb = word // v.sample_words, t, entry
    if sb >= v.nsuper:
        sb = v.nsuper - 1
    c.word = sb * v.sample_words
    t = c.word // TOP_WORDS
    if t >= v.ntop:
        t = v.ntop - 1
    entry = v.directory[sb]
    c.ptr = v.top[2 * t] + (entry & _mask(PTR_BITS))
    c.ones = v.top[2 * t + 1] + (entry >> PTR_BITS)


cdef inline uint64_t _rank_from(const Bits* v, Cursor* c, uint64_t i, int* bit) noexcept nogil:
    """Number of 1 bits before ``i`` and (in ``bit``) bit i, moving ``c`` forward to i's token.

    ``c`` must be at or before the token holding i, in the same superblock.
    """
    cdef uint64_t w = i >> 6, length, x, t
    cdef int j = <int>(i & 63), h, k, count, hit
    cdef const uint8_t* p
    while c.ptr < v.nbytes:
        h = v.stream[c.ptr]
        if h < 128:  # run of equal words
            length = (h & 63) + 1
            if w < c.word + length:
                if h >= 64:
                    bit[0] = 1
                    return c.ones + (w - c.word) * 64 + j
                bit[0] = 0
                return c.ones
            if h >= 64:
                c.ones += length * 64
            c.word += length
            c.ptr += 1
        elif h < 192:  # one word given by the positions of its minority bits
            k = (h & 31) + 1
            if c.ptr + 1 + k > v.nbytes:
                break
            if w == c.word:
                p = v.stream + c.ptr + 1
                count = 0
                hit = 0
                for t in range(<uint64_t>k):
                    if p[t] < j:
                        count += 1
                    elif p[t] == j:
                        hit = 1
                if h < 160:
                    bit[0] = hit
                    return c.ones + count
                bit[0] = 1 - hit
                return c.ones + j - count
            c.ones += k if h < 160 else 64 - k
            c.word += 1
            c.ptr += 1 + k
        else:  # group of plain words
            length = h - 191
            if c.ptr + 1 + 8 * length > v.nbytes:
                break
            p = v.stream + c.ptr + 1
            if w < c.word + length:
                x = c.ones
                for t in range(w - c.word):
                    x += popcount64(load64(p + 8 * t))
                t = load64(p + 8 * (w - c.word))
                bit[0] = (t >> j) & 1
                return x + popcount64(t & _mask(j))
            for t in range(length):
                c.ones += popcount64(load64(p + 8 * t))
            c.word += length
            c.ptr += 1 + 8 * length
    bit[0] = 0  # only a damaged stream ends before its last word
    return c.ones


cdef inline uint64_t _bits_rank(const Bits* v, uint64_t i, int* bit) noexcept nogil:
    cdef Cursor c
    _cursor_at(v, &c, i >> 6)
    return _rank_from(v, &c, i, bit)


cdef inline void _rank_pair(const Bits* v, uint64_t a, uint64_t b, uint64_t* ra, uint64_t* rb) noexcept nogil:
    """Ranks of a <= b, sharing the scan when they lie in the same superblock."""
    cdef Cursor c, d
    cdef int bit
    _cursor_at(v, &c, a >> 6)
    if (b >> 6) // v.sample_words != (a >> 6) // v.sample_words:
        _cursor_at(v, &d, b >> 6)
        prefetch(v.stream + d.ptr)  # let the two cache misses overlap
        ra[0] = _rank_from(v, &c, a, &bit)
        rb[0] = _rank_from(v, &d, b, &bit)
    else:
        ra[0] = _rank_from(v, &c, a, &bit)
        rb[0] = _rank_from(v, &c, b, &bit)


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

    cdef Bits bits
    cdef const uint8_t[::1] stream_view
    cdef const uint64_t[::1] directory_view, top_view
    cdef const uint64_t[::1] node_starts, node_ones, codes, C
    cdef const int32_t[::1] children
    cdef const uint8_t[::1] code_lens
    cdef const uint64_t[::1] sa_words, isa_words
    cdef const uint64_t[::1] line_anchors, line_ptrs, line_words
    cdef const uint8_t[::1] line_widths
    cdef readonly uint64_t n, dollar_row, sa_rate, isa_rate, n_lines
    cdef int sa_width, isa_width
    cdef int root

    def __init__(self, *, stream, directory, top, sample_words, node_starts, node_ones, children,
                 codes, code_lens, C, n, dollar_row, sa_words, sa_width, sa_rate,
                 isa_words, isa_width, isa_rate, line_anchors, line_ptrs, line_widths,
                 line_words, n_lines):
        self.stream_view = stream
        self.directory_view = directory
        self.bits.stream = &self.stream_view[0]
        self.bits.nbytes = self.stream_view.shape[0]
        self.bits.directory = &self.directory_view[0]
        self.bits.nsuper = self.directory_view.shape[0]
        self.top_view = top
        self.bits.top = &self.top_view[0]
        self.bits.ntop = self.top_view.shape[0] // 2
        self.bits.sample_words = sample_words
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

    cdef inline void _rank_pair_c(self, int c, uint64_t* lo, uint64_t* hi) noexcept nogil:
        """lo, hi <- occurrences of byte c in BWT rows [0, lo) and [0, hi), lo <= hi."""
        cdef uint64_t a = lo[0] - (lo[0] > self.dollar_row), b = hi[0] - (hi[0] > self.dollar_row)
        cdef uint64_t start, base, ra, rb
        cdef int node = 0, d
        cdef int length = self.code_lens[c]
        cdef uint64_t code = self.codes[c]
        for d in range(length):
            start = self.node_starts[node]
            base = self.node_ones[node]
            _rank_pair(&self.bits, start + a, start + b, &ra, &rb)
            if (code >> d) & 1:
                a = ra - base
                b = rb - base
                node = self.children[2 * node + 1]
            else:
                a = a - (ra - base)
                b = b - (rb - base)
                node = self.children[2 * node]
            if node < 0:
                break
        lo[0] = a
        hi[0] = b

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
            ones = _bits_rank(&self.bits, start + i, &bit) - self.node_ones[node]
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
            self._rank_pair_c(c, &lo, &hi)
            lo += self.C[c]
            hi += self.C[c]
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
