# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled JSON-line splitter: each line into its skeleton and its values (see ``json_lines``).

A line is read as one JSON object: keys, punctuation and whitespace are the skeleton; every
string value (between its quotes), number, ``true``/``false``/``null`` and whole array is a
value. The skeleton is kept as its pieces joined by NUL (a key holding NUL makes the line a
non-JSON one), so equal skeletons are equal keys of a dict. The values are slices of the
line: whatever the line is, pieces and values interleaved give it back byte for byte.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

DEF MAX_DEPTH = 64

cdef struct Cursor:
    const unsigned char *s
    Py_ssize_t n
    Py_ssize_t p


cdef inline bint _is_space(unsigned char c) noexcept nogil:
    return c == 32 or c == 9 or c == 13 or c == 10


cdef inline void _skip_space(Cursor *c) noexcept nogil:
    while c.p < c.n and _is_space(c.s[c.p]):
        c.p += 1


cdef inline Py_ssize_t _string_end(Cursor *c) noexcept nogil:
    """From just after an opening quote: the position of the closing quote, or -1."""
    cdef Py_ssize_t p = c.p
    while p < c.n:
        if c.s[p] == 34:
            return p
        if c.s[p] == 92:
            p += 1
        p += 1
    return -1


cdef inline bint _is_scalar_byte(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (97 <= c <= 122) or (65 <= c <= 90) or c == 43 or c == 45 or c == 46


cdef Py_ssize_t _array_end(Cursor *c) noexcept nogil:
    """From an opening bracket: the position after its closing bracket, or -1."""
    cdef Py_ssize_t p = c.p, depth = 0, end
    cdef unsigned char b
    while p < c.n:
        b = c.s[p]
        if b == 34:
            c.p = p + 1
            end = _string_end(c)
            if end < 0:
                return -1
            p = end
        elif b == 91 or b == 123:
            depth += 1
        elif b == 93 or b == 125:
            depth -= 1
            if depth == 0:
                return p + 1 if b == 93 else -1
        p += 1
    return -1


cdef class _Split:
    """One line's skeleton (pieces joined by NUL, in a buffer reused from line to line) and
    values, built as it is read."""
    cdef char *skeleton
    cdef Py_ssize_t size, capacity
    cdef list values
    cdef Py_ssize_t mark      # start of the skeleton text not yet copied

    def __cinit__(self):
        self.capacity = 4096
        self.skeleton = <char *>malloc(self.capacity)
        if self.skeleton == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.skeleton)

    cdef int reset(self, Py_ssize_t line_size) except -1:
        cdef char *grown
        # A value leaves a NUL in its place: one byte more than the line for an empty string.
        if 2 * line_size + 1 > self.capacity:
            grown = <char *>realloc(self.skeleton, 2 * line_size + 1)
            if grown == NULL:
                raise MemoryError()
            self.skeleton, self.capacity = grown, 2 * line_size + 1
        self.size, self.mark, self.values = 0, 0, []
        return 0

    cdef inline void copy(self, const unsigned char *s, Py_ssize_t end) noexcept:
        """The bytes from mark to end are skeleton."""
        memcpy(self.skeleton + self.size, s + self.mark, end - self.mark)
        self.size += end - self.mark

    cdef int cut(self, const unsigned char *s, Py_ssize_t start, Py_ssize_t end) except -1:
        """The bytes from mark to start are skeleton, start..end a value."""
        self.copy(s, start)
        self.skeleton[self.size] = 0
        self.size += 1
        self.values.append(PyBytes_FromStringAndSize(<const char *>s + start, end - start))
        self.mark = end
        return 0


cdef bint _value(Cursor *c, _Split out, int depth):
    cdef Py_ssize_t start = c.p, end
    cdef unsigned char b
    if c.p >= c.n:
        return False
    b = c.s[c.p]
    if b == 34:
        c.p += 1
        end = _string_end(c)
        if end < 0:
            return False
        out.cut(c.s, start + 1, end)
        c.p = end + 1
        return True
    if b == 123:
        return _object(c, out, depth + 1)
    if b == 91:
        end = _array_end(c)
        if end < 0:
            return False
        out.cut(c.s, start, end)
        c.p = end
        return True
    while c.p < c.n and _is_scalar_byte(c.s[c.p]):
        c.p += 1
    if c.p == start:
        return False
    out.cut(c.s, start, c.p)
    return True


cdef bint _object(Cursor *c, _Split out, int depth):
    """From an opening brace: the members, up to and past the closing brace."""
    cdef Py_ssize_t end, q
    if depth > MAX_DEPTH:
        return False
    c.p += 1
    _skip_space(c)
    if c.p < c.n and c.s[c.p] == 125:
        c.p += 1
        return True
    while True:
        if c.p >= c.n or c.s[c.p] != 34:
            return False
        c.p += 1
        end = _string_end(c)
        if end < 0:
            return False
        for q in range(c.p, end):
            if c.s[q] == 0:
                return False
        c.p = end + 1
        _skip_space(c)
        if c.p >= c.n or c.s[c.p] != 58:
            return False
        c.p += 1
        _skip_space(c)
        if not _value(c, out, depth):
            return False
        _skip_space(c)
        if c.p >= c.n:
            return False
        if c.s[c.p] == 125:
            c.p += 1
            return True
        if c.s[c.p] != 44:
            return False
        c.p += 1
        _skip_space(c)


def split_lines(list lines, dict skeletons, Py_ssize_t max_skeletons):
    """Split every line; returns ``(ids, columns, rest)``: the skeleton id of each line (-1
    for a line that is not one JSON object, or whose skeleton would be one too many), the
    values of each skeleton's lines as columns (``columns[id][k]``), and the rows of the -1
    lines. ``skeletons`` maps skeleton keys to ids and is filled in."""
    cdef list ids = [], columns = [], rest = []
    cdef Cursor c
    cdef _Split out = _Split()
    cdef bytes line, key
    cdef Py_ssize_t row, k, tid
    cdef list values, table
    for row in range(len(lines)):
        line = lines[row]
        c.s = <const unsigned char *>PyBytes_AS_STRING(line)
        c.n = PyBytes_GET_SIZE(line)
        c.p = 0
        out.reset(c.n)
        _skip_space(&c)
        if c.p < c.n and c.s[c.p] == 123 and _object(&c, out, 0):
            _skip_space(&c)
            if c.p == c.n:
                out.copy(c.s, c.n)
                key = PyBytes_FromStringAndSize(out.skeleton, out.size)
                found = skeletons.get(key)
                if found is None and len(skeletons) < max_skeletons:
                    found = skeletons[key] = len(skeletons)
                    columns.append([[] for _ in out.values])
                if found is not None:
                    tid = found
                    ids.append(tid)
                    values = out.values
                    table = columns[tid]
                    for k in range(len(values)):
                        (<list>table[k]).append(values[k])
                    continue
        ids.append(-1)
        rest.append(row)
    return ids, columns, rest
