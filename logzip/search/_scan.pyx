# cython: boundscheck=False, wraparound=False, cdivision=True
"""Exact matching of one pattern over text cut into pieces: the inner loops of stream search.

A pattern of m bytes is a KMP automaton of m + 1 states (state k: the text read so far ends
with the pattern's first k bytes; a match is every arrival in state m). Text is fed to it as
*pieces* of many rows at once: a column (one value a row, the values laid end to end in one
buffer with row offsets) or a static text (the same for every row). Each row carries its own
state from piece to piece, so the rows of a template are its lines, read left to right.

Most rows sit in state 0 most of the time, and from state 0 only the pattern's first byte
moves the automaton: so a column is scanned across its whole buffer for the pattern's
first two bytes (``memmem``, or ``memchr`` for the rarer of the two), plus a look at the
last byte of each value, and only the rows found that way, plus the rows already in a
non-zero state (``act``, a sorted list), are stepped through byte by byte. A coded column
reads each distinct value once. Time: one pass over the buffer plus the bytes read after
each candidate; no stepping for rows that stay in state 0.
"""
import numpy as np

cimport numpy as cnp
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, memcmp, memset

from ._grams cimport gram_bit, word_at

cdef extern from "string.h" nogil:
    void* memmem(const void* haystack, size_t haystack_len, const void* needle, size_t needle_len)

cnp.import_array()

ctypedef cnp.int32_t state_t
ctypedef cnp.int64_t index_t

_EMPTY = np.zeros(0, dtype=np.int64)


cdef class Automaton:
    """The KMP automaton of a pattern (not empty): an (m + 1) x 256 table of next states."""

    cdef readonly object table
    cdef state_t[:, ::1] d
    cdef readonly state_t m
    cdef readonly unsigned char first, second
    cdef unsigned char head[2]
    cdef readonly object byte_mask, pattern
    cdef readonly bint has_newline

    def __init__(self, const unsigned char[::1] pattern):
        cdef Py_ssize_t m = pattern.shape[0], j
        cdef int c, border = 0
        if m == 0:
            raise ValueError("empty pattern")
        self.table = np.zeros((m + 1, 256), dtype=np.int32)
        self.d = self.table
        self.m, self.first = m, pattern[0]
        self.second = pattern[1] if m > 1 else 0
        self.head[0], self.head[1] = self.first, self.second
        self.pattern = bytes(pattern)
        self.byte_mask = sum(1 << b for b in set(self.pattern))
        self.has_newline = 10 in self.pattern
        self.d[0, pattern[0]] = 1
        for j in range(1, m + 1):
            for c in range(256):
                self.d[j, c] = self.d[border, c]
            if j < m:
                self.d[j, pattern[j]] = j + 1
                border = self.d[border, pattern[j]]

    def run(self, const unsigned char[::1] text, state_t state):
        """The state after ``text`` read from ``state``, and the matches on the way."""
        cdef index_t found = 0
        cdef const unsigned char* data = &text[0] if text.shape[0] else NULL
        state = _run(data, 0, text.shape[0], state, self.d, self.m, self.first, &found)
        return state, found

    def reach(self, const unsigned char[::1] pairs, const unsigned char[::1] grams=None):
        """The longest prefix of the pattern whose adjacent byte pairs are all in ``pairs`` (a
        :func:`logzip.codec.summary.pair_bits`) and, with ``grams`` (a :func:`gram_bits`), whose
        4-byte substrings all are: no text without one of them holds a prefix going past it."""
        cdef const unsigned char* p = self.pattern
        cdef Py_ssize_t j
        cdef unsigned int code
        cdef int shift = 0
        if grams is not None:
            shift = 29 - _log2(grams.shape[0])
        for j in range(1, self.m):
            code = p[j - 1] << 8 | p[j]
            if not pairs[code >> 3] >> (code & 7) & 1:
                return j
            if grams is not None and j >= 3:
                code = gram_bit(word_at(p + j - 3), shift)
                if not grams[code >> 3] >> (code & 7) & 1:
                    return j
        return self.m

    def live_after(self, const unsigned char[::1] static, object lead):
        """Which states a row may leave a column in and still read on otherwise than a row in
        state 0 (a uint8 a state): through ``static``, the static text that follows the column
        in its segment, then a first byte of the next column (``lead``, those bytes as a
        256-bit mask; None when not known). A row left in a dead state is a row in state 0:
        the same states and matches from there on. Time O(m (len(static) + 256))."""
        cdef Py_ssize_t m = self.m, length = static.shape[0], s, b
        cdef const unsigned char* data = &static[0] if length else NULL
        cdef index_t from_zero = 0, from_s
        cdef state_t zero_to = _run(data, 0, length, 0, self.d, m, self.first, &from_zero), to
        cdef unsigned char leads[256]
        cdef bint dead
        live = np.ones(m + 1, dtype=np.uint8)
        live[0] = 0
        cdef cnp.uint8_t[::1] out = live
        for b in range(256):
            leads[b] = lead is not None and (lead >> b) & 1
        for s in range(1, m + 1):
            from_s = 0
            to = _run(data, 0, length, s, self.d, m, self.first, &from_s)
            if from_s != from_zero:
                continue
            dead = to == zero_to
            if not dead and lead is not None:
                dead = True
                for b in range(256):
                    if leads[b] and self.d[to, b] != self.d[zero_to, b]:
                        dead = False
                        break
            out[s] = not dead
        return live



cdef int _log2(Py_ssize_t n) noexcept nogil:
    cdef int k = 0
    while (<Py_ssize_t>1) << (k + 1) <= n:
        k += 1
    return k


