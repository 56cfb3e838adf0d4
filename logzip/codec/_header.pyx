# cython: language_level=3
"""Compiled fast path of HeaderFormat.split for formats of words and single spaces.

A line ``f1 f2 ... fk rest`` (k fields free of whitespace, each followed by exactly
one space, then a content that is not empty and does not start with whitespace) is
cut in one pass over its bytes; any other line is left to the regular expression.
Time O(length of the header part), no Python object but the slices it returns.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF
from libc.stdlib cimport free, malloc


cdef inline bint _is_space(unsigned char c) noexcept nogil:
    # The bytes that bytes.split() treats as whitespace.
    return c == 32 or (9 <= c <= 13)


def split_words(list lines, int words):
    """``(columns, others)``: ``words + 1`` columns (the fields, then the contents), a row
    per line, and the indices of the lines of another shape, whose rows hold None (the
    caller fills them in place: merging them in afterwards would copy every column)."""
    cdef Py_ssize_t n_lines = PyList_GET_SIZE(lines), i, pos, length, k
    cdef const unsigned char* text
    cdef Py_ssize_t* starts = <Py_ssize_t*>malloc((words + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* ends = <Py_ssize_t*>malloc((words + 1) * sizeof(Py_ssize_t))
    cdef bint fits
    cdef bytes line
    if starts == NULL or ends == NULL:
        free(starts)
        free(ends)
        raise MemoryError()
    columns = [PyList_New(n_lines) for _ in range(words + 1)]
    others = []
    try:
        for i in range(n_lines):
            line = <bytes>PyList_GET_ITEM(lines, i)
            text = <const unsigned char*>PyBytes_AS_STRING(line)
            length = PyBytes_GET_SIZE(line)
            pos = 0
            fits = True
            for k in range(words):
                starts[k] = pos
                while pos < length and not _is_space(text[pos]):
                    pos += 1
                if pos == starts[k] or pos >= length or text[pos] != 32:
                    fits = False
                    break
                ends[k] = pos
                pos += 1
            if not fits or pos >= length or _is_space(text[pos]):
                others.append(i)
                for k in range(words + 1):
                    Py_INCREF(None)
                    PyList_SET_ITEM(columns[k], i, None)
                continue
            starts[words] = pos
            ends[words] = length
            for k in range(words + 1):
                part = PyBytes_FromStringAndSize(<const char*>text + starts[k], ends[k] - starts[k])
                Py_INCREF(part)
                PyList_SET_ITEM(columns[k], i, part)
    finally:
        free(starts)
        free(ends)
    return columns, others
