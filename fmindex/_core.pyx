# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The hot part of the FM-index: compressed wavelet tree, backward search, locate, extract, lines.

Structures (n = text bytes, H0 = zero-order entropy of the text in bits):

* 4-ary Huffman-shaped wavelet tree over the BWT: each internal node holds one
  2-bit digit per symbol of its subtree, all node sequences concatenated in
  one digit sequence of sum(|code(c)| occ(c)) digits (n(H0/2 + 1) at most).
  Half the levels of a binary tree, so half the dependent cache misses.
* Digit sequence, compressed by words of 32 digits cut into superblocks of
  ``sample_words`` words (after the hybrid bitvectors of Kaerkkaeinen, Kempa,
  Puglisi, DCC 2014). A superblock is a byte stream of tokens:
    run       1 byte: 1..16 words of one repeated digit
    sparse    1 + k bytes: one word as its majority digit and the (position,
              digit) of its k <= 6 other digits (k <= 4 if it has two digits)
    two-digit 5 bytes: one word of two digits a < b, one bit a digit
    plain     1 + 8m bytes: m <= 64 words as they are
  A directory holds one uint64 per superblock: its byte offset and the
  counts of digits 0, 1, 2 before it, 16 bits each, relative to a top entry
  (offset, three counts) every 2048 words, small enough to stay in cache.
  Space: per word of 32 digits, 1/16 byte in long runs, 2 to 7 bytes when
  sparse, 5 for two digits, 8 plain; + 64 / sample_words bits for the
  directory. The BWT of a log is mostly runs (75 % of the words of the HPC
  log, 92 % of the CI logs), so an index costs little more than its few
  mixed stretches.
  Time: rank_d(i) reads one directory entry and scans the tokens of one
  superblock (popcounts on plain and two-digit words, byte compares on
  sparse ones): O(sample_words) instructions, about two cache misses.
* rank_c(i) and access(i): one digit rank per level, |code(c)| levels (about
  H0/2 + 1); access scans a second time (cache-hot) for the digit it found.
* Backward search: count(P) takes |P| steps of two rank_c each, inside one
  nogil loop; the two ranks of a level share their scan when they fall in
  one superblock. Each rank fetches ahead the directory entries the next one
  will read (the directory counts bound where it falls), so that their cache
  misses overlap the scan: 20 % off a 16-byte count on the CI logs. The end
  of text is row ``dollar_row`` of the BWT, kept out of the wavelet tree, so
  every byte value 0..255 stays a plain symbol.
* Suffix array sampled in SA order (rows 0, s, 2s, ...), and line anchors:
  the line number of every row whose BWT byte is a line feed, in row order
  (the rows LF maps onto C['\n'] + 0, 1, 2, ...). Locate walks LF until a
  sampled row, the end-of-text row or a line feed, which names the line whose
  start the walk has reached: about min(s, distance to the line start) steps;
  n/s log2(n) + lines log2(lines) bits. On logs (lines of ~100 bytes) the
  anchors replace dense samples: half the steps for less space.
* Inverse suffix array sampled in text order (positions 0, t, 2t, ...):
  extract(i, j) walks LF from the sample at or after j: j - i + t steps at
  most; n/t log2(n) bits.
* Lines: line lengths packed by groups of 64 lines (absolute start, bit
  pointer and width per group): line_of(offset) is a binary search over the
  groups and a scan of at most 63 lengths.