def gram_bits(const unsigned char[::1] data, int log_bits):
    """The 4-byte substrings of ``data`` hashed into ``2 ** log_bits`` bits (3 <= log_bits <= 32),
    packed as :func:`logzip.codec.summary.pair_bits` packs pairs. A clear bit proves a 4-gram
    absent. Time: one pass; space: 2 ** log_bits / 8 bytes."""
    if not 3 <= log_bits <= 32:
        raise ValueError("log_bits out of range")
    out = np.zeros(1 << (log_bits - 3), dtype=np.uint8)
    cdef unsigned char[::1] bits = out
    cdef Py_ssize_t i, n = data.shape[0]
    cdef int shift = 32 - log_bits
    cdef unsigned int code
    with nogil:
        for i in range(n - 3):
            code = gram_bit(word_at(&data[i]), shift)
            bits[code >> 3] |= 1 << (code & 7)
    return out


def chunk_gram_bits(const unsigned char[::1] data, int log_chunk, int log_bits):
    """:func:`gram_bits` of each ``2 ** log_chunk``-byte chunk of ``data`` (the 4-grams that
    start in it), one row of ``2 ** log_bits`` bits a chunk: a match that starts in chunk c has
    all its 4-grams in chunks c and c + 1 (when it is no longer than a chunk). Time: one pass;
    space: ``2 ** (log_bits - log_chunk)`` bits a byte."""
    if not 3 <= log_bits <= 32 or not 3 <= log_chunk <= 40:
        raise ValueError("log_bits or log_chunk out of range")
    cdef Py_ssize_t i, n = data.shape[0], width = 1 << (log_bits - 3)
    out = np.zeros(((n >> log_chunk) + 1, width), dtype=np.uint8)
    cdef unsigned char[:, ::1] bits = out
    cdef int shift = 32 - log_bits
    cdef unsigned int code
    with nogil:
        for i in range(n - 3):
            code = gram_bit(word_at(&data[i]), shift)
            bits[i >> log_chunk, code >> 3] |= 1 << (code & 7)
    return out


def gram_codes(const unsigned char[::1] pattern, int log_bits) -> np.ndarray:
    """The bit numbers of ``pattern``'s 4-byte substrings in a :func:`gram_bits` map of
    ``2 ** log_bits`` bits (int64, one a 4-gram, in order)."""
    cdef Py_ssize_t i, n = max(pattern.shape[0] - 3, 0)
    if not 3 <= log_bits <= 32:
        raise ValueError("log_bits out of range")
    out = np.empty(n, dtype=np.int64)
    cdef cnp.int64_t[::1] codes = out
    for i in range(n):
        codes[i] = gram_bit(word_at(&pattern[i]), 32 - log_bits)
    return out


cdef inline state_t _run(const unsigned char* text, Py_ssize_t p, Py_ssize_t end, state_t s,
                         const state_t[:, ::1] d, state_t m, unsigned char first,
                         index_t* found) noexcept nogil:
    """Feed text[p:end) to the automaton from state s; add the matches to found; the last state."""
    cdef const unsigned char* q
    while p < end:
        if s == 0:
            q = <const unsigned char*>memchr(text + p, first, end - p)
            if q == NULL:
                return 0
            p = q - text
        s = d[s, text[p]]
        p += 1
        if s == m:
            found[0] += 1
    return s


cdef inline state_t _attempt(const unsigned char* text, Py_ssize_t p, Py_ssize_t end, state_t s,
                            const state_t[:, ::1] d, state_t m, unsigned char first, index_t* got) noexcept nogil:
    """Feed text[p:end) from state s (not 0) byte by byte until the state falls to 0: -1 when it
    does before any match (the rest is a text read from state 0), else the last state, with the
    matches in ``got`` (the rest read by :func:`_run` once a match is met)."""
    got[0] = 0
    while p < end:
        s = d[s, text[p]]
        p += 1
        if s == m:
            got[0] += 1
        elif s == 0:
            if got[0] == 0:
                return -1
            return _run(text, p, end, 0, d, m, first, got)
    return s


def rarest_byte(const unsigned char[::1] pattern, list counts, Py_ssize_t total, Py_ssize_t rare) -> int:
    """Where ``pattern`` holds its byte rarest in a column of ``total`` bytes with these byte
    ``counts`` (256 ints), when that byte is under 1 in ``rare`` of them (matches are found by
    it: the ``rare`` of :func:`scan_column`); else -1."""
    cdef Py_ssize_t k, at = 0
    cdef cnp.int64_t count, least = -1
    for k in range(pattern.shape[0]):
        count = <cnp.int64_t>counts[pattern[k]]
        if least < 0 or count < least:
            at, least = k, count
    return at if pattern.shape[0] and least * rare < total else -1


