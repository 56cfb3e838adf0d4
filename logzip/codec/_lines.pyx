# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled loops of :mod:`logzip.codec.lines` for mixed LF and CRLF endings: one pass
over the bytes, no intermediate ``line + terminator`` or ``line[:-1]`` copies.

The bitmap has one bit a terminated line, 1 for CRLF, most significant bit first (as
``numpy.packbits`` writes it), the last byte padded with zeros."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.string cimport memchr, memcpy


def split_mixed(bytes raw):
    """``(lines, bitmap)``: the lines of ``raw`` without their terminators (a last line
    without one included) and the CRLF bit of every terminated line."""
    cdef const char *text = PyBytes_AS_STRING(raw)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(raw), start = 0, end, n = 0
    cdef const char *found
    cdef bytearray bitmap = bytearray(raw.count(b"\n") // 8 + 1)
    cdef unsigned char *bits = bitmap
    lines = []
    while start < size:
        found = <const char *>memchr(text + start, 10, size - start)
        if found == NULL:
            lines.append(PyBytes_FromStringAndSize(text + start, size - start))
            break
        end = found - text
        if end > start and text[end - 1] == 13:
            bits[n >> 3] |= 0x80 >> (n & 7)
            lines.append(PyBytes_FromStringAndSize(text + start, end - 1 - start))
        else:
            lines.append(PyBytes_FromStringAndSize(text + start, end - start))
        n += 1
        start = end + 1
    return lines, bytes(bitmap[:(n + 7) // 8])


def join_mixed(list lines, const unsigned char[::1] bits, Py_ssize_t n_terminated):
    """The first ``n_terminated`` lines each followed by LF or, where its bit is set, CRLF,
    then the other lines as they are (the last line, when it had no terminator)."""
    cdef Py_ssize_t n = len(lines), i, total = 0, length
    cdef char *out
    cdef bint crlf
    if bits.shape[0] * 8 < n_terminated or n_terminated > n:
        raise ValueError("line endings bitmap is short")
    for i in range(n):
        line = lines[i]
        if not PyBytes_CheckExact(line):
            raise TypeError("join_mixed: lines must be bytes")
        total += PyBytes_GET_SIZE(line)
        if i < n_terminated:
            total += 2 if bits[i >> 3] & (0x80 >> (i & 7)) else 1
    result = PyBytes_FromStringAndSize(NULL, total)
    out = PyBytes_AS_STRING(result)
    for i in range(n):
        line = lines[i]
        length = PyBytes_GET_SIZE(line)
        memcpy(out, PyBytes_AS_STRING(line), length)
        out += length
        if i < n_terminated:
            if bits[i >> 3] & (0x80 >> (i & 7)):
                out[0] = 13
                out += 1
            out[0] = 10
            out += 1
    return result
