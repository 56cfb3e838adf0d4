# cython: boundscheck=False, wraparound=False
"""Lines made of pieces, rendered at once (byte spans of many buffers copied into one) or
summarised by their byte pairs without rendering."""
import numpy as np

cimport numpy as cnp
from libc.stdlib cimport free, malloc
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcmp, memcpy
from cpython.pyport cimport PY_SSIZE_T_MAX

from ._grams cimport gram_bit, word_at

cnp.import_array()


def join_spans(list buffers, const cnp.int64_t[::1] which, const cnp.int64_t[::1] starts,
               const cnp.int64_t[::1] ends) -> bytes:
    """``b"".join(buffers[which[i]][starts[i]:ends[i]] for i in ...)`` in one pass of memcpy."""
    cdef Py_ssize_t n = which.shape[0], n_buffers = len(buffers), i, total = 0, at = 0
    cdef const unsigned char** base = <const unsigned char**>malloc((n_buffers + 1) * sizeof(char*))
    cdef const unsigned char[::1] view
    cdef cnp.int64_t[::1] sizes = np.empty(n_buffers + 1, dtype=np.int64)
    cdef unsigned char* dest
    if base == NULL:
        raise MemoryError()
    try:
        for i in range(n_buffers):
            view = buffers[i]
            base[i] = &view[0] if view.shape[0] else NULL
            sizes[i] = view.shape[0]
        for i in range(n):
            if which[i] < 0 or which[i] >= n_buffers or not 0 <= starts[i] <= ends[i] <= sizes[which[i]]:
                raise ValueError("span outside its buffer")
            total += ends[i] - starts[i]
        out = PyBytes_FromStringAndSize(NULL, total)
        dest = <unsigned char*>PyBytes_AS_STRING(out)
        with nogil:
            for i in range(n):
                if ends[i] > starts[i]:
                    memcpy(dest + at, base[which[i]] + starts[i], ends[i] - starts[i])
                    at += ends[i] - starts[i]
        return out
    finally:
        free(base)