def scan_column(const unsigned char[::1] values, const index_t[::1] offsets, state_t[::1] states,
                const index_t[::1] act, Automaton automaton, cnp.int32_t[::1] hits=None,
                bint by_second=False, Py_ssize_t reach=0, bint tail_free=False, Py_ssize_t rare=-1,
                const cnp.uint8_t[::1] live=None, const cnp.uint8_t[::1] last_bytes=None,
                const cnp.uint8_t[::1] chunks=None, int log_chunk=0):
    """Feed row i's value ``values[offsets[i]:offsets[i + 1]]`` to the automaton from ``states[i]``.

    ``by_second``: the pattern's second byte is rarer in ``values`` than its first, so the scan
    for the rows in state 0 looks for that one. ``reach`` (:meth:`Automaton.reach` of the
    column's pairs), when below m: no value holds a match, and the state a value leaves from
    state 0 is found in its last ``reach`` bytes; when those are fewer than the buffer's, each
    row's end is read instead of the buffer. ``tail_free``: what follows the column leads every
    state where it leads state 0 (its first byte is not in the pattern), so the state a row in
    state 0 leaves does not matter: only the matches inside values are looked for. ``live``
    (:meth:`Automaton.live_after`): a row left in a state not live is left in state 0.
    ``last_bytes``: which byte values end some row (the rows are not read for the state they
    leave when none ends a live prefix). ``chunks``: which ``2 ** log_chunk``-byte chunks of
    ``values`` a match may start in (:func:`chunk_gram_bits`); the others are not searched.

    ``act`` lists, sorted, the rows whose state is not 0 (all others are). ``states`` is updated
    in place; the matches are counted, and with ``hits`` also added up per row. Returns the
    number of matches and the sorted rows left in a non-zero state.
    """
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], k, r, pos, end
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s
    cdef unsigned char first = automaton.first, second = automaton.second
    cdef index_t found = 0, before, got
    cdef bint with_hits = hits is not None
    cdef const unsigned char* text = &values[0] if values.shape[0] else NULL
    cdef const unsigned char* q
    cdef state_t* carried_v = <state_t*>malloc((n_act + 1) * sizeof(state_t))
    cdef index_t* fresh_v = <index_t*>malloc((n + 1) * sizeof(index_t))
    cdef index_t* ends_v = <index_t*>malloc((n + 1) * sizeof(index_t))
    cdef Py_ssize_t n_fresh = 0, window
    cdef bint windowed
    cdef const unsigned char* pattern = automaton.pattern
    cdef const cnp.uint8_t* alive = &live[0] if live is not None else NULL
    cdef const cnp.uint8_t* ending = &last_bytes[0] if last_bytes is not None else NULL
    if carried_v == NULL or fresh_v == NULL or ends_v == NULL:
        free(carried_v)
        free(fresh_v)
        free(ends_v)
        raise MemoryError()
    with nogil:
        # Rows already inside a match attempt: each is read from its own state until the
        # attempt ends. A row whose attempt ends (state 0) before a match is a row in state 0:
        # released (-1) to the scan below, which finds in it what lies past that point and
        # nothing before (no prefix of the pattern ends there). Else it is read to its end.
        for k in range(n_act):
            r = act[k]
            carried_v[k] = _attempt(text, offsets[r], offsets[r + 1], states[r], d, m, first, &got)
            if carried_v[k] < 0:
                states[r] = 0
                continue
            if alive != NULL and not alive[carried_v[k]]:
                carried_v[k] = 0
            found += got
            if with_hits:
                hits[r] += got
        # Rows in state 0, when their values are long: the whole pattern looked for in the
        # buffer (unless the pairs rule it out), and each row's last bytes read for the state
        # it leaves (it holds no longer prefix of the pattern than ``window``).
        window = reach if 0 < reach < m else m
        tail_free = tail_free and m > 1
        windowed = m > 1 and (tail_free or window == 1 or 2 * window * n < offsets[n] - offsets[0])
        if tail_free:
            if window == m:
                found += _whole_matches(text, offsets, states, pattern, m, rare, hits, chunks, log_chunk)
        elif windowed:
            if window == m:
                found += _whole_matches(text, offsets, states, pattern, m, rare, hits, chunks, log_chunk)
            n_fresh = _ending_in_prefix(text, offsets, states, ends_v, window, d, alive, pattern, ending)
        # Else only where the pattern's first two bytes occur, and the rows whose value ends
        # with its first byte (a match may go on in the next piece).
        pos, end, r = offsets[0], offsets[n] if not windowed else 0, 0
        while pos < end:
            if m == 1:
                q = <const unsigned char*>memchr(text + pos, first, end - pos)
            elif by_second:         # the second byte is the rarer: look for it, then behind it
                q = <const unsigned char*>memchr(text + pos + 1, second, end - pos - 1) if end - pos > 1 else NULL
                if q != NULL and q[-1] != first:
                    pos = q - text
                    continue
                if q != NULL:
                    q -= 1
            else:
                q = <const unsigned char*>memmem(text + pos, end - pos, automaton.head, 2)
            if q == NULL:
                break
            pos = q - text
            while offsets[r + 1] <= pos:
                r += 1
            if states[r] != 0:      # a row of act: done above
                pos = offsets[r + 1]
                continue
            before = found
            s = _run(text, pos, offsets[r + 1], 0, d, m, first, &found)
            if with_hits:
                hits[r] += found - before
            if s != 0 and (alive == NULL or alive[s]):  # never met again: the scan goes on past this row
                states[r] = s
                fresh_v[n_fresh] = r
                n_fresh += 1
            pos = offsets[r + 1]
        if m > 1 and not windowed:
            n_fresh = _ending_with_first(text, offsets, states, fresh_v, n_fresh, ends_v, d[0, first], first,
                                         alive == NULL or alive[d[0, first]])
        for k in range(n_act):
            if carried_v[k] >= 0:
                states[act[k]] = carried_v[k]
    try:
        return found, _survivors(act, carried_v, ends_v if m > 1 else fresh_v, n_fresh)
    finally:
        free(carried_v)
        free(fresh_v)
        free(ends_v)


cdef index_t _whole_matches(const unsigned char* text, const index_t[::1] offsets, const state_t[::1] states,
                            const unsigned char* pattern, Py_ssize_t m, Py_ssize_t rare,
                            cnp.int32_t[::1] hits, const cnp.uint8_t[::1] chunks, int log_chunk) noexcept nogil:
    """The matches that lie inside the value of a row in state 0 (found by :func:`_next_match`
    over the buffer, or over the chunks of ``chunks`` that are set), added to ``hits`` when
    given; their number."""
    cdef Py_ssize_t n = states.shape[0], r = 0, pos = offsets[0], end = offsets[n], c, n_chunks
    cdef Py_ssize_t chunk = (<Py_ssize_t>1) << log_chunk
    cdef index_t found = 0
    if chunks is None:
        return _matches_in(text, offsets, states, pattern, m, rare, hits, pos, end, end, &r)
    n_chunks = chunks.shape[0]
    for c in range(n_chunks):
        if chunks[c] and c * chunk < end:
            found += _matches_in(text, offsets, states, pattern, m, rare, hits, c * chunk,
                                 min(end, (c + 1) * chunk + m - 1), (c + 1) * chunk, &r)
    return found