Damage: the Python side checks the checksums and the small tables, but the
core trusts no value it reads either. Every read is bounded by its table, a
scan never starts past its target, ranks stay ordered, rows stay within the
BWT, and a locate walk stops after ``max_walk`` steps (the longest line, with
line anchors; the text, without). A value out of bounds sets ``damaged``
(kept), and the query raises CorruptIndexError instead of answering.
"""
from libc.stdint cimport uint8_t, uint32_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc, realloc

import numpy as np

from .errors import CorruptIndexError

DEF SPARSE_MAX = 6      # words with at most this many digits unlike the others are stored sparse
DEF RUN_MAX = 16        # words in one run token
DEF GROUP_MAX = 64      # words in one group of plain words
DEF SPARSE = 1
DEF TWO_DIGITS = 2
DEF PLAIN = 3
DEF TOP_WORDS = 2048    # words per top entry: offsets and counts relative to it fit 16 bits
DEF LINE_GROUP = 64
DEF NO_TRIGRAM = 0xFFFFFFFF

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


# ---------------------------------------------------------------- digit sequence

cdef extern from *:
    """
    #include <string.h>
    static inline unsigned long long load64(const unsigned char* p) {
        unsigned long long x; memcpy(&x, p, 8); return x;
    }
    static inline void store64(unsigned char* p, unsigned long long x) { memcpy(p, &x, 8); }
    #define prefetch(p) __builtin_prefetch(p)
    #define LOW 0x5555555555555555ULL  /* bit 0 of every 2-bit digit */
    """
    uint64_t load64(const uint8_t* p) nogil
    void store64(uint8_t* p, uint64_t x) nogil
    void prefetch(const void* p) nogil
    const uint64_t LOW


cdef inline uint64_t _digit_count(uint64_t x, int s, int n) noexcept nogil:
    """How many of the first n (0..32) digits of word x equal s."""
    cdef uint64_t y = x ^ (<uint64_t>s * LOW)
    cdef uint64_t z = ~(y | (y >> 1)) & LOW
    if n < 32:
        z &= (<uint64_t>1 << (2 * n)) - 1
    return popcount64(z)


cdef inline uint64_t _digit_word(const uint64_t* digits, uint64_t nwords_in, uint64_t ndigits,
                                 uint64_t w) noexcept nogil:
    """Word w of the digit sequence, digits past ndigits cleared."""
    cdef uint64_t x
    if w * 32 >= ndigits or w >= nwords_in:
        return 0
    x = digits[w]
    if ndigits - w * 32 < 32:
        x &= (<uint64_t>1 << (2 * (ndigits - w * 32))) - 1
    return x


cdef inline int _word_kind(uint64_t x, int* majority, int* others, int* second) noexcept nogil:
    """How a non-uniform word is stored: SPARSE, TWO_DIGITS or PLAIN.

    ``majority``: its most frequent digit, ``others``: how many digits differ from
    it, ``second``: the other digit when there are two.
    """
    cdef int s, count, best_count = -1, distinct = 0
    for s in range(4):
        count = <int>_digit_count(x, s, 32)
        if count:
            distinct += 1
            if count > best_count:
                if best_count > 0:
                    second[0] = majority[0]
                majority[0], best_count = s, count
            else:
                second[0] = s
    others[0] = 32 - best_count
    if others[0] <= SPARSE_MAX and (distinct > 2 or others[0] <= 4):
        return SPARSE
    return TWO_DIGITS if distinct == 2 else PLAIN


def digits_encode(const uint64_t[::1] digits, uint64_t ndigits, int sample_words):
    """(tokens, directory, top) of the first ``ndigits`` 2-bit digits of ``digits`` (32 a word).

    A zero word is appended so that rank(ndigits) needs no special case. Tokens
    never cross a superblock of ``sample_words`` words.
    """
    cdef uint64_t nwords = ndigits // 32 + 1, nwords_in = digits.shape[0]
    cdef uint64_t nsuper = (nwords + sample_words - 1) // sample_words
    cdef uint64_t ntop = (nwords + TOP_WORDS - 1) // TOP_WORDS
    if sample_words < 1 or TOP_WORDS % sample_words:
        raise ValueError("sample_words must be a power of two up to %d" % TOP_WORDS)
    directory_arr = np.zeros(nsuper, dtype=np.uint64)
    top_arr = np.zeros(4 * ntop, dtype=np.uint64)
    cdef uint64_t[::1] directory = directory_arr, top = top_arr
    cdef uint64_t capacity = nwords * 2 + 64
    stream_arr = np.zeros(capacity, dtype=np.uint8)
    cdef uint8_t[::1] stream = stream_arr
    cdef uint64_t counts[4]
    cdef uint64_t sb, w, end, run, pos = 0, x, t, mask
    cdef int s, k, p, m, q, majority, other, kind, a, b
    counts[0] = counts[1] = counts[2] = counts[3] = 0
    for sb in range(nsuper):
        w = sb * sample_words
        t = 4 * (w // TOP_WORDS)
        if w % TOP_WORDS == 0:
            top[t] = pos
            top[t + 1], top[t + 2], top[t + 3] = counts[0], counts[1], counts[2]
        directory[sb] = ((pos - top[t]) | ((counts[0] - top[t + 1]) << 16)
                         | ((counts[1] - top[t + 2]) << 32) | ((counts[2] - top[t + 3]) << 48))
        end = min(w + sample_words, nwords)
        if pos + 9 * (end - w) + 8 >= capacity:
            capacity = 2 * capacity + 9 * sample_words
            stream_arr = np.concatenate([stream_arr, np.zeros(capacity - stream_arr.shape[0], np.uint8)])
            stream = stream_arr
        while w < end:
            x = _digit_word(&digits[0], nwords_in, ndigits, w)
            s = x & 3
            if x == <uint64_t>s * LOW:  # one digit repeated: a run of such words
                run = 1
                while w + run < end and run < RUN_MAX and _digit_word(&digits[0], nwords_in, ndigits, w + run) == x:
                    run += 1
                stream[pos] = <uint8_t>((s << 4) | (run - 1))
                pos += 1
                counts[s] += 32 * run
                w += run
                continue
            kind = _word_kind(x, &majority, &k, &other)
            if kind == SPARSE:  # the majority digit, then (position, digit) of the others
                stream[pos] = <uint8_t>(0x40 | (majority << 4) | (k - 1))
                pos += 1
                for p in range(32):
                    q = (x >> (2 * p)) & 3
                    if q != majority:
                        stream[pos] = <uint8_t>((p << 2) | q)
                        pos += 1
                        counts[q] += 1
                counts[majority] += 32 - k
                w += 1
                continue
            if kind == TWO_DIGITS:  # digits a < b, then one bit a digit: set for b
                a, b = min(majority, other), max(majority, other)
                stream[pos] = <uint8_t>(0x80 | (a << 2) | b)
                mask = 0
                for p in range(32):
                    if ((x >> (2 * p)) & 3) == b:
                        mask |= <uint64_t>1 << p
                store64(&stream[pos + 1], mask)  # 4 bytes used, the next token overwrites the rest
                pos += 5
                counts[b] += popcount64(mask)
                counts[a] += 32 - popcount64(mask)
                w += 1
                continue
            m = 1  # a group of plain words
            while w + m < end and m < GROUP_MAX:
                if _word_kind(_digit_word(&digits[0], nwords_in, ndigits, w + m), &majority, &k, &other) != PLAIN:
                    break
                m += 1
            stream[pos] = <uint8_t>(0xC0 | (m - 1))
            pos += 1
            for p in range(m):
                x = _digit_word(&digits[0], nwords_in, ndigits, w + p)
                store64(&stream[pos], x)
                pos += 8
                for q in range(4):
                    counts[q] += _digit_count(x, q, 32)
            w += m
    return stream_arr[:pos + 8].copy(), directory_arr, top_arr


cdef struct Digits:
    bint damaged    # set (and kept) when a table read out of its bounds: the caller raises
    const uint8_t* stream
    uint64_t nbytes
    const uint64_t* directory
    uint64_t nsuper
    const uint64_t* top
    uint64_t ntop
    uint64_t sample_words


cdef struct Cursor:
    uint64_t ptr    # byte offset of the current token
    uint64_t word   # index of its first word
    uint64_t count  # digits s before it


cdef inline void _cursor_at(Digits* v, Cursor* c, uint64_t word, int s) noexcept nogil:
    """Cursor at the first token of the superblock of ``word``, counting digit s."""
    cdef uint64_t sb = word // v.sample_words, t, entry, c0, c1, c2
    if sb >= v.nsuper:
        sb = v.nsuper - 1
    c.word = sb * v.sample_words
    t = c.word // TOP_WORDS
    if t >= v.ntop:
        t = v.ntop - 1
    entry = v.directory[sb]
    c.ptr = v.top[4 * t] + (entry & 0xFFFF)
    c0 = v.top[4 * t + 1] + ((entry >> 16) & 0xFFFF)
    c1 = v.top[4 * t + 2] + ((entry >> 32) & 0xFFFF)
    c2 = v.top[4 * t + 3] + (entry >> 48)
    c.count = c0 if s == 0 else c1 if s == 1 else c2 if s == 2 else c.word * 32 - c0 - c1 - c2


cdef inline uint64_t _rank_from(Digits* v, Cursor* c, uint64_t i, int s, int* digit) noexcept nogil:
    """Digits s before position i, and (in ``digit``) digit i; moves ``c`` forward to i's token.

    ``c`` counts s and lies at or before the token holding i, in the same superblock.
    """
    cdef uint64_t w = i >> 5, length, r, x, t
    cdef int j = <int>(i & 31), h, k, sym, before, before_s, e
    cdef const uint8_t* p
    if w < c.word:  # only damaged counts put a cursor past the position it ranks
        v.damaged = True
        digit[0] = 0
        return c.count
    while c.ptr < v.nbytes:
        h = v.stream[c.ptr]
        if h < 0x40:  # run of words of one digit
            sym = h >> 4
            length = (h & 15) + 1
            if w < c.word + length:
                digit[0] = sym
                return c.count + ((w - c.word) * 32 + j if sym == s else 0)
            if sym == s:
                c.count += 32 * length
            c.word += length
            c.ptr += 1
        elif h < 0x80:  # one word: its majority digit, then (position, digit) of the others
            sym = (h >> 4) & 3
            k = (h & 15) + 1
            if c.ptr + 1 + k > v.nbytes:
                break
            p = v.stream + c.ptr + 1
            if w == c.word:
                before = before_s = 0
                digit[0] = sym
                for t in range(<uint64_t>k):
                    e = p[t]
                    if (e >> 2) < j:
                        before += 1
                        before_s += (e & 3) == s
                    elif (e >> 2) == j:
                        digit[0] = e & 3
                return c.count + (j - before if sym == s else before_s)
            if sym == s:
                c.count += 32 - k
            else:
                for t in range(<uint64_t>k):
                    c.count += (p[t] & 3) == s
            c.word += 1
            c.ptr += 1 + k
        elif h < 0xC0:  # one word of two digits a < b: a mask of the b ones
            if c.ptr + 9 > v.nbytes:  # an 8-byte load; the stream ends with 8 spare bytes
                break
            x = <uint32_t>load64(v.stream + c.ptr + 1)
            sym = (h >> 2) & 3  # a
            if w == c.word:
                digit[0] = (h & 3) if (x >> j) & 1 else sym
                r = popcount64(x & ((<uint64_t>1 << j) - 1))
                return c.count + (r if s == (h & 3) else j - r if s == sym else 0)
            if s == (h & 3):
                c.count += popcount64(x)
            elif s == sym:
                c.count += 32 - popcount64(x)
            c.word += 1
            c.ptr += 5
        else:  # group of plain words
            length = (h & 0x3F) + 1
            if c.ptr + 1 + 8 * length > v.nbytes:
                break
            p = v.stream + c.ptr + 1
            if w < c.word + length:
                r = c.count
                for t in range(w - c.word):
                    r += _digit_count(load64(p + 8 * t), s, 32)
                x = load64(p + 8 * (w - c.word))
                digit[0] = (x >> (2 * j)) & 3
                return r + _digit_count(x, s, j)
            for t in range(length):
                c.count += _digit_count(load64(p + 8 * t), s, 32)
            c.word += length
            c.ptr += 1 + 8 * length
    digit[0] = 0  # only a damaged stream ends before its last word
    v.damaged = True
    return c.count


cdef inline uint64_t _rank(Digits* v, uint64_t i, int s, int* digit) noexcept nogil:
    cdef Cursor c
    _cursor_at(v, &c, i >> 5, s)
    return _rank_from(v, &c, i, s, digit)


cdef inline uint64_t _access_rank(Digits* v, uint64_t i, int* digit) noexcept nogil:
    """Digit i and the number of equal digits before it (a second, cache-hot scan when it is not 0)."""
    cdef uint64_t r = _rank(v, i, 0, digit)
    if digit[0] != 0:
        r = _rank(v, i, digit[0], digit)
    return r


cdef inline void _prefetch_entry(Digits* v, uint64_t digit) noexcept nogil:
    """Ask for the directory entry of a digit position early: its miss then overlaps a scan."""
    cdef uint64_t sb = (digit >> 5) // v.sample_words
    if sb < v.nsuper:
        prefetch(&v.directory[sb])


cdef inline void _rank_pair(Digits* v, uint64_t a, uint64_t b, int s,
                            uint64_t* ra, uint64_t* rb, uint64_t next_base) noexcept nogil:
    """Digits s before a <= b, sharing the scan when both lie in one superblock.

    The next rank will look near next_base + ra (and + rb), within a superblock of
    the counts the directory gives here: its directory entries are fetched ahead.
    """
    cdef Cursor c, d
    cdef int digit
    _cursor_at(v, &c, a >> 5, s)
    _prefetch_entry(v, next_base + c.count)
    if (b >> 5) // v.sample_words != (a >> 5) // v.sample_words:
        _cursor_at(v, &d, b >> 5, s)
        _prefetch_entry(v, next_base + d.count)
        prefetch(v.stream + d.ptr)  # let the two cache misses overlap
        ra[0] = _rank_from(v, &c, a, s, &digit)
        rb[0] = _rank_from(v, &d, b, s, &digit)
    else:
        ra[0] = _rank_from(v, &c, a, s, &digit)
        rb[0] = _rank_from(v, &c, b, s, &digit)


# ---------------------------------------------------------------- FM-index core

def build_bwt(const uint8_t[::1] text, int32_t[::1] sa, uint64_t sa_rate, uint64_t isa_rate):
    """BWT without the end-of-text symbol, its row, the sample arrays and the trigram runs.

    Rows are those of text + $ ($ smallest): row 0 is the suffix "$", row r
    (r >= 1) is suffix sa[r - 1]. The BWT overwrites the first n bytes of
    ``sa``: byte w < 4 (r - 1) is written once sa[r - 1] is read, so no entry
    is lost, and the caller can shrink the array to the BWT. Returns
    (dollar_row, sa_samples, isa_samples, line_starts, freqs, run_rows,
    run_codes): sa_samples[k] = SA[k * sa_rate], isa_samples[k] =
    ISA[k * isa_rate], line_starts the positions that follow a line feed in
    row order (the rows whose BWT byte is a line feed), freqs the count of
    each byte value, and run_rows[i] the first row of a run of rows whose
    suffixes start with the trigram run_codes[i] (b0 << 16 | b1 << 8 | b2;
    NO_TRIGRAM for suffixes shorter than 3 bytes).
    """
    cdef uint64_t n = text.shape[0], r, value, dollar_row = 0, write = 0, i, feeds = 0
    cdef uint32_t code, last = NO_TRIGRAM
    cdef Growing runs
    cdef uint8_t* bwt = <uint8_t*>&sa[0] if n else NULL
    with nogil:
        for i in range(n):
            feeds += text[i] == 10
    sa_arr = np.empty(n // sa_rate + 1, dtype=np.uint64)
    isa_arr = np.empty((n + isa_rate - 1) // isa_rate, dtype=np.uint64)
    starts_arr = np.empty(feeds, dtype=np.uint32)
    freqs_arr = np.zeros(256, dtype=np.int64)
    cdef uint64_t[::1] sa_samples = sa_arr, isa_samples = isa_arr
    cdef uint32_t[::1] line_starts = starts_arr
    cdef int64_t[::1] freqs = freqs_arr
    _grow_init(&runs)
    feeds = 0
    try:
        with nogil:
            sa_samples[0] = n
            for r in range(1, n + 1):
                value = <uint64_t>sa[r - 1]
                if r == 1:  # row 0, the suffix "$": its byte goes where sa[0] was
                    bwt[write] = text[n - 1]
                    freqs[bwt[write]] += 1
                    write += 1
                    if text[n - 1] == 10:  # it follows the last line feed
                        line_starts[feeds] = <uint32_t>n
                        feeds += 1
                if r % sa_rate == 0:
                    sa_samples[r // sa_rate] = value
                if value % isa_rate == 0:
                    isa_samples[value // isa_rate] = r
                if value == 0:
                    dollar_row = r
                else:
                    bwt[write] = text[value - 1]
                    freqs[bwt[write]] += 1
                    write += 1
                    if text[value - 1] == 10:
                        line_starts[feeds] = <uint32_t>value
                        feeds += 1
                code = NO_TRIGRAM
                if value + 3 <= n:
                    code = (<uint32_t>text[value] << 16) | (<uint32_t>text[value + 1] << 8) | text[value + 2]
                if code != last:
                    if not _grow_push(&runs, <uint32_t>r, code):
                        with gil:
                            raise MemoryError()
                    last = code
        rows = np.array(<uint32_t[:runs.size]> runs.rows, dtype=np.uint32) if runs.size else np.zeros(0, np.uint32)
        codes = np.array(<uint32_t[:runs.size]> runs.codes, dtype=np.uint32) if runs.size else np.zeros(0, np.uint32)
    finally:
        free(runs.rows)
        free(runs.codes)
    return dollar_row, sa_arr, isa_arr, starts_arr, freqs_arr, rows, codes


cdef struct Growing:
    uint32_t* rows
    uint32_t* codes
    size_t size
    size_t capacity


cdef void _grow_init(Growing* g) noexcept:
    g.rows = g.codes = NULL
    g.size = g.capacity = 0


cdef bint _grow_push(Growing* g, uint32_t row, uint32_t code) noexcept nogil:
    cdef size_t capacity
    cdef uint32_t* rows
    cdef uint32_t* codes
    if g.size == g.capacity:
        capacity = 2 * g.capacity + 1024
        rows = <uint32_t*> realloc(g.rows, capacity * sizeof(uint32_t))
        if rows == NULL:
            return False
        g.rows = rows
        codes = <uint32_t*> realloc(g.codes, capacity * sizeof(uint32_t))
        if codes == NULL:
            return False
        g.codes = codes
        g.capacity = capacity
    g.rows[g.size] = row
    g.codes[g.size] = code
    g.size += 1
    return True


def build_wavelet_digits(const uint8_t[::1] bwt, const int32_t[:, ::1] paths,
                         const uint8_t[::1] code_lens, const uint64_t[::1] codes,
                         const uint64_t[::1] node_starts, uint64_t ndigits):
    """Concatenated node digit sequences of the 4-ary wavelet tree (node digits in BWT order)."""
    cdef uint64_t n = bwt.shape[0], i, position, nnodes = node_starts.shape[0]
    cdef int d, c, node
    out = np.zeros(ndigits // 32 + 2, dtype=np.uint64)
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
                    position = cursor[node]
                    cursor[node] += 1
                    words[position >> 5] |= ((codes[c] >> (2 * d)) & 3) << (2 * (position & 31))
    finally:
        free(cursor)
    return out


cdef class Core:
    """Read-only queries over the arrays of one shard (they may live in an mmap)."""

    cdef Digits seq
    cdef const uint8_t[::1] stream_view
    cdef const uint64_t[::1] directory_view, top_view
    cdef const uint64_t[::1] node_starts, node_counts, codes, C
    cdef const int32_t[::1] children
    cdef const uint8_t[::1] code_lens
    cdef const uint64_t[::1] sa_words, isa_words, feed_words
    cdef const uint64_t[::1] line_anchors, line_ptrs, line_words
    cdef const uint8_t[::1] line_widths
    cdef const uint32_t[::1] t1off, t2off, t3sp, tshort
    cdef const uint8_t[::1] t2sym, t3sym
    cdef readonly uint64_t n, dollar_row, sa_rate, isa_rate, n_lines
    cdef int sa_width, isa_width, feed_width
    cdef uint64_t n_feeds, feed_row
    cdef readonly uint64_t max_walk  # LF steps a locate may take: to its line start, or to the text start

    def __init__(self, *, stream, directory, top, sample_words, node_starts, node_counts, children,
                 codes, code_lens, C, n, dollar_row, sa_words, sa_width, sa_rate,
                 isa_words, isa_width, isa_rate, feed_words, feed_width, line_anchors, line_ptrs,
                 line_widths, line_words, n_lines, t1off, t2sym, t2off, t3sym, t3sp, tshort):
        self.stream_view = stream
        self.directory_view = directory
        self.seq.stream = &self.stream_view[0]
        self.seq.nbytes = self.stream_view.shape[0]
        self.seq.directory = &self.directory_view[0]
        self.seq.nsuper = self.directory_view.shape[0]
        self.top_view = top
        self.seq.top = &self.top_view[0]
        self.seq.ntop = self.top_view.shape[0] // 4
        self.seq.sample_words = sample_words
        self.node_starts = node_starts
        self.node_counts = node_counts
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
        self.feed_words = feed_words
        self.feed_width = feed_width
        self.feed_row = self.C[10]  # LF maps the line-feed rows onto C['\n'], C['\n'] + 1, ...
        self.n_feeds = (self.C[11] - self.C[10]) if self.feed_words.shape[0] else 0
        self.line_anchors = line_anchors
        self.line_ptrs = line_ptrs
        self.line_widths = line_widths
        self.line_words = line_words
        self.n_lines = n_lines
        self.t1off, self.t2sym, self.t2off = t1off, t2sym, t2off
        self.t3sym, self.t3sp, self.tshort = t3sym, t3sp, tshort
        self.seq.damaged = False
        self.max_walk = self.n
        if self.n_feeds and self.line_widths.shape[0]:  # no line is longer than its group's width allows
            self.max_walk = min(self.n, (<uint64_t>1 << min(63, int(np.max(line_widths)))) - 1)

    cdef inline void _check(self) except *:
        """Raise CorruptIndexError once a query has read a value its table cannot hold."""
        if self.seq.damaged:
            raise CorruptIndexError("damaged FM-index: a table holds a value out of its bounds")

    @property
    def damaged(self):
        return bool(self.seq.damaged)

    cdef inline void _rank_pair_c(self, int c, uint64_t* lo, uint64_t* hi) noexcept nogil:
        """lo, hi <- occurrences of byte c in BWT rows [0, lo) and [0, hi), lo <= hi."""
        cdef uint64_t a = lo[0] - (lo[0] > self.dollar_row), b = hi[0] - (hi[0] > self.dollar_row)
        cdef uint64_t start, base, ra, rb, next_base
        cdef int node = 0, d, digit, child
        cdef int length = self.code_lens[c]
        cdef uint64_t code = self.codes[c]
        for d in range(length):
            digit = (code >> (2 * d)) & 3
            start = self.node_starts[node]
            base = self.node_counts[4 * node + digit]
            child = self.children[4 * node + digit]
            # where the next rank will look: this node's child, or after the leaf the root for the
            # next pattern byte (row C[c] + rank, give or take the end-of-text row)
            next_base = (self.node_starts[child] if child >= 0 else self.C[c]) - base  # wraps back
            _rank_pair(&self.seq, start + a, start + b, digit, &ra, &rb, next_base)
            if ra < base or rb < ra:  # damaged counts: the next scan would start past its target
                self.seq.damaged = True
                a = b = 0
                break
            a = ra - base
            b = rb - base
            node = child
            if node < 0:
                break
        lo[0] = a
        hi[0] = b

    cdef inline int _lf(self, uint64_t* row) noexcept nogil:
        """BWT[row] (-1 for the end of text) and row <- LF(row)."""
        cdef uint64_t r = row[0], i
        cdef int node = 0, digit, c
        if r == self.dollar_row:
            row[0] = 0
            return -1
        i = r - (r > self.dollar_row)
        while node >= 0:
            i = _access_rank(&self.seq, self.node_starts[node] + i, &digit)  # sets digit first
            i -= self.node_counts[4 * node + digit]
            node = self.children[4 * node + digit]
        c = -node - 1  # 256 only for a dummy leaf of a damaged index; C[256] exists
        r = self.C[c] + i
        if c > 255 or r > self.n:  # a damaged index must not walk out of range
            self.seq.damaged = True
            r = 0
        row[0] = r
        return c

    cdef inline Py_ssize_t _find(self, const uint8_t[::1] symbols, uint64_t lo, uint64_t hi,
                                 int c) noexcept nogil:
        """Index of byte c in the sorted symbols[lo:hi], or -1."""
        cdef uint64_t mid
        while lo < hi:
            mid = (lo + hi) // 2
            if symbols[mid] < c:
                lo = mid + 1
            else:
                hi = mid
        return <Py_ssize_t>lo if lo < <uint64_t>symbols.shape[0] and symbols[lo] == c else -1

    cdef inline bint _trigram(self, const uint8_t* p, uint64_t* lo, uint64_t* hi) noexcept nogil:
        """Rows of the suffixes starting with p[0:3], from the trigram trie: two small searches."""
        cdef Py_ssize_t second = self._find(self.t2sym, self.t1off[p[0]], self.t1off[p[0] + 1], p[1])
        cdef Py_ssize_t third, k
        if second < 0:
            return False
        third = self._find(self.t3sym, self.t2off[second], self.t2off[second + 1], p[2])
        if third < 0:
            return False
        lo[0] = min(<uint64_t>self.t3sp[third], self.n + 1)
        hi[0] = min(<uint64_t>self.t3sp[third + 1], self.n + 1)  # where the next trigram starts...
        for k in range(<Py_ssize_t>self.tshort.shape[0]):  # ...unless a suffix of 1 or 2 bytes comes first
            if lo[0] <= self.tshort[k] < hi[0]:
                hi[0] = self.tshort[k]
        return True

    cdef void _search(self, const uint8_t* pattern, Py_ssize_t m, uint64_t* sp, uint64_t* ep) noexcept nogil:
        """Backward search; the last three bytes come from the trigram trie, not from ranks."""
        cdef Py_ssize_t k
        cdef int c
        cdef uint64_t lo = 0, hi = 0
        if m >= 3 and self.t3sp.shape[0]:
            k = m - 3
            if not self._trigram(pattern + k, &lo, &hi):
                lo = hi = 0
        else:
            k = m - 1
            lo, hi = self.C[pattern[k]], self.C[pattern[k] + 1]
        while lo < hi and k > 0:
            k -= 1
            c = pattern[k]
            if self.code_lens[c] == 0:
                lo = hi = 0
                break
            self._rank_pair_c(c, &lo, &hi)
            lo += self.C[c]
            hi += self.C[c]
            if hi > self.n + 1:  # more rows than the BWT has: damaged counts
                self.seq.damaged = True
                lo = hi = 0
        sp[0] = lo
        ep[0] = hi if hi > lo else lo

    cdef void _search_bytes(self, bytes pattern, uint64_t* sp, uint64_t* ep) except *:
        cdef const char* text = pattern
        cdef Py_ssize_t m = len(pattern)
        sp[0] = ep[0] = 0
        if m:
            with nogil:
                self._search(<const uint8_t*>text, m, sp, ep)
        self._check()

    def search(self, bytes pattern):
        """(sp, ep): the half-open range of BWT rows prefixed by ``pattern``."""
        cdef uint64_t sp, ep
        self._search_bytes(pattern, &sp, &ep)
        return sp, ep

    def count(self, bytes pattern):
        """Occurrences of a pattern (0 for an empty one: callers refuse those)."""
        cdef uint64_t sp, ep
        self._search_bytes(pattern, &sp, &ep)
        return ep - sp

    cdef inline uint64_t _locate_row(self, uint64_t row) noexcept nogil:
        """Text position of a row: LF steps back to a sample, the text start or a line start."""
        cdef uint64_t steps = 0, line
        while not self.seq.damaged:
            if row % self.sa_rate == 0:
                return self._bounded(_packed_get(&self.sa_words[0], self.sa_words.shape[0], self.sa_width,
                                                 row // self.sa_rate), steps)
            if row == self.dollar_row:
                return steps
            if steps >= self.max_walk:  # longer than any walk of this layout: a damaged index
                break
            if self._lf(&row) == 10 and row - self.feed_row < self.n_feeds:
                line = _packed_get(&self.feed_words[0], self.feed_words.shape[0], self.feed_width,
                                   row - self.feed_row)
                return self._bounded(self._line_start(line) if line < self.n_lines else self.n, steps)
            steps += 1
        self.seq.damaged = True
        return 0

    cdef inline uint64_t _bounded(self, uint64_t start, uint64_t steps) noexcept nogil:
        """start + steps, a text position; flags the index damaged when it is not one."""
        if start >= self.n or steps >= self.n - start:
            self.seq.damaged = True
            return 0
        return start + steps

    def locate_rows(self, uint64_t sp, uint64_t ep):
        """Text positions of rows [sp, ep), in row order."""
        out = np.empty(ep - sp, dtype=np.uint64)
        cdef uint64_t[::1] positions = out
        cdef uint64_t r
        with nogil:
            for r in range(sp, ep):
                positions[r - sp] = self._locate_row(r)
        self._check()
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
                    self.seq.damaged = True
                    row = 0
            pos = k
            while pos > i:
                c = self._lf(&row)
                pos -= 1
                if pos < j:
                    buf[pos - i] = <uint8_t>c
        self._check()
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
        if start > self.n:
            self.seq.damaged = True
            return self.n
        return start

    def line_start(self, uint64_t line):
        """Offset of the first byte of 0-based ``line`` (n for line == n_lines)."""
        if line >= self.n_lines:
            return self.n
        start = self._line_start(line)
        self._check()
        return start

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


def line_starts(const uint8_t[::1] text):
    """Offset of every line: 0, then each offset after a line feed but the end of the text.

    Two passes over the text and one allocation (numpy's ``text == 10`` would
    take a temporary as large as the text, just before the suffix array).
    """
    cdef uint64_t n = text.shape[0], i, k = 1, count = 1 if n else 0
    with nogil:
        for i in range(n - 1 if n else 0):
            count += text[i] == 10
    out = np.empty(count, dtype=np.uint64)
    cdef uint64_t[::1] starts = out
    with nogil:
        if n:
            starts[0] = 0
        for i in range(n - 1 if n else 0):
            if text[i] == 10:
                starts[k] = i + 1
                k += 1
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
