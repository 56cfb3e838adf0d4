# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hot loops of column encoding: parsing integers, finding skeletons and digit runs; one
pass over the values, one bytes object per row (decoding: :mod:`logzip.codec._strings`)."""
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcmp, memcpy

import numpy as np

cdef int MAX_PAD = 64      # leading zeros an integer may have (columns._MAX_PAD)


# -- encoding: one pass over a column's values, no intermediate joined text

def parse_ints(list column, int base):
    """(values, pads) if every value is an integer as spell(values, pads, base) writes it: in
    base 10 an optional '-' then digits, in base 16 lowercase hex digits; fitting int64, at
    most MAX_PAD extra leading zeros, no '-0'.  Else None."""
    cdef Py_ssize_t n = len(column), i, size, start, k
    cdef int64_t[:] values
    cdef int64_t[:] pads
    cdef const unsigned char *text
    cdef uint64_t magnitude, limit, digit
    cdef bint negative
    cdef unsigned char c
    cdef int zeros
    values_array = np.empty(n, dtype=np.int64)
    pads_array = np.empty(n, dtype=np.int64)
    values, pads = values_array, pads_array
    for i in range(n):
        value = column[i]
        if not PyBytes_CheckExact(value):
            raise TypeError("parse_ints: values must be bytes")
        text = <const unsigned char *>PyBytes_AS_STRING(value)
        size = PyBytes_GET_SIZE(value)
        negative = base == 10 and size > 0 and text[0] == b"-"
        start = 1 if negative else 0
        if start == size:
            return None
        limit = (<uint64_t>1 << 63) if negative else (<uint64_t>1 << 63) - 1
        zeros = 0
        while start + zeros < size - 1 and text[start + zeros] == b"0":
            zeros += 1
        if zeros > MAX_PAD:
            return None
        magnitude = 0
        for k in range(start + zeros, size):
            c = text[k]
            if 48 <= c <= 57:
                digit = c - 48
            elif base == 16 and 97 <= c <= 102:
                digit = c - 87
            else:
                return None
            if magnitude > (limit - digit) // <uint64_t>base:
                return None
            magnitude = magnitude * base + digit
        if negative and magnitude == 0:
            return None
        values[i] = -<int64_t>(magnitude - 1) - 1 if negative else <int64_t>magnitude
        pads[i] = zeros
    return values_array, pads_array


cdef inline bint _row_int(const unsigned char *text, Py_ssize_t size, int64_t *out) noexcept nogil:
    """Whether text[:size] is a canonical decimal integer (see canonical_ints); its value in out."""
    cdef bint negative = size > 0 and text[0] == 45
    cdef Py_ssize_t k = negative
    cdef int64_t magnitude = 0
    if not (0 < size - k <= 18) or (text[k] == 48 and (size - k > 1 or negative)):
        return False
    while k < size:
        if not 48 <= text[k] <= 57:
            return False
        magnitude = magnitude * 10 + text[k] - 48
        k += 1
    out[0] = -magnitude if negative else magnitude
    return True


def canonical_ints(list column):
    """(values, valid): each value as an int64 where it is a decimal integer as spell writes
    it (an optional '-', then 1 to 18 digits, no leading zero, no '-0'), valid 1; 0 and
    valid 0 elsewhere. For a column of mostly integers with a few words among them."""
    cdef Py_ssize_t n = len(column), i
    values_array = np.zeros(n, dtype=np.int64)
    valid_array = np.zeros(n, dtype=np.uint8)
    cdef int64_t[:] values = values_array
    cdef unsigned char[:] valid = valid_array
    for i in range(n):
        value = column[i]
        if not PyBytes_CheckExact(value):
            raise TypeError("canonical_ints: values must be bytes")
        valid[i] = _row_int(<const unsigned char *>PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value), &values[i])
    return values_array, valid_array


def source_classes(source, bint same, int radius):
    """The class each row of a column takes from it (see :mod:`logzip.codec.conditioned`),
    uint8: with ``same``, 1 where the row equals the previous one, else 0; else its step
    from the previous row as an integer, clipped to -radius..radius and shifted to
    0..2 radius, 2 radius + 1 where either row is not a canonical integer (and on the first
    row). ``source``: a list of bytes, or a typed column's ``(data, offsets, codes)``."""
    cdef bint listed = isinstance(source, list), has_codes = False, ok, before = False
    cdef const unsigned char[:] data
    cdef const int64_t[:] offsets
    cdef const int64_t[:] coded
    cdef Py_ssize_t n, i, size, last_size = 0
    cdef int64_t value = 0, previous = 0, step, row
    cdef const unsigned char *text
    cdef const unsigned char *last = NULL
    if listed:
        n = len(source)
    else:
        data, offsets, codes = source
        has_codes = codes is not None
        if has_codes:
            coded = codes
        n = len(codes) if has_codes else offsets.shape[0] - 1
    result = np.zeros(n, dtype=np.uint8)
    cdef unsigned char[:] out = result
    for i in range(n):
        if listed:
            item = source[i]
            text = <const unsigned char *>PyBytes_AS_STRING(<bytes?>item)
            size = PyBytes_GET_SIZE(item)
        else:
            row = coded[i] if has_codes else i
            size = offsets[row + 1] - offsets[row]
            text = &data[0] + offsets[row] if size else NULL
        if same:
            out[i] = i > 0 and size == last_size and (size == 0 or text == last or memcmp(text, last, size) == 0)
        else:
            ok = _row_int(text, size, &value)
            if ok and before:
                step = value - previous
                out[i] = (step if -radius <= step <= radius else (radius if step > 0 else -radius)) + radius
            else:
                out[i] = 2 * radius + 1
            before, previous = ok, value
        last, last_size = text, size
    return result