cdef index_t _matches_in(const unsigned char* text, const index_t[::1] offsets, const state_t[::1] states,
                         const unsigned char* pattern, Py_ssize_t m, Py_ssize_t rare, cnp.int32_t[::1] hits,
                         Py_ssize_t pos, Py_ssize_t end, Py_ssize_t last_start, Py_ssize_t* row) noexcept nogil:
    """:func:`_whole_matches` of the matches that start in ``[pos, last_start)`` and end by
    ``end``; ``row`` is a row at or before ``pos``, moved on as matches are met."""
    cdef Py_ssize_t r = row[0], low, high, middle
    cdef index_t found = 0
    cdef const unsigned char* q
    while pos < end:
        q = _next_match(text, pos, end, pattern, m, rare)
        if q == NULL or q - text >= last_start:
            break
        pos = q - text
        if offsets[r + 1] <= pos:        # the row holding pos: a binary search past r
            low, high = r + 1, offsets.shape[0] - 2
            while low < high:
                middle = (low + high) >> 1
                if offsets[middle + 1] <= pos:
                    low = middle + 1
                else:
                    high = middle
            r = low
        if pos + m <= offsets[r + 1] and states[r] == 0:
            found += 1
            if hits is not None:
                hits[r] += 1
        pos += 1
    row[0] = r
    return found


cdef inline const unsigned char* _next_match(const unsigned char* text, Py_ssize_t pos, Py_ssize_t end,
                                             const unsigned char* pattern, Py_ssize_t m,
                                             Py_ssize_t rare) noexcept nogil:
    """The first occurrence of the pattern in ``text[pos:end)``, or NULL: ``memmem``, or, with
    ``rare >= 0``, ``memchr`` for the pattern's byte at ``rare`` (rare in the text: memchr runs
    several times faster than memmem) and a comparison at each one found."""
    cdef const unsigned char* q
    cdef Py_ssize_t at = pos + rare, last = end - m + rare
    if rare < 0:
        return <const unsigned char*>memmem(text + pos, end - pos, pattern, m)
    while at <= last:
        q = <const unsigned char*>memchr(text + at, pattern[rare], last - at + 1)
        if q == NULL:
            return NULL
        if memcmp(q - rare, pattern, m) == 0:
            return q - rare
        at = q - text + 1
    return NULL


cdef Py_ssize_t _ending_in_prefix(const unsigned char* text, const index_t[::1] offsets, state_t[::1] states,
                                  index_t* out, Py_ssize_t reach, const state_t[:, ::1] d,
                                  const cnp.uint8_t* alive, const unsigned char* pattern,
                                  const cnp.uint8_t* last_bytes) noexcept nogil:
    """Rows in state 0 enter the state their last ``reach`` bytes leave (the value ends with
    no prefix of the pattern longer than ``reach``; the matches are counted elsewhere), when it
    is live (``alive``, or every state when NULL); the sorted rows left in a non-zero state go
    to ``out``; their number. Only a value whose last byte ends a live prefix is read, and
    none when no value ends with such a byte (``last_bytes``, when not NULL)."""
    cdef Py_ssize_t n = states.shape[0], r, p, k = 0
    cdef state_t s
    cdef unsigned char ends_live[256]
    cdef bint any_live = False
    memset(ends_live, 0, 256)
    for s in range(1, reach + 1):
        if (alive == NULL or alive[s]) and (last_bytes == NULL or last_bytes[pattern[s - 1]]):
            ends_live[pattern[s - 1]] = 1
            any_live = True
    if not any_live:
        return 0
    for r in range(n):
        if states[r] != 0 or offsets[r + 1] == offsets[r] or not ends_live[text[offsets[r + 1] - 1]]:
            continue
        p = offsets[r + 1] - reach
        if p < offsets[r]:
            p = offsets[r]
        s = 0
        while p < offsets[r + 1]:
            s = d[s, text[p]]
            p += 1
        if s != 0 and (alive == NULL or alive[s]):
            states[r] = s
            out[k] = r
            k += 1
    return k


cdef Py_ssize_t _ending_with_first(const unsigned char* text, const index_t[::1] offsets, state_t[::1] states,
                                   const index_t* fresh, Py_ssize_t n_fresh, index_t* out,
                                   state_t one, unsigned char first, bint one_live) noexcept nogil:
    """Rows in state 0 whose value ends with the pattern's first byte enter state ``one`` (when
    ``one_live``); the sorted rows left in a non-zero state (``fresh`` and those) go to ``out``;
    their number."""
    cdef Py_ssize_t n = states.shape[0], r, j = 0, k = 0
    for r in range(n):
        if j < n_fresh and fresh[j] == r:
            out[k] = r
            j += 1
            k += 1
        elif one_live and states[r] == 0 and offsets[r + 1] > offsets[r] and text[offsets[r + 1] - 1] == first:
            states[r] = one
            out[k] = r
            k += 1
    return k


cdef class _Through:
    """What a static piece does from each state: the state it leads to and the matches on the
    way, found on first need (a piece fed to many rows is read once a state, not once a row)."""
    cdef state_t* to
    cdef index_t* gain
    cdef const unsigned char* text
    cdef Py_ssize_t length
    cdef const state_t[:, ::1] d
    cdef state_t m
    cdef unsigned char first

    def __cinit__(self, const unsigned char[::1] piece, Automaton automaton):
        cdef state_t s
        self.length = piece.shape[0]
        self.text = &piece[0] if self.length else NULL
        self.d, self.m, self.first = automaton.d, automaton.m, automaton.first
        self.to = <state_t*>malloc((self.m + 1) * sizeof(state_t))
        self.gain = <index_t*>malloc((self.m + 1) * sizeof(index_t))
        if self.to == NULL or self.gain == NULL:
            raise MemoryError()
        for s in range(self.m + 1):
            self.to[s] = -1

    def __dealloc__(self):
        free(self.to)
        free(self.gain)

    cdef inline state_t step(self, state_t s, index_t* found) noexcept nogil:
        if self.to[s] < 0:
            self.gain[s] = 0
            self.to[s] = _run(self.text, 0, self.length, s, self.d, self.m, self.first, &self.gain[s])
        found[0] += self.gain[s]
        return self.to[s]


