# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hot loops of column decoding: spelling integers and filling skeletons, one bytes object per row."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_New, PyList_SET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy, memset

cdef const char *DIGITS = b"0123456789abcdef"


def spell(const int64_t[:] values, const int64_t[:] pads, int base):
    """Each value as decimal (base 10) or lowercase hex (16) bytes, after pads[i] extra leading
    zeros (between the sign and the digits); pads may be empty (no padding)."""
    cdef Py_ssize_t n = values.shape[0], i
    cdef bint padded = pads.shape[0] > 0
    cdef int64_t value, pad
    cdef uint64_t magnitude
    cdef char digits[24]
    cdef int length, k
    cdef char *out
    result = [None] * n
    for i in range(n):
        value = values[i]
        magnitude = <uint64_t>(-(value + 1)) + 1 if value < 0 else <uint64_t>value
        length = 0
        while True:
            digits[length] = DIGITS[magnitude % base]
            length += 1
            magnitude //= base
            if magnitude == 0:
                break
        pad = pads[i] if padded else 0
        text = PyBytes_FromStringAndSize(NULL, length + pad + (value < 0))
        out = PyBytes_AS_STRING(text)
        if value < 0:
            out[0] = b"-"
            out += 1
        memset(out, b"0", pad)
        out += pad
        for k in range(length):
            out[k] = digits[length - 1 - k]
        result[i] = text
    return result


cdef inline char *put(char *out, const char *data, Py_ssize_t size) noexcept:
    """Copy size bytes to out and return the end: inline for the many 0- and 1-byte parts."""
    if size == 1:
        out[0] = data[0]
    elif size:
        memcpy(out, data, size)
    return out + size


def fill(list texts, list runs):
    """Row i: texts[0] + runs[0][i] + texts[1] + ... + runs[-1][i] + texts[-1].

    texts: n + 1 bytes; runs: n >= 1 lists of bytes, all of one length.
    """
    cdef Py_ssize_t n_runs = len(runs), n, i, k, size, fixed = 0
    cdef char *out
    cdef PyObject *part
    cdef PyObject **columns
    cdef const char **literals
    cdef Py_ssize_t *literal_sizes
    if n_runs == 0 or len(texts) != n_runs + 1:
        raise ValueError("fill: needs n >= 1 runs and n + 1 texts")
    n = len(<list?>runs[0])
    for k in range(n_runs):
        if len(<list?>runs[k]) != n:
            raise ValueError("fill: runs differ in length")
    for k in range(n_runs + 1):
        fixed += len(<bytes?>texts[k])
    columns = <PyObject **>PyMem_Malloc(n_runs * sizeof(PyObject *))
    literals = <const char **>PyMem_Malloc((n_runs + 1) * sizeof(char *))
    literal_sizes = <Py_ssize_t *>PyMem_Malloc((n_runs + 1) * sizeof(Py_ssize_t))
    if columns == NULL or literals == NULL or literal_sizes == NULL:
        PyMem_Free(columns)
        PyMem_Free(literals)
        PyMem_Free(literal_sizes)
        raise MemoryError()
    try:
        for k in range(n_runs):
            columns[k] = <PyObject *>runs[k]
        for k in range(n_runs + 1):
            literals[k] = PyBytes_AS_STRING(texts[k])
            literal_sizes[k] = PyBytes_GET_SIZE(texts[k])
        result = PyList_New(n)
        for i in range(n):
            size = fixed
            for k in range(n_runs):
                part = PyList_GET_ITEM(<object>columns[k], i)
                if not PyBytes_CheckExact(<object>part):
                    raise TypeError("fill: runs must hold bytes")
                size += PyBytes_GET_SIZE(<object>part)
            row = PyBytes_FromStringAndSize(NULL, size)
            out = put(PyBytes_AS_STRING(row), literals[0], literal_sizes[0])
            for k in range(n_runs):
                part = PyList_GET_ITEM(<object>columns[k], i)
                out = put(out, PyBytes_AS_STRING(<object>part), PyBytes_GET_SIZE(<object>part))
                out = put(out, literals[k + 1], literal_sizes[k + 1])
            Py_INCREF(row)
            PyList_SET_ITEM(result, i, row)
        return result
    finally:
        PyMem_Free(columns)
        PyMem_Free(literals)
        PyMem_Free(literal_sizes)
