# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled pass of :func:`logzip.codec.summary.summarize`: the byte pairs of a block's text
marked in a map, in one pass without the GIL (numpy's way, an int32 array of every pair
then a scatter, takes 24 bytes of memory traffic a text byte), and byte histograms."""
cimport numpy as cnp
from libc.string cimport memset


def mark_pairs(const unsigned char[::1] data, unsigned char[::1] present):
    """Set ``present[a << 8 | b]`` to 1 for every two adjacent bytes ``a, b`` of ``data``."""
    cdef Py_ssize_t i, n = data.shape[0]
    cdef unsigned int previous
    if present.shape[0] < 1 << 16:
        raise ValueError("the pair map needs 65536 entries")
    if n < 2:
        return
    with nogil:
        previous = data[0]
        for i in range(1, n):
            present[previous << 8 | data[i]] = 1
            previous = data[i]


def byte_mask(const unsigned char[::1] data) -> int:
    """The byte values that occur in ``data`` as a 256-bit mask (bit b: byte b), without
    counting them (a store a byte)."""
    cdef Py_ssize_t i, n = data.shape[0]
    cdef unsigned char seen[256]
    cdef cnp.uint64_t words[4]
    cdef int b
    memset(seen, 0, sizeof(seen))
    memset(words, 0, sizeof(words))
    with nogil:
        for i in range(n):
            seen[data[i]] = 1
        for b in range(256):
            if seen[b]:
                words[b >> 6] |= (<cnp.uint64_t>1) << (b & 63)
    return int(words[0]) | int(words[1]) << 64 | int(words[2]) << 128 | int(words[3]) << 192


def byte_counts(const unsigned char[::1] data) -> list:
    """How often each byte value occurs in ``data``: 256 ints. Four tallies side by side, so
    that runs of one byte do not wait on one counter (about 0.5 ns a byte)."""
    cdef Py_ssize_t i, n = data.shape[0]
    cdef cnp.int64_t tally[4][256]
    memset(tally, 0, sizeof(tally))
    with nogil:
        for i in range(0, n - 3, 4):
            tally[0][data[i]] += 1
            tally[1][data[i + 1]] += 1
            tally[2][data[i + 2]] += 1
            tally[3][data[i + 3]] += 1
        for i in range(n - n % 4 if n >= 4 else 0, n):
            tally[0][data[i]] += 1
    return [tally[0][b] + tally[1][b] + tally[2][b] + tally[3][b] for b in range(256)]