def scan_static(const unsigned char[::1] piece, state_t[::1] states, const index_t[::1] act,
                Automaton automaton, cnp.int32_t[::1] hits=None):
    """:func:`scan_column` for a piece that is the same text in every row."""
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], k, r
    cdef _Through through = _Through(piece, automaton)
    cdef state_t zero_to
    cdef index_t found = 0, before, zero_found = 0
    cdef bint with_hits = hits is not None
    with nogil:
        zero_to = through.step(0, &zero_found)
    if zero_to == 0 and zero_found == 0:
        # Rows in state 0 stay there: only act moves.
        with nogil:
            for k in range(n_act):
                r = act[k]
                before = found
                states[r] = through.step(states[r], &found)
                if with_hits:
                    hits[r] += found - before
        return found, _survivors(act, &states[0] if n else NULL, NULL, 0, True)
    with nogil:
        for r in range(n):
            before = found
            states[r] = through.step(states[r], &found)
            if with_hits:
                hits[r] += found - before
    return found, np.flatnonzero(np.asarray(states)).astype(np.int64)


def step_rows(const unsigned char[::1] values, const index_t[::1] offsets, const cnp.int32_t[::1] codes,
              state_t[::1] states, const index_t[::1] act, Automaton automaton):
    """Feed the rows of ``act`` only, whatever their state (0 too), their piece: ``values`` as it
    is when ``offsets`` is None (a static piece), else as in :func:`scan_column`, or with
    ``codes`` as in :func:`scan_coded`. Returns their matches."""
    cdef Py_ssize_t k, r, c
    cdef const state_t[:, ::1] d = automaton.d
    cdef index_t found = 0
    cdef bint static = offsets is None, coded = codes is not None
    cdef const unsigned char* text = &values[0] if values.shape[0] else NULL
    cdef _Through through = _Through(values, automaton) if static else None
    with nogil:
        for k in range(act.shape[0]):
            r = act[k]
            if static:
                states[r] = through.step(states[r], &found)
            else:
                c = codes[r] if coded else r
                states[r] = _run(text, offsets[c], offsets[c + 1], states[r], d, automaton.m, automaton.first,
                                 &found)
    return found


def shared_coded(const unsigned char[::1] values, const index_t[::1] offsets, const cnp.int32_t[::1] codes,
                 const cnp.int64_t[::1] code_counts, state_t[::1] states, const index_t[::1] act, state_t shared,
                 Automaton automaton, const cnp.uint8_t[::1] live=None,
                 const index_t[::1] by_code=None, const index_t[::1] code_starts=None):
    """A coded column fed to the rows of ``act`` (sorted) one by one, and to all the others, in
    state ``shared``, by entry: what an entry does from ``shared`` is found once and counted for
    the rows that hold it. Returns the count, the rows in a non-zero state read one by one from
    now on, and the state the others share after the column, or -1 when they no longer share
    one (then every row in a non-zero state is among those returned, and the others are in 0).
    While the others share a non-zero state, the rows of ``act`` are returned as they came.
    ``live`` as in :func:`scan_column`: a state not live is taken for 0. ``by_code`` and
    ``code_starts`` (the rows sorted by entry, and where each entry's rows start): when the rows
    of the entries that leave a non-zero state are few, only they are read, not every row."""
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], n_values = offsets.shape[0] - 1, k, r, c, j = 0
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, outcome = -1, end
    cdef unsigned char first = automaton.first
    cdef index_t found = 0, got, n_out = 0
    cdef bint split = False
    cdef index_t[::1] out_v
    cdef const unsigned char* text = &values[0] if values.shape[0] else NULL
    cdef const cnp.uint8_t* alive = &live[0] if live is not None else NULL
    cdef cnp.int64_t* others = <cnp.int64_t*>malloc((n_values + 1) * sizeof(cnp.int64_t))
    cdef state_t* ends = <state_t*>malloc((n_values + 1) * sizeof(state_t))
    if others == NULL or ends == NULL:
        free(others)
        free(ends)
        raise MemoryError()
    try:
        with nogil:
            for c in range(n_values):
                others[c] = code_counts[c]
            for k in range(n_act):
                r = act[k]
                c = codes[r]
                others[c] -= 1
                states[r] = _run(text, offsets[c], offsets[c + 1], states[r], d, m, first, &found)
                if alive != NULL and not alive[states[r]]:
                    states[r] = 0
            for c in range(n_values):
                if others[c] == 0:
                    continue
                got = 0
                end = _run(text, offsets[c], offsets[c + 1], shared, d, m, first, &got)
                if alive != NULL and not alive[end]:
                    end = 0
                found += got * others[c]
                ends[c] = end
                if outcome < 0:
                    outcome = end
                elif end != outcome:
                    split = True
        if not split and outcome > 0:       # the rows of act stay apart, whatever their state
            return found, np.asarray(act), outcome
        if not split:
            return found, _nonzero_rows(act, states), 0
        for c in range(n_values):
            if others[c] == 0:
                ends[c] = 0
        if by_code is not None and 8 * _rows_of_entries(code_counts, ends, n_values) < n:
            return found, _split_sparse(states, act, by_code, code_starts, ends, n_values), -1
        out = np.empty(n, dtype=np.int64)
        out_v = out
        with nogil:
            for r in range(n):
                if j < n_act and act[j] == r:
                    j += 1
                else:
                    states[r] = ends[codes[r]]
                if states[r] != 0:
                    out_v[n_out] = r
                    n_out += 1
        return found, out[:n_out], -1
    finally:
        free(others)
        free(ends)


