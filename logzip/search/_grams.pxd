# cython: language_level=3
"""The 4-gram hash that gram maps are made and read with: :mod:`._scan` maps large columns and
looks patterns up, :mod:`._render` maps the lines of templates; a pattern's bits must be the
bits its text set, so both modules take it from here. Fibonacci hashing of the 4 bytes as one
big-endian word: the top ``32 - shift`` bits of ``word * 2654435761 mod 2 ** 32``."""


cdef inline unsigned int word_at(const unsigned char* at) noexcept nogil:
    """The 4 bytes at ``at`` as one word, the first highest."""
    return <unsigned int>at[0] << 24 | <unsigned int>at[1] << 16 | <unsigned int>at[2] << 8 | at[3]


cdef inline unsigned int gram_bit(unsigned int word, int shift) noexcept nogil:
    """The bit of a 4-gram (as :func:`word_at` makes it) in a map of 2 ** (32 - shift) bits."""
    return (word * 2654435761u) >> shift
