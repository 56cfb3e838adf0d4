# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled pass of :func:`logzip.codec.summary.summarize`: the byte pairs of a block's text
marked in a map, in one pass without the GIL (numpy's way, an int32 array of every pair
then a scatter, takes 24 bytes of memory traffic a text byte)."""


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