def viable_segments(const cnp.int64_t[::1] row_counts, const cnp.uint64_t[:, ::1] flag_words,
                    const cnp.uint64_t[::1] needed, const unsigned char[:, ::1] pair_maps=None,
                    const cnp.int32_t[::1] pairs=None, const unsigned char[:, ::1] gram_maps=None,
                    const cnp.int64_t[::1] grams=None):
    """Which segments of a group may hold a match (uint8 a segment): those with rows whose
    byte set (``flag_words``, four words a segment) holds the ``needed`` bytes and, when the
    maps are given, whose line maps hold every one of ``pairs`` and ``grams`` (bit numbers)."""
    cdef Py_ssize_t n = row_counts.shape[0], s, k
    cdef bint maps = pair_maps is not None
    cdef cnp.int64_t code
    out = np.zeros(n, dtype=np.uint8)
    cdef cnp.uint8_t[::1] o = out
    with nogil:
        for s in range(n):
            if row_counts[s] == 0:
                continue
            for k in range(4):
                if flag_words[s, k] & needed[k] != needed[k]:
                    break
            else:
                o[s] = 1
                if maps:
                    for k in range(pairs.shape[0]):
                        code = pairs[k]
                        if not pair_maps[s, code >> 3] >> (code & 7) & 1:
                            o[s] = 0
                            break
                    if o[s]:
                        for k in range(grams.shape[0]):
                            code = grams[k]
                            if not gram_maps[s, code >> 3] >> (code & 7) & 1:
                                o[s] = 0
                                break
    return out


def entry_moves(const cnp.int16_t[::1] entry_bytes, const index_t[::1] rows, const state_t[:, ::1] states,
           Automaton automaton):
    """Whether row ``rows[k]``, in state ``states[k, 0]``, reads its next byte
    ``entry_bytes[rows[k]]`` (-1: not known) otherwise than from ``states[k, 1]`` (the state
    it was counted from; 0 when ``states`` has one column): a uint8 a row. A row that it does
    not move otherwise reads on as the other would."""
    cdef Py_ssize_t k, n = rows.shape[0]
    cdef const state_t[:, ::1] d = automaton.d
    cdef bint pairs = states.shape[1] > 1
    cdef int byte
    out = np.empty(n, dtype=np.uint8)
    cdef cnp.uint8_t[::1] o = out
    with nogil:
        for k in range(n):
            byte = entry_bytes[rows[k]]
            o[k] = byte < 0 or d[states[k, 0], byte] != d[states[k, 1] if pairs else 0, byte]
    return out


def enter_column(const unsigned char[::1] first_bytes, const cnp.uint8_t[::1] empty, state_t[::1] states,
                 const index_t[::1] act, state_t shared, Automaton automaton):
    """The rows out of ``act`` (sorted), all in state ``shared``, meet a plain column whose row r
    starts with ``first_bytes[r]`` (``empty[r]``: its value is empty): those whose first byte
    leads from ``shared`` to state 0 are in state 0 from now on; the others take state
    ``shared`` and join ``act``. Returns the rows in a non-zero state, sorted."""
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], r, j = 0, n_out = 0
    cdef const state_t[:, ::1] d = automaton.d
    out = np.empty(n, dtype=np.int64)
    cdef index_t[::1] out_v = out
    with nogil:
        for r in range(n):
            if j < n_act and act[j] == r:
                j += 1
            elif empty[r] or d[shared, first_bytes[r]] != 0:
                states[r] = shared
            else:
                continue
            if states[r] != 0:
                out_v[n_out] = r
                n_out += 1
    return out[:n_out]


cdef extern from *:
    int __builtin_ctzll(unsigned long long) nogil
    int __builtin_popcountll(unsigned long long) nogil


cdef class _RowSet:
    """A set of rows 0..n-1 as a bit vector (n / 8 bytes), listed in order in O(n / 64 + size):
    how the rows an entry's row list names are gathered into one sorted list."""
    cdef unsigned long long* words
    cdef Py_ssize_t n_words

    def __cinit__(self, Py_ssize_t n):
        self.n_words = (n >> 6) + 1
        self.words = <unsigned long long*>calloc(self.n_words, sizeof(unsigned long long))
        if self.words == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.words)

    cdef inline void add(self, index_t r) noexcept nogil:
        self.words[r >> 6] |= 1ULL << (r & 63)

    cdef inline void discard(self, index_t r) noexcept nogil:
        self.words[r >> 6] &= ~(1ULL << (r & 63))

    cdef Py_ssize_t fill(self, index_t* out) noexcept nogil:
        """Write the rows in order to ``out``; their number."""
        cdef Py_ssize_t w, k = 0
        cdef unsigned long long word
        for w in range(self.n_words):
            word = self.words[w]
            while word:
                out[k] = (w << 6) + __builtin_ctzll(word)
                k += 1
                word &= word - 1
        return k

    cdef object rows(self):
        cdef Py_ssize_t w, size = 0
        for w in range(self.n_words):
            size += __builtin_popcountll(self.words[w])
        out = np.empty(size, dtype=np.int64)
        cdef index_t[::1] out_v = out
        if size:
            with nogil:
                self.fill(&out_v[0])
        return out


cdef index_t _rows_of_entries(const cnp.int64_t[::1] counts, const state_t* to, Py_ssize_t n_values) noexcept nogil:
    """How many rows hold an entry whose state ``to`` is not 0 (``counts`` a row count an entry)."""
    cdef Py_ssize_t c
    cdef index_t total = 0
    for c in range(n_values):
        if to[c] != 0:
            total += counts[c]
    return total


cdef object _split_sparse(state_t[::1] states, const index_t[::1] act, const index_t[::1] by_code,
                          const index_t[::1] code_starts, const state_t* ends, Py_ssize_t n_values):
    """The split of :func:`shared_coded` read from the rows of the entries with a non-zero end:
    they take it (the rows of ``act`` keep their own), and the rows in a non-zero state are
    returned in order."""
    cdef Py_ssize_t n_act = act.shape[0], k, c, j
    cdef _RowSet found = _RowSet(states.shape[0])
    cdef state_t* own = <state_t*>malloc((n_act + 1) * sizeof(state_t))
    if own == NULL:
        raise MemoryError()
    with nogil:
        for k in range(n_act):
            own[k] = states[act[k]]
        for c in range(n_values):
            if ends[c] == 0:
                continue
            for j in range(code_starts[c], code_starts[c + 1]):
                states[by_code[j]] = ends[c]
                found.add(by_code[j])
        for k in range(n_act):
            states[act[k]] = own[k]
            if own[k] != 0:
                found.add(act[k])
            else:
                found.discard(act[k])
    free(own)
    return found.rows()