cdef inline cnp.uint64_t _fnv1a(const unsigned char* data, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """The 64-bit FNV-1a hash of ``data[start:end]``."""
    cdef cnp.uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t p
    for p in range(start, end):
        h = (h ^ data[p]) * 1099511628211ULL
    return h


def span_hashes(const unsigned char[::1] data, const cnp.int64_t[::1] starts, const cnp.int64_t[::1] ends):
    """A 64-bit FNV-1a hash of each span ``data[starts[i]:ends[i]]``: how many distinct values a
    sample of a column holds, told without a ``bytes`` object a row."""
    cdef Py_ssize_t n = starts.shape[0], i
    cdef const unsigned char* base = &data[0] if data.shape[0] else NULL
    out = np.empty(n, dtype=np.uint64)
    cdef cnp.uint64_t[::1] hashes = out
    for i in range(n):
        if not 0 <= starts[i] <= ends[i] <= data.shape[0]:
            raise ValueError("span outside its buffer")
    with nogil:
        for i in range(n):
            hashes[i] = _fnv1a(base, starts[i], ends[i])
    return out


cdef struct _Piece:
    const unsigned char* data     # the piece's bytes, or its values end to end
    Py_ssize_t size
    const cnp.int64_t* offsets    # NULL for a literal
    Py_ssize_t n_values
    const cnp.int32_t* codes      # a code a row, or NULL (then row i is value i)
    Py_ssize_t n_rows


cdef inline void _mark(unsigned char* bits, unsigned int pair) noexcept nogil:
    bits[pair >> 3] |= 1 << (pair & 7)


cdef class _Pieces:
    """Pieces as C structs: (bytes,) for a literal, (values, offsets) for a column of a value a
    row, (values, offsets, codes) for a coded one. The objects are held while it lives."""
    cdef _Piece* items
    cdef Py_ssize_t n
    cdef list held

    def __cinit__(self, list pieces):
        cdef Py_ssize_t k
        cdef const unsigned char[::1] data
        cdef const cnp.int64_t[::1] offsets
        cdef const cnp.int32_t[::1] codes
        self.n = len(pieces)
        self.held = []
        self.items = <_Piece*>malloc((self.n + 1) * sizeof(_Piece))
        if self.items == NULL:
            raise MemoryError()
        for k in range(self.n):
            item = pieces[k]
            data = item[0]
            self.items[k].data = &data[0] if data.shape[0] else NULL
            self.items[k].size = data.shape[0]
            self.items[k].offsets = NULL
            self.items[k].codes = NULL
            self.items[k].n_values = self.items[k].n_rows = 0
            if len(item) > 1:
                offsets = item[1]
                if offsets.shape[0] < 1 or offsets[0] < 0 or offsets[offsets.shape[0] - 1] > data.shape[0] or \
                        (np.diff(np.asarray(offsets)) < 0).any():
                    raise ValueError("column offsets outside their buffer")
                self.items[k].offsets = &offsets[0]
                self.items[k].n_values = self.items[k].n_rows = offsets.shape[0] - 1
            if len(item) > 2:
                codes = item[2]
                if codes.shape[0] and (np.asarray(codes).min() < 0 or np.asarray(codes).max() >= self.items[k].n_values):
                    raise ValueError("column codes outside their dictionary")
                self.items[k].codes = &codes[0] if codes.shape[0] else NULL
                self.items[k].n_rows = codes.shape[0]
            self.held.append(item)

    def __dealloc__(self):
        free(self.items)


cdef struct _Tail:
    int previous        # the last byte read, -1 before the first of the line
    unsigned int word   # the last four bytes read, the oldest highest
    int filled          # bytes read in the line, up to 4


cdef inline void _read(_Tail* tail, unsigned char byte, unsigned char* pairs, unsigned char* grams) noexcept nogil:
    """Mark the pair and the 4-gram that ``byte`` ends."""
    if tail.previous >= 0:
        _mark(pairs, tail.previous << 8 | byte)
    tail.word = tail.word << 8 | byte
    tail.previous = byte
    if tail.filled < 4:
        tail.filled += 1
    if tail.filled == 4:
        _mark(grams, gram_bit(tail.word, 16))


cdef inline void _read_value(const _Piece* piece, Py_ssize_t row, _Tail* tail, unsigned char* pairs,
                             unsigned char* grams) noexcept nogil:
    """Mark the pairs and 4-grams of ``piece``'s value in ``row`` and of its junction with what came
    before (a literal's own are marked once a segment: only its first three bytes are read)."""
    cdef Py_ssize_t end = piece.size, p
    if piece.offsets == NULL:
        for p in range(min(end, 3)):
            _read(tail, piece.data[p], pairs, grams)
        if end > 3:
            tail.previous = piece.data[end - 1]
            tail.word = word_at(piece.data + end - 4)
            tail.filled = 4
        return
    if piece.codes != NULL:
        row = piece.codes[row]
    for p in range(piece.offsets[row], piece.offsets[row + 1]):
        _read(tail, piece.data[p], pairs, grams)


cdef void _literal_marks(_Pieces pieces, Py_ssize_t start, Py_ssize_t end, unsigned char* pairs,
                         unsigned char* grams) noexcept nogil:
    """Mark the pairs and 4-grams inside the literals among pieces ``start:end``."""
    cdef Py_ssize_t k, p
    cdef const unsigned char* data
    for k in range(start, end):
        if pieces.items[k].offsets == NULL:
            data = pieces.items[k].data
            for p in range(1, pieces.items[k].size):
                _mark(pairs, data[p - 1] << 8 | data[p])
                if p >= 3:
                    _mark(grams, gram_bit(word_at(data + p - 3), 16))


cdef Py_ssize_t _rows_held(_Pieces pieces, Py_ssize_t start, Py_ssize_t end) noexcept:
    """The fewest rows that a column among pieces ``start:end`` holds (a literal holds any)."""
    cdef Py_ssize_t k, held = PY_SSIZE_T_MAX
    for k in range(start, end):
        if pieces.items[k].offsets != NULL and pieces.items[k].n_rows < held:
            held = pieces.items[k].n_rows
    return held


def line_maps(list segments, list after, tuple terminator,
              const cnp.int64_t[::1] segment_of, const cnp.int64_t[::1] rank,
              const cnp.int64_t[::1] lines, Py_ssize_t n_terminated):
    """The byte pairs and 4-grams of the lines of each segment of a group, without rendering
    them: row i of the group is line ``lines[i]`` after its header, made of segment
    ``segment_of[i]``'s pieces (a list; row ``rank[i]``), the ``after`` pieces (row i) and,
    when ``lines[i] < n_terminated``, its terminator (row ``lines[i]``). Pieces are tuples
    as in :class:`_Pieces`. Returns two ``(len(segments), 8192)`` arrays of packed bits: the
    pairs (pair a << 8 | b is bit b & 7 of byte a << 5 | b >> 3) and the 4-grams hashed as
    :func:`logzip.search._scan.gram_bits` hashes them into 2 ** 16 bits; what lies across lines
    is left out. Time: one pass over the lines' bytes, a literal's own marked once a segment."""
    cdef Py_ssize_t n = segment_of.shape[0], n_segments = len(segments), i, k, s, row
    cdef _Pieces tail = _Pieces(after), ends = _Pieces([terminator])
    cdef _Pieces own = _Pieces([piece for pieces in segments for piece in pieces])
    cdef cnp.int64_t[::1] first = np.cumsum([0] + [len(pieces) for pieces in segments], dtype=np.int64)
    cdef cnp.int64_t[::1] held = np.empty(n_segments, dtype=np.int64)
    cdef unsigned char[::1] used = np.zeros(n_segments, dtype=np.uint8)
    cdef _Tail read
    pair_maps = np.zeros((n_segments, 1 << 13), dtype=np.uint8)
    gram_maps = np.zeros((n_segments, 1 << 13), dtype=np.uint8)
    cdef unsigned char[:, ::1] pairs_out = pair_maps, grams_out = gram_maps
    cdef unsigned char* pairs
    cdef unsigned char* grams
    cdef const _Piece* terminators = &ends.items[0]
    if rank.shape[0] != n or lines.shape[0] != n:
        raise ValueError("rows disagree")
    if _rows_held(tail, 0, tail.n) < n or \
            (terminators.offsets != NULL and terminators.n_rows < n_terminated):
        raise ValueError("a tail piece is short of rows")
    for s in range(n_segments):
        held[s] = _rows_held(own, first[s], first[s + 1])
    for i in range(n):
        if not 0 <= segment_of[i] < n_segments or not 0 <= rank[i] < held[segment_of[i]]:
            raise ValueError("a row outside its segment")
    with nogil:
        for i in range(n):
            s = segment_of[i]
            pairs, grams = &pairs_out[s, 0], &grams_out[s, 0]
            if not used[s]:
                used[s] = 1
                _literal_marks(own, first[s], first[s + 1], pairs, grams)
                _literal_marks(tail, 0, tail.n, pairs, grams)
                _literal_marks(ends, 0, 1, pairs, grams)
            read.previous, read.word, read.filled = -1, 0, 0
            row = rank[i]
            for k in range(first[s], first[s + 1]):
                _read_value(&own.items[k], row, &read, pairs, grams)
            for k in range(tail.n):
                _read_value(&tail.items[k], i, &read, pairs, grams)
            if lines[i] < n_terminated:
                _read_value(terminators, lines[i], &read, pairs, grams)
    return pair_maps, gram_maps


def span_codes(const unsigned char[::1] data, const cnp.int64_t[::1] offsets):
    """The values ``data[offsets[i]:offsets[i + 1]]`` coded: ``(codes, firsts)``, where row i
    holds the value first seen in row ``firsts[codes[i]]`` (codes in order of first sight).
    Exact: rows are told apart by a hash table of their FNV-1a hashes, and equal hashes by
    their bytes. Time O(total bytes), space 16 bytes a slot, two slots a row."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i, slot, row, n_codes = 0, size = 2
    cdef cnp.uint64_t h
    cdef cnp.int64_t start, length
    if n < 0 or (n and (offsets[0] < 0 or offsets[n] > data.shape[0])) or (np.diff(np.asarray(offsets)) < 0).any():
        raise ValueError("span outside its buffer")
    while size < 2 * n:
        size <<= 1
    cdef cnp.int64_t[::1] rows = np.full(size, -1, dtype=np.int64)
    cdef cnp.uint64_t[::1] hashes = np.empty(size, dtype=np.uint64)
    codes_out, firsts_out = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int64)
    cdef cnp.int32_t[::1] codes = codes_out
    cdef cnp.int64_t[::1] firsts = firsts_out
    cdef const unsigned char* base = &data[0] if data.shape[0] else NULL
    with nogil:
        for i in range(n):
            start, length = offsets[i], offsets[i + 1] - offsets[i]
            h = _fnv1a(base, start, start + length)
            slot = h & (size - 1)
            while True:
                row = rows[slot]
                if row < 0:
                    rows[slot], hashes[slot] = i, h
                    codes[i] = n_codes
                    firsts[n_codes] = i
                    n_codes += 1
                    break
                if hashes[slot] == h and offsets[row + 1] - offsets[row] == length and \
                        (length == 0 or memcmp(base + offsets[row], base + start, length) == 0):
                    codes[i] = codes[row]
                    break
                slot = (slot + 1) & (size - 1)
    return codes_out, firsts_out[:n_codes]
