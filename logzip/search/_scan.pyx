# cython: boundscheck=False, wraparound=False, cdivision=True
"""Exact matching of one pattern over text cut into pieces: the inner loops of stream search.

A pattern of m bytes is a KMP automaton of m + 1 states (state k: the text read so far ends
with the pattern's first k bytes; a match is every arrival in state m). Text is fed to it as
*pieces* of many rows at once: a column (one value a row, the values laid end to end in one
buffer with row offsets) or a static text (the same for every row). Each row carries its own
state from piece to piece, so the rows of a template are its lines, read left to right.

Most rows sit in state 0 most of the time, and from state 0 only the pattern's first byte
moves the automaton: so a piece is scanned with ``memchr`` for that byte across the whole
buffer, and only the rows it finds, plus the rows already in a non-zero state (``act``, a
sorted list), are stepped through byte by byte. Time: the memchr pass over the buffer plus
the bytes read after each candidate; no per-row work for rows that stay in state 0.
"""
import numpy as np

cimport numpy as cnp
from libc.string cimport memchr

cnp.import_array()

ctypedef cnp.int32_t state_t
ctypedef cnp.int64_t index_t


cdef class Automaton:
    """The KMP automaton of a pattern (not empty): an (m + 1) x 256 table of next states."""

    cdef readonly object table
    cdef state_t[:, ::1] d
    cdef readonly state_t m
    cdef readonly unsigned char first

    def __init__(self, const unsigned char[::1] pattern):
        cdef Py_ssize_t m = pattern.shape[0], j
        cdef int c, border = 0
        if m == 0:
            raise ValueError("empty pattern")
        self.table = np.zeros((m + 1, 256), dtype=np.int32)
        self.d = self.table
        self.m, self.first = m, pattern[0]
        self.d[0, pattern[0]] = 1
        for j in range(1, m + 1):
            for c in range(256):
                self.d[j, c] = self.d[border, c]
            if j < m:
                self.d[j, pattern[j]] = j + 1
                border = self.d[border, pattern[j]]


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


def scan_column(const unsigned char[::1] values, const index_t[::1] offsets, state_t[::1] states,
                const index_t[::1] act, Automaton automaton, cnp.int32_t[::1] hits=None):
    """Feed row i's value ``values[offsets[i]:offsets[i + 1]]`` to the automaton from ``states[i]``.

    ``act`` lists, sorted, the rows whose state is not 0 (all others are). ``states`` is updated
    in place; the matches are counted, and with ``hits`` also added up per row. Returns the
    number of matches and the sorted rows left in a non-zero state.
    """
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], k, r, pos, end
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s
    cdef unsigned char first = automaton.first
    cdef index_t found = 0, before
    cdef bint with_hits = hits is not None
    cdef const unsigned char* text = &values[0] if values.shape[0] else NULL
    cdef const unsigned char* q
    carried = np.empty(n_act, dtype=np.int32)
    fresh = np.empty(n, dtype=np.int64)
    cdef state_t[::1] carried_v = carried
    cdef index_t[::1] fresh_v = fresh
    cdef Py_ssize_t n_fresh = 0
    with nogil:
        # Rows already inside a match attempt: each is read whole, from its own state.
        for k in range(n_act):
            r = act[k]
            before = found
            carried_v[k] = _run(text, offsets[r], offsets[r + 1], states[r], d, m, first, &found)
            if with_hits:
                hits[r] += found - before
        # Rows in state 0: only where the pattern's first byte occurs.
        pos, end, r = offsets[0], offsets[n], 0
        while pos < end:
            q = <const unsigned char*>memchr(text + pos, first, end - pos)
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
            if s != 0:              # never met again: the scan goes on past this row
                states[r] = s
                fresh_v[n_fresh] = r
                n_fresh += 1
            pos = offsets[r + 1]
        for k in range(n_act):
            states[act[k]] = carried_v[k]
    kept = np.asarray(act)[carried != 0]
    return found, _merge(kept, fresh[:n_fresh])