cdef object _nonzero_rows(const index_t[::1] act, const state_t[::1] states):
    """The rows of ``act`` in a non-zero state, in order."""
    cdef Py_ssize_t k, n_out = 0
    out = np.empty(act.shape[0], dtype=np.int64)
    cdef index_t[::1] out_v = out
    with nogil:
        for k in range(act.shape[0]):
            if states[act[k]] != 0:
                out_v[n_out] = act[k]
                n_out += 1
    return out[:n_out]


def match_ends(const unsigned char[::1] text, state_t start, Automaton automaton):
    """Positions in ``text`` where a match ends (index of its last byte), read from state
    ``start``, and the state after the text."""
    ends, _, after = match_ends_in(text, np.array([0, text.shape[0]], dtype=np.int64),
                                   np.array([start], dtype=np.int32), automaton)
    return ends, int(after[0])


def match_ends_in(const unsigned char[::1] text, const index_t[::1] offsets, const state_t[::1] starts,
                  Automaton automaton):
    """For each part ``text[offsets[k]:offsets[k + 1]]`` read from state ``starts[k]``: where its
    matches end (positions in ``text``, in order), which part each is in, and the state after
    each part. Two passes: one counts, one fills, so memory is 16 bytes a match."""
    cdef Py_ssize_t n_parts = starts.shape[0], k, p
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s
    cdef index_t total = 0, i = 0
    cdef const unsigned char* data = &text[0] if text.shape[0] else NULL
    after = np.empty(n_parts, dtype=np.int32)
    cdef state_t[::1] after_v = after
    with nogil:
        for k in range(n_parts):
            after_v[k] = _run(data, offsets[k], offsets[k + 1], starts[k], d, m, automaton.first, &total)
    ends = np.empty(total, dtype=np.int64)
    parts = np.empty(total, dtype=np.int64)
    cdef index_t[::1] ends_v = ends, parts_v = parts
    with nogil:
        for k in range(n_parts):
            s = starts[k]
            for p in range(offsets[k], offsets[k + 1]):
                s = d[s, data[p]]
                if s == m:
                    ends_v[i] = p
                    parts_v[i] = k
                    i += 1
    return ends, parts, after


def scan_text(const unsigned char[::1] text, state_t start, Automaton automaton):
    """The number of matches in ``text`` read from state ``start``, and the state after it."""
    cdef state_t s
    cdef index_t found = 0
    cdef const unsigned char* data = &text[0] if text.shape[0] else NULL
    with nogil:
        s = _run(data, 0, text.shape[0], start, automaton.d, automaton.m, automaton.first, &found)
    return found, s


cdef object _survivors(const index_t[::1] act, const state_t* carried, const index_t* fresh,
                       Py_ssize_t n_fresh, bint by_row=False):
    """The rows of ``act`` whose new state is above 0 (``carried[k]`` for act[k], or with ``by_row``
    ``carried[act[k]]``; -1 marks a row handed to ``fresh``), merged with the sorted ``fresh`` rows, as a sorted int64 array."""
    cdef Py_ssize_t n_act = act.shape[0], i = 0, j = 0, k = 0
    if n_act == 0 and n_fresh == 0:
        return _EMPTY
    out = np.empty(n_act + n_fresh, dtype=np.int64)
    cdef index_t[::1] o = out
    with nogil:
        while i < n_act or j < n_fresh:
            if i < n_act and (carried[act[i]] if by_row else carried[i]) <= 0:
                i += 1
            elif j >= n_fresh or (i < n_act and act[i] < fresh[j]):
                o[k] = act[i]
                i += 1
                k += 1
            else:
                o[k] = fresh[j]
                j += 1
                k += 1
    return out[:k]


def scan_pairs(const unsigned char[::1] values, const index_t[::1] offsets, const cnp.int32_t[::1] codes,
               state_t[:, ::1] states, const index_t[::1] act, Automaton automaton,
               cnp.int32_t[::1] hits=None):
    """Correct what a row was counted from a wrong state: row r of ``act`` is read from both
    ``states[r, 0]`` (its true state) and ``states[r, 1]`` (the state it was counted from),
    in step, until the two meet; from there on both count alike. ``values``/``offsets`` as in
    :func:`scan_column`, or ``offsets`` None for a static piece (the same text in every row),
    ``codes`` as in :func:`scan_coded` or None. Returns the change in the count and the rows whose states still
    differ."""
    cdef Py_ssize_t n_act = act.shape[0], k, r, p, end, c
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s, t
    cdef index_t change = 0, before
    cdef bint with_hits = hits is not None, static = offsets is None, coded = codes is not None
    cdef Py_ssize_t length = values.shape[0]
    cdef const unsigned char* text = &values[0] if length else NULL
    differ = np.empty(n_act, dtype=np.int64)
    cdef index_t[::1] differ_v = differ
    cdef Py_ssize_t n_differ = 0
    with nogil:
        for k in range(n_act):
            r = act[k]
            s, t = states[r, 0], states[r, 1]
            c = codes[r] if coded else r
            if static:
                p, end = 0, length
            else:
                p, end = offsets[c], offsets[c + 1]
            before = change
            while p < end and s != t:
                s = d[s, text[p]]
                t = d[t, text[p]]
                change += (s == m) - (t == m)
                p += 1
            states[r, 0], states[r, 1] = s, t
            if with_hits:
                hits[r] += change - before
            if s != t:
                differ_v[n_differ] = r
                n_differ += 1
    return change, differ[:n_differ]