def unsplit_steps(const unsigned char[:] classes, const uint64_t[:] zigzagged, const int64_t[:] starts,
                  int64_t first):
    """Decoding CONDITIONED columns: the values whose zigzagged steps are ``zigzagged``, one
    run per class (class k's from ``starts[k]``, in row order), row i's step the next of its
    class ``classes[i]``, the first value ``first`` plus the first step. ``starts``: from
    the counts of the classes (the caller checks that they cover ``zigzagged``)."""
    cdef Py_ssize_t n = classes.shape[0], i
    cdef int64_t value = first
    cdef uint64_t z
    positions_array = np.array(starts[:len(starts) - 1], dtype=np.int64)
    cdef int64_t[:] positions = positions_array
    result = np.empty(n, dtype=np.int64)
    cdef int64_t[:] out = result
    with nogil:
        for i in range(n):
            z = zigzagged[positions[classes[i]]]
            positions[classes[i]] += 1
            value += <int64_t>(z >> 1) ^ -<int64_t>(z & 1)
            out[i] = value
    return result


def lengths(list column):
    """Each value's length, as int64."""
    cdef Py_ssize_t n = len(column), i
    result = np.empty(n, dtype=np.int64)
    cdef int64_t[:] out = result
    for i in range(n):
        out[i] = PyBytes_GET_SIZE(<bytes?>column[i])
    return result


def fixed_width(list column):
    """Whether all values have one length and their digits the same places (at least one)."""
    cdef Py_ssize_t n = len(column), i, k, width
    cdef const unsigned char *first
    cdef const unsigned char *text
    cdef bint has_digit = False
    if n == 0:
        return False
    first = <const unsigned char *>PyBytes_AS_STRING(<bytes?>column[0])
    width = PyBytes_GET_SIZE(column[0])
    for k in range(width):
        has_digit |= is_digit(first[k])
    if not has_digit:
        return False
    for i in range(1, n):
        if PyBytes_GET_SIZE(<bytes?>column[i]) != width:
            return False
        text = <const unsigned char *>PyBytes_AS_STRING(column[i])
        for k in range(width):
            if is_digit(text[k]) != is_digit(first[k]):
                return False
    return True


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return 48 <= c <= 57


