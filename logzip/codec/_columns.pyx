# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hot loops of column decoding: spelling integers and filling skeletons, one bytes object per row."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
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


def fill(list texts, list runs):
    """Row i: texts[0] + runs[0][i] + texts[1] + ... + runs[-1][i] + texts[-1].

    texts: n + 1 bytes; runs: n >= 1 lists of bytes, all of one length.
    """
    cdef Py_ssize_t n_runs = len(runs), n, i, k, size, fixed = 0
    cdef char *out
    cdef list run
    if n_runs == 0 or len(texts) != n_runs + 1:
        raise ValueError("fill: needs n >= 1 runs and n + 1 texts")
    for k in range(n_runs + 1):
        fixed += len(<bytes?>texts[k])
    n = len(<list?>runs[0])
    for k in range(n_runs):
        run = <list?>runs[k]
        if len(run) != n:
            raise ValueError("fill: runs differ in length")
        for i in range(n):
            if type(<object>PyList_GET_ITEM(run, i)) is not bytes:
                raise TypeError("fill: runs must hold bytes")
    result = [None] * n
    for i in range(n):
        size = fixed
        for k in range(n_runs):
            size += PyBytes_GET_SIZE(<object>PyList_GET_ITEM(<list>PyList_GET_ITEM(runs, k), i))
        row = PyBytes_FromStringAndSize(NULL, size)
        out = PyBytes_AS_STRING(row)
        for k in range(n_runs + 1):
            part = <object>PyList_GET_ITEM(texts, k)
            size = PyBytes_GET_SIZE(part)
            memcpy(out, PyBytes_AS_STRING(part), size)
            out += size
            if k < n_runs:
                part = <object>PyList_GET_ITEM(<list>PyList_GET_ITEM(runs, k), i)
                size = PyBytes_GET_SIZE(part)
                memcpy(out, PyBytes_AS_STRING(part), size)
                out += size
        result[i] = row
    return result
