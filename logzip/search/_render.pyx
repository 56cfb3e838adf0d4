# cython: boundscheck=False, wraparound=False
"""Copy byte spans of many buffers into one: how search renders many lines at once."""
import numpy as np

cimport numpy as cnp
from libc.stdlib cimport free, malloc
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy

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


def span_hashes(const unsigned char[::1] data, const cnp.int64_t[::1] starts, const cnp.int64_t[::1] ends):
    """A 64-bit FNV-1a hash of each span ``data[starts[i]:ends[i]]``: how many distinct values a
    sample of a column holds, told without a ``bytes`` object a row."""
    cdef Py_ssize_t n = starts.shape[0], i, p
    cdef cnp.uint64_t h
    out = np.empty(n, dtype=np.uint64)
    cdef cnp.uint64_t[::1] hashes = out
    for i in range(n):
        if not 0 <= starts[i] <= ends[i] <= data.shape[0]:
            raise ValueError("span outside its buffer")
    with nogil:
        for i in range(n):
            h = 14695981039346656037ULL
            for p in range(starts[i], ends[i]):
                h = (h ^ data[p]) * 1099511628211ULL
            hashes[i] = h
    return out