def scan_coded(const unsigned char[::1] values, const index_t[::1] offsets, const cnp.int32_t[::1] codes,
               state_t[::1] states, const index_t[::1] act, Automaton automaton,
               cnp.int32_t[::1] hits=None, const cnp.int64_t[::1] code_counts=None,
               const cnp.uint8_t[::1] live=None, const index_t[::1] by_code=None,
               const index_t[::1] code_starts=None):
    """:func:`scan_column` for a dictionary-coded column: row r's value is dictionary entry
    ``codes[r]`` (``values``/``offsets`` hold the distinct values). What each entry does from
    state 0 is found once, by scanning the dictionary; rows in other states step through their
    entry, each (state, entry) pair read once when rows share them.

    ``code_counts`` (how many rows hold each entry) is given when what follows the column leads
    every state where it leads state 0 (``tail_free`` of :func:`scan_column`): the rows in
    state 0 are then counted by entry, not read (but one by one with ``hits``), and stay in 0.
    ``live`` as in :func:`scan_column`; ``by_code`` and ``code_starts`` as in
    :func:`shared_coded`: when the rows of the entries that find a match or leave a non-zero
    state are few, only they are read."""
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], n_values = offsets.shape[0] - 1
    cdef Py_ssize_t k, r, c, slot, n_fresh = 0
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s
    cdef unsigned char first = automaton.first
    cdef index_t found = 0, before, got
    cdef bint with_hits = hits is not None
    cdef const unsigned char* text = &values[0] if values.shape[0] else NULL
    # From state 0: every distinct value once.
    zero_to = np.zeros(n_values, dtype=np.int32)
    zero_found = np.zeros(n_values, dtype=np.int32)
    found_in_values, _ = scan_column(values, offsets, zero_to, np.zeros(0, dtype=np.int64), automaton,
                                     zero_found, live=live)
    cdef const cnp.uint8_t* alive = &live[0] if live is not None else NULL
    cdef state_t[::1] to0 = zero_to
    cdef cnp.int32_t[::1] found0 = zero_found
    cdef bint tail_free = code_counts is not None
    cdef index_t in_values = found_in_values
    cdef bint any_fresh = in_values or zero_to.any() and not tail_free
    cdef _RowSet fresh_rows = None
    cdef index_t touched = 0
    if any_fresh and by_code is not None:
        for c in range(n_values):
            if to0[c] != 0 or found0[c] != 0:
                touched += code_starts[c + 1] - code_starts[c]
        if 8 * touched < n:
            fresh_rows = _RowSet(n)
    cdef state_t* carried_v = <state_t*>malloc((n_act + 1) * sizeof(state_t))
    cdef index_t* fresh_v = <index_t*>malloc((n + 1 if any_fresh else 1) * sizeof(index_t))
    if carried_v == NULL or fresh_v == NULL:
        free(carried_v)
        free(fresh_v)
        raise MemoryError()
    # Rows in other states: a memo of (state, entry) when they are many.
    cdef bint memo = n_act > n_values
    cdef state_t[::1] slot_of
    cdef state_t[:, ::1] memo_to
    cdef cnp.int32_t[:, ::1] memo_found
    cdef Py_ssize_t n_slots = 0
    if memo:
        slots = np.full(m + 1, -1, dtype=np.int32)
        slot_of = slots
        with nogil:
            for k in range(n_act):
                if slot_of[states[act[k]]] < 0:
                    slot_of[states[act[k]]] = n_slots
                    n_slots += 1
        memo_to = np.full((n_slots, n_values), -1, dtype=np.int32)
        memo_found = np.zeros((n_slots, n_values), dtype=np.int32)
    with nogil:
        for k in range(n_act):
            r = act[k]
            c = codes[r]
            if offsets[c + 1] > offsets[c] and d[states[r], text[offsets[c]]] == 0:
                carried_v[k] = -1     # released to the rows in state 0, as in scan_column
                states[r] = 0
                continue
            if memo:
                slot = slot_of[states[r]]
                if memo_to[slot, c] < 0:
                    got = 0
                    memo_to[slot, c] = _run(text, offsets[c], offsets[c + 1], states[r], d, m, first, &got)
                    memo_found[slot, c] = got
                carried_v[k] = memo_to[slot, c]
                got = memo_found[slot, c]
            else:
                got = 0
                carried_v[k] = _run(text, offsets[c], offsets[c + 1], states[r], d, m, first, &got)
            found += got
            if with_hits:
                hits[r] += got
            if alive != NULL and not alive[carried_v[k]]:
                carried_v[k] = 0
        if tail_free and not with_hits:
            if in_values:
                for c in range(n_values):
                    found += found0[c] * code_counts[c]
                for k in range(n_act):
                    if carried_v[k] >= 0:
                        found -= found0[codes[act[k]]]
        elif tail_free and in_values:
            for r in range(n):
                if states[r] == 0:
                    found += found0[codes[r]]
                    hits[r] += found0[codes[r]]
        elif fresh_rows is not None:
            for c in range(n_values):
                if to0[c] == 0 and found0[c] == 0:
                    continue
                for slot in range(code_starts[c], code_starts[c + 1]):
                    r = by_code[slot]
                    if states[r] != 0:
                        continue
                    found += found0[c]
                    if with_hits:
                        hits[r] += found0[c]
                    if to0[c] != 0:
                        states[r] = to0[c]
                        fresh_rows.add(r)
            n_fresh = fresh_rows.fill(fresh_v)
        elif any_fresh:
            for r in range(n):
                if states[r] == 0:
                    c = codes[r]
                    found += found0[c]
                    if with_hits:
                        hits[r] += found0[c]
                    if to0[c] != 0:
                        states[r] = to0[c]
                        fresh_v[n_fresh] = r
                        n_fresh += 1
        for k in range(n_act):
            if carried_v[k] >= 0:
                states[act[k]] = carried_v[k]
    try:
        return found, _survivors(act, carried_v, fresh_v, n_fresh)
    finally:
        free(carried_v)
        free(fresh_v)