def skeletons(list column, Py_ssize_t max_skeletons):
    """(skeletons, ids): each value's skeleton (the value with every digit run replaced by one
    '0') numbered in order of first appearance, ids as int64; None past max_skeletons."""
    cdef Py_ssize_t n = len(column), i, k, size, length, previous_length = -1
    cdef const unsigned char *text
    cdef unsigned char *key
    cdef int64_t previous_id = -1
    cdef dict numbers = {}
    result = np.empty(n, dtype=np.int64)
    cdef int64_t[:] ids = result
    cdef bytearray buffer = bytearray(64)
    cdef bytearray previous = bytearray(64)
    for i in range(n):
        value = column[i]
        size = PyBytes_GET_SIZE(<bytes?>value)
        if size > len(buffer):
            buffer = bytearray(2 * size)
            previous = bytearray(2 * size)
            previous_length = -1
        text = <const unsigned char *>PyBytes_AS_STRING(value)
        key = <unsigned char *>PyByteArray_AS_STRING(buffer)
        length = 0
        for k in range(size):
            if is_digit(text[k]):
                if length and key[length - 1] == 48 and is_digit(text[k - 1]):
                    continue
                key[length] = 48
            else:
                key[length] = text[k]
            length += 1
        if length == previous_length and memcmp(key, PyByteArray_AS_STRING(previous), length) == 0:
            ids[i] = previous_id
            continue
        skeleton = PyBytes_FromStringAndSize(<char *>key, length)
        sid = numbers.get(skeleton)
        if sid is None:
            if len(numbers) == max_skeletons:
                return None
            sid = numbers[skeleton] = len(numbers)
        previous_id = ids[i] = sid
        memcpy(PyByteArray_AS_STRING(previous), key, length)
        previous_length = length
    return list(numbers), result


def digit_runs(list values, Py_ssize_t n_runs):
    """The digit runs of values that all have n_runs of them, as n_runs lists (run k of every value)."""
    cdef Py_ssize_t n = len(values), i, k, size, start, run
    cdef const char *text
    runs = [PyList_New(n) for _ in range(n_runs)]
    for i in range(n):
        value = values[i]
        size = PyBytes_GET_SIZE(<bytes?>value)
        text = PyBytes_AS_STRING(value)
        k = 0
        run = 0
        while k < size:
            if not is_digit(text[k]):
                k += 1
                continue
            start = k
            while k < size and is_digit(text[k]):
                k += 1
            if run == n_runs:
                raise ValueError("digit_runs: a value has too many digit runs")
            part = PyBytes_FromStringAndSize(text + start, k - start)
            Py_INCREF(part)
            PyList_SET_ITEM(runs[run], i, part)
            run += 1
        if run != n_runs:
            raise ValueError("digit_runs: a value has too few digit runs")
    return runs


def all_equal(list column):
    """Whether every value equals the first (stops at the first that does not)."""
    cdef Py_ssize_t n = len(column), i, size
    if n == 0:
        return True
    first = <bytes?>column[0]
    size = PyBytes_GET_SIZE(first)
    for i in range(1, n):
        value = <bytes?>column[i]
        if value is not first and (PyBytes_GET_SIZE(value) != size
                                   or memcmp(PyBytes_AS_STRING(value), PyBytes_AS_STRING(first), size)):
            return False
    return True


def dictionary(list column, Py_ssize_t max_values):
    """(values, ids): the distinct values in order of first appearance and each row's index
    among them (int64); None past max_values."""
    cdef Py_ssize_t n = len(column), i
    cdef dict numbers = {}
    cdef list values = []
    cdef int64_t previous_id = -1
    result = np.empty(n, dtype=np.int64)
    cdef int64_t[:] ids = result
    previous = None
    for i in range(n):
        value = column[i]
        if value is not previous:
            number = numbers.get(value)
            if number is None:
                if len(values) == max_values:
                    return None
                number = numbers[value] = len(values)
                values.append(value)
            previous, previous_id = value, number
        ids[i] = previous_id
    return values, result


def group(list column, const int64_t[:] ids, Py_ssize_t n_groups):
    """The values split by id (ids in range(n_groups)), each group in row order."""
    cdef Py_ssize_t n = len(column), i, k
    if ids.shape[0] != n:
        raise ValueError("group: ids and values differ in length")
    groups = [[] for _ in range(n_groups)]
    for i in range(n):
        k = ids[i]
        if not 0 <= k < n_groups:
            raise ValueError("group: id out of range")
        (<list>groups[k]).append(column[i])
    return groups



def gather(list values, const int64_t[:] order):
    """``[values[i] for i in order]`` (GROUPED columns in key order), each index checked."""
    cdef Py_ssize_t n = order.shape[0], size = len(values), i
    for i in range(n):
        if not 0 <= order[i] < size:
            raise IndexError("gather: index out of range")
    result = PyList_New(n)
    for i in range(n):
        value = values[order[i]]
        Py_INCREF(value)
        PyList_SET_ITEM(result, i, value)
    return result