def scan_static(const unsigned char[::1] piece, state_t[::1] states, const index_t[::1] act,
                Automaton automaton, cnp.int32_t[::1] hits=None):
    """:func:`scan_column` for a piece that is the same text in every row."""
    cdef Py_ssize_t n = states.shape[0], n_act = act.shape[0], k, r, length = piece.shape[0]
    cdef state_t[::1] carried_v
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s, zero_to
    cdef unsigned char first = automaton.first
    cdef index_t found = 0, before, zero_found = 0
    cdef bint with_hits = hits is not None
    cdef const unsigned char* text = &piece[0] if length else NULL
    with nogil:
        zero_to = _run(text, 0, length, 0, d, m, first, &zero_found)
    if zero_to == 0 and zero_found == 0:
        # Rows in state 0 stay there: only act moves.
        carried = np.empty(n_act, dtype=np.int32)
        carried_v = carried
        with nogil:
            for k in range(n_act):
                r = act[k]
                before = found
                s = _run(text, 0, length, states[r], d, m, first, &found)
                states[r] = s
                carried_v[k] = s
                if with_hits:
                    hits[r] += found - before
        return found, np.asarray(act)[carried != 0]
    with nogil:
        for r in range(n):
            s = states[r]
            if s == 0:
                states[r] = zero_to
                found += zero_found
                if with_hits:
                    hits[r] += zero_found
            else:
                before = found
                states[r] = _run(text, 0, length, s, d, m, first, &found)
                if with_hits:
                    hits[r] += found - before
    return found, np.flatnonzero(np.asarray(states)).astype(np.int64)


def match_ends(const unsigned char[::1] text, state_t start, Automaton automaton):
    """Positions in ``text`` where a match ends (index of its last byte), read from state
    ``start``, and the state after the text."""
    cdef Py_ssize_t n = text.shape[0], p
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s = start
    ends = []
    for p in range(n):
        s = d[s, text[p]]
        if s == m:
            ends.append(p)
    return np.array(ends, dtype=np.int64), s


def scan_text(const unsigned char[::1] text, state_t start, Automaton automaton):
    """The number of matches in ``text`` read from state ``start``, and the state after it."""
    cdef state_t s
    cdef index_t found = 0
    cdef const unsigned char* data = &text[0] if text.shape[0] else NULL
    with nogil:
        s = _run(data, 0, text.shape[0], start, automaton.d, automaton.m, automaton.first, &found)
    return found, s


def _merge(a, b):
    """Two sorted row lists as one."""
    if not len(b):
        return a
    if not len(a):
        return b.copy()
    return np.sort(np.concatenate((a, b)), kind="mergesort")


def scan_pairs(const unsigned char[::1] values, const index_t[::1] offsets, state_t[:, ::1] states,
               const index_t[::1] act, Automaton automaton, cnp.int32_t[::1] hits=None):
    """Correct what a row was counted from a wrong state: row r of ``act`` is read from both
    ``states[r, 0]`` (its true state) and ``states[r, 1]`` (the state it was counted from),
    in step, until the two meet; from there on both count alike. ``values``/``offsets`` as in
    :func:`scan_column` (one row of offsets [0, len] for a static piece read by every row:
    pass ``offsets`` None). Returns the change in the count and the rows whose states still
    differ."""
    cdef Py_ssize_t n_act = act.shape[0], k, r, p, end
    cdef const state_t[:, ::1] d = automaton.d
    cdef state_t m = automaton.m, s, t
    cdef index_t change = 0, before
    cdef bint with_hits = hits is not None, static = offsets is None
    cdef Py_ssize_t length = values.shape[0]
    cdef const unsigned char* text = &values[0] if length else NULL
    differ = np.empty(n_act, dtype=np.int64)
    cdef index_t[::1] differ_v = differ
    cdef Py_ssize_t n_differ = 0
    with nogil:
        for k in range(n_act):
            r = act[k]
            s, t = states[r, 0], states[r, 1]
            if static:
                p, end = 0, length
            else:
                p, end = offsets[r], offsets[r + 1]
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
