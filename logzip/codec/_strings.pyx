# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hot loops of the typed decode path (:mod:`logzip.codec.strings`): values as one buffer
plus int64 offsets, optionally picked by int64 codes, assembled row by row into a new
buffer. Every loop runs without the GIL and makes no Python object but its results.

A *run* is ``(data, offsets, codes)``: value ``j`` is ``data[offsets[j]:offsets[j + 1]]``,
row ``i`` is value ``codes[i]`` (value ``i`` when ``codes`` is None). Callers build runs
from checked streams: offsets ascend from 0 to ``len(data)``, codes index the values."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_INCREF
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memchr, memcpy, memset

import numpy as np

cdef const char *DIGITS = b"0123456789abcdef"
cdef int64_t NO_ROW = -1


cdef struct Run:
    const unsigned char *data
    const unsigned char *end    # of data: what may be read
    const int64_t *offsets
    const int64_t *codes        # NULL: row i is value i


cdef enum:
    WORD = 16                   # parts up to this size are copied as one fixed-size block


cdef inline unsigned char *put(unsigned char *out, const unsigned char *out_end, const unsigned char *data,
                               const unsigned char *data_end, int64_t size) noexcept nogil:
    """Copy size bytes to out and return the end. The many short parts (a separator, a
    number) are copied as one block of WORD bytes where both buffers have room (what lies
    past size is garbage that the next parts overwrite): a memcpy of a constant size is two
    instructions, one of a varying size a call and a mispredicted branch or two."""
    if size <= WORD and data_end - data >= WORD and out_end - out >= WORD:
        memcpy(out, data, WORD)
    else:
        memcpy(out, data, size)
    return out + size


cdef inline int64_t value_of(const Run *run, Py_ssize_t i) noexcept nogil:
    return run.codes[i] if run.codes != NULL else i


cdef const unsigned char *_EMPTY = <const unsigned char *>b""


cdef const unsigned char *data_pointer(const unsigned char[::1] data):
    return &data[0] if data.shape[0] else _EMPTY


cdef int set_run(Run *run, tuple source, Py_ssize_t n, list keep) except -1:
    """Point run at a (data, offsets, codes) tuple of n rows; keep holds its buffers alive."""
    data, offsets, codes = source
    cdef const unsigned char[::1] data_view = data
    cdef const int64_t[::1] offsets_view = offsets
    cdef const int64_t[::1] codes_view
    keep.append((data_view, offsets_view))
    if offsets_view.shape[0] == 0:
        raise ValueError("a run needs at least one offset")
    run.data = data_pointer(data_view)
    run.end = run.data + data_view.shape[0]
    run.offsets = &offsets_view[0]
    if codes is None:
        run.codes = NULL
        if offsets_view.shape[0] - 1 != n:
            raise ValueError("runs differ in length")
    else:
        codes_view = codes
        keep.append(codes_view)
        if codes_view.shape[0] != n:
            raise ValueError("runs differ in length")
        run.codes = &codes_view[0] if n else NULL
    return 0


cdef unsigned char *fill_row(unsigned char *out, const unsigned char *out_end, const Run *parts,
                             Py_ssize_t n_runs, Py_ssize_t i, const unsigned char **literals,
                             const int64_t *literal_sizes, const unsigned char *literal_end) noexcept nogil:
    """Write row i of :func:`fill` to out (out_end: the end of its buffer); return its end."""
    cdef Py_ssize_t k
    cdef int64_t j
    out = put(out, out_end, literals[0], literal_end, literal_sizes[0])
    for k in range(n_runs):
        j = value_of(&parts[k], i)
        out = put(out, out_end, parts[k].data + parts[k].offsets[j], parts[k].end,
                  parts[k].offsets[j + 1] - parts[k].offsets[j])
        out = put(out, out_end, literals[k + 1], literal_end, literal_sizes[k + 1])
    return out


def fill(list texts, list runs, Py_ssize_t n, int64_t cap, int64_t trim=0):
    """``(data, offsets)`` of the n rows ``texts[0] + runs[0][i] + texts[1] + ... + runs[-1][i]
    + texts[-1]``, the last row without its last ``trim`` bytes (a line end the input did not
    have: cutting it off the result would copy the result); data is ``bytes``. ValueError past
    cap bytes, or where the last row is shorter than trim."""
    cdef Py_ssize_t n_runs = len(runs), k, i
    cdef list keep = []
    cdef Run *parts
    cdef const unsigned char **literals
    cdef int64_t *literal_sizes
    cdef unsigned char *literal_buffer = NULL     # the texts one after the other, then WORD bytes
    cdef int64_t fixed = 0, total = 0, j
    cdef bint too_big = False
    cdef unsigned char *out
    cdef unsigned char *end
    if len(texts) != n_runs + 1:
        raise ValueError("fill: needs n + 1 texts for n runs")
    parts = <Run *>PyMem_Malloc((n_runs + 1) * sizeof(Run))
    literals = <const unsigned char **>PyMem_Malloc((n_runs + 1) * sizeof(char *))
    literal_sizes = <int64_t *>PyMem_Malloc((n_runs + 1) * sizeof(int64_t))
    offsets_array = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] offsets = offsets_array
    try:
        if parts == NULL or literals == NULL or literal_sizes == NULL:
            raise MemoryError()
        for k in range(n_runs + 1):
            literal_sizes[k] = PyBytes_GET_SIZE(<bytes?>texts[k])
            fixed += literal_sizes[k]
        literal_buffer = <unsigned char *>PyMem_Malloc(fixed + WORD)
        if literal_buffer == NULL:
            raise MemoryError()
        out = literal_buffer
        for k in range(n_runs + 1):
            literals[k] = out
            memcpy(out, PyBytes_AS_STRING(texts[k]), literal_sizes[k])
            out += literal_sizes[k]
        for k in range(n_runs):
            set_run(&parts[k], <tuple?>runs[k], n, keep)
        with nogil:
            offsets[0] = 0
            for i in range(n):
                total += fixed
                for k in range(n_runs):
                    j = value_of(&parts[k], i)
                    total += parts[k].offsets[j + 1] - parts[k].offsets[j]
                offsets[i + 1] = total
                if total > cap:
                    too_big = True
                    break
        if too_big:
            raise ValueError(f"rows would take more than {cap} bytes")
        if trim < 0 or (trim and (n == 0 or offsets[n] - offsets[n - 1] < trim)):
            raise ValueError("fill: the last row is shorter than what to trim")
        result = PyBytes_FromStringAndSize(NULL, total - trim)
        out = <unsigned char *>PyBytes_AS_STRING(result)
        end = out + total - trim
        with nogil:
            for i in range(n - (trim > 0)):
                out = fill_row(out, end, parts, n_runs, i, literals, literal_sizes, literal_buffer + fixed + WORD)
        if trim:
            last = PyBytes_FromStringAndSize(NULL, offsets[n] - offsets[n - 1])
            fill_row(<unsigned char *>PyBytes_AS_STRING(last), <unsigned char *>PyBytes_AS_STRING(last) + len(last),
                     parts, n_runs, n - 1, literals, literal_sizes, literal_buffer + fixed + WORD)
            memcpy(out, PyBytes_AS_STRING(last), offsets[n] - offsets[n - 1] - trim)
            offsets[n] -= trim
    finally:
        PyMem_Free(parts)
        PyMem_Free(literals)
        PyMem_Free(literal_sizes)
        PyMem_Free(literal_buffer)
    return result, offsets_array


cdef inline bint is_crlf(const unsigned char[::1] bits, Py_ssize_t i, int terminator) noexcept nogil:
    return terminator == 1 or (terminator == 2 and (bits[i >> 3] >> (7 - (i & 7))) & 1)


def assemble(list runs, list counts, ids, int64_t cap, const unsigned char[::1] bits=b"",
             int terminator=0, Py_ssize_t n_terminated=0):
    """``(data, offsets)``: the rows in the order of ids, row i being the next row of run
    ``ids[i]`` (of ``counts[ids[i]]`` rows; ids None: the one run's rows in order), the first
    ``n_terminated`` each followed by LF (terminator 0), CRLF (1), or, terminator 2, CRLF
    where the row's bit is set (most significant first) and LF elsewhere. ``data`` is
    ``bytes``; ValueError past cap bytes or where ids disagree with the counts."""
    cdef Py_ssize_t n_runs = len(runs), n, i, k
    cdef list keep = []
    cdef const int64_t[::1] id_view
    cdef const int64_t *groups = NULL
    cdef int64_t[::1] offsets_view
    cdef Run *parts = <Run *>PyMem_Malloc((n_runs + 1) * sizeof(Run))
    cdef int64_t *taken = <int64_t *>PyMem_Malloc((n_runs + 1) * sizeof(int64_t))
    cdef int64_t *limits = <int64_t *>PyMem_Malloc((n_runs + 1) * sizeof(int64_t))
    cdef int64_t total = 0, j, group = 0
    cdef int problem = 0
    cdef unsigned char *out
    cdef unsigned char *end
    try:
        if parts == NULL or taken == NULL or limits == NULL:
            raise MemoryError()
        if len(counts) != n_runs or n_runs == 0 or (ids is None and n_runs != 1):
            raise ValueError("assemble: a count per run, one run without ids")
        if ids is None:
            n = counts[0]
        else:
            id_view = ids
            n = id_view.shape[0]
            groups = &id_view[0] if n else NULL
        if n_terminated > n or n_terminated < 0 or (terminator == 2 and bits.shape[0] * 8 < n_terminated):
            raise ValueError("line endings disagree with the lines")
        for k in range(n_runs):
            limits[k] = counts[k]
            taken[k] = 0
            set_run(&parts[k], <tuple?>runs[k], limits[k], keep)
        offsets_array = np.empty(n + 1, dtype=np.int64)
        offsets_view = offsets_array
        with nogil:
            offsets_view[0] = 0
            for i in range(n):
                if groups != NULL:
                    group = groups[i]
                    if group < 0 or group >= n_runs or taken[group] == limits[group]:
                        problem = 1
                        break
                j = value_of(&parts[group], taken[group])
                taken[group] += 1
                total += parts[group].offsets[j + 1] - parts[group].offsets[j]
                if i < n_terminated:
                    total += 1 + is_crlf(bits, i, terminator)
                offsets_view[i + 1] = total
                if total > cap:
                    problem = 2
                    break
        if problem == 1:
            raise ValueError("group ids disagree with the groups")
        if problem == 2:
            raise ValueError(f"rows would take more than {cap} bytes")
        result = PyBytes_FromStringAndSize(NULL, total)
        out = <unsigned char *>PyBytes_AS_STRING(result)
        end = out + total
        with nogil:
            for k in range(n_runs):
                taken[k] = 0
            for i in range(n):
                if groups != NULL:
                    group = groups[i]
                j = value_of(&parts[group], taken[group])
                taken[group] += 1
                out = put(out, end, parts[group].data + parts[group].offsets[j], parts[group].end,
                          parts[group].offsets[j + 1] - parts[group].offsets[j])
                if i < n_terminated:
                    if is_crlf(bits, i, terminator):
                        out[0] = 13
                        out += 1
                    out[0] = 10
                    out += 1
    finally:
        PyMem_Free(parts)
        PyMem_Free(taken)
        PyMem_Free(limits)
    return result, offsets_array


def to_list(const unsigned char[::1] data, const int64_t[::1] offsets):
    """The values as a list of ``bytes``."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, i
    cdef const unsigned char *base = data_pointer(data)
    result = PyList_New(n)
    for i in range(n):
        value = PyBytes_FromStringAndSize(<const char *>base + offsets[i], offsets[i + 1] - offsets[i])
        Py_INCREF(value)
        PyList_SET_ITEM(result, i, value)
    return result


def lines(const unsigned char[::1] data, Py_ssize_t rows):
    """``(data, offsets)`` of the rows of a text where a newline ends each row but the last;
    ValueError unless it has rows - 1 newlines (rows >= 1)."""
    cdef Py_ssize_t size = data.shape[0], start = 0, written = 0, length, i
    cdef const unsigned char *text = data_pointer(data)
    cdef const unsigned char *found
    cdef unsigned char *out
    cdef bint bad = False
    if rows < 1 or size < rows - 1:
        raise ValueError("line count mismatch")
    offsets_array = np.empty(rows + 1, dtype=np.int64)
    cdef int64_t[::1] offsets = offsets_array
    result = PyBytes_FromStringAndSize(NULL, size - (rows - 1))
    out = <unsigned char *>PyBytes_AS_STRING(result)
    with nogil:
        offsets[0] = 0
        for i in range(rows - 1):
            found = <const unsigned char *>memchr(text + start, 10, size - start)
            if found == NULL:
                bad = True
                break
            length = found - text - start
            memcpy(out + written, text + start, length)
            written += length
            offsets[i + 1] = written
            start += length + 1
        if not bad and memchr(text + start, 10, size - start) == NULL:
            memcpy(out + written, text + start, size - start)
            offsets[rows] = written + size - start
        else:
            bad = True
    if bad:
        raise ValueError("line count mismatch")
    return result, offsets_array


cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil


cdef const char *PAIRS = (b"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                          b"4041424344454647484950515253545556575859606162636465666768697071727374757677787980"
                          b"81828384858687888990919293949596979899")
cdef uint64_t POWERS[20]      # 10 ** k


cdef void fill_powers() noexcept:
    cdef int k
    POWERS[0] = 1
    for k in range(1, 20):
        POWERS[k] = POWERS[k - 1] * 10


fill_powers()


cdef inline int spelt_length(uint64_t magnitude, int base) noexcept nogil:
    """Digits of magnitude: from its bit length (log10 2 ~ 1233 / 4096), then one comparison
    (of magnitude | 1, the same for every power of ten but 1, so that 0 has a digit)."""
    cdef int bits = 64 - __builtin_clzll(magnitude | 1), guess
    if base != 10:
        return (bits + 3) >> 2
    guess = (bits * 1233) >> 12
    return guess + 1 - ((magnitude | 1) < POWERS[guess])


cdef inline void spell_digits(unsigned char *out, uint64_t magnitude, int length, int base) noexcept nogil:
    """The digits of magnitude into out[0:length], most significant first (decimal two at a time)."""
    cdef int k
    cdef uint64_t pair
    if base == 10:
        while magnitude >= 100:
            pair = magnitude % 100
            magnitude //= 100
            length -= 2
            out[length] = PAIRS[2 * pair]
            out[length + 1] = PAIRS[2 * pair + 1]
        if magnitude >= 10:
            out[length - 2] = PAIRS[2 * magnitude]
            out[length - 1] = PAIRS[2 * magnitude + 1]
        else:
            out[length - 1] = 48 + <unsigned char>magnitude
    else:
        for k in range(length - 1, -1, -1):
            out[k] = DIGITS[magnitude & 15]
            magnitude >>= 4


def spell(const int64_t[::1] values, const int64_t[::1] pads, int base):
    """``(data, offsets)``: each value as decimal (base 10) or lowercase hex (16), after
    pads[i] extra leading zeros (between the sign and the digits); pads may be empty."""
    cdef Py_ssize_t n = values.shape[0], i
    cdef bint padded = pads.shape[0] > 0
    cdef int64_t value, total = 0
    cdef uint64_t magnitude
    cdef int length
    cdef unsigned char *out
    cdef unsigned char *start
    offsets_array = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] offsets = offsets_array
    if padded and pads.shape[0] != n:
        raise ValueError("spell: pads and values differ in length")
    if base != 10 and base != 16:
        raise ValueError("spell: base 10 or 16")
    with nogil:
        offsets[0] = 0
        for i in range(n):
            value = values[i]
            magnitude = <uint64_t>(-(value + 1)) + 1 if value < 0 else <uint64_t>value
            total += spelt_length(magnitude, base) + (value < 0) + (pads[i] if padded else 0)
            offsets[i + 1] = total
    result = PyBytes_FromStringAndSize(NULL, total)
    start = out = <unsigned char *>PyBytes_AS_STRING(result)
    with nogil:
        for i in range(n):
            value = values[i]
            magnitude = <uint64_t>(-(value + 1)) + 1 if value < 0 else <uint64_t>value
            if value < 0:
                out[0] = 45
                out += 1
            if padded:
                memset(out, 48, pads[i])
                out += pads[i]
            length = offsets[i + 1] - (out - start)
            spell_digits(out, magnitude, length, base)
            out += length
    return result, offsets_array


def planes(const unsigned char[::1] data, Py_ssize_t count, int width):
    """The count numbers stored as ``width`` byte planes (plane k holds byte k, the least
    significant first, of every number), as uint64."""
    cdef Py_ssize_t i
    cdef int k
    if width < 1 or width > 8 or data.shape[0] != count * width:
        raise ValueError("planes: width bytes per number")
    numbers_array = np.empty(count, dtype=np.uint64)
    cdef uint64_t[::1] numbers = numbers_array
    with nogil:
        for i in range(count):
            numbers[i] = data[i]
        for k in range(1, width):
            for i in range(count):
                numbers[i] |= <uint64_t>data[k * count + i] << (8 * k)
    return numbers_array


def pick(const uint64_t[::1] distinct, const uint64_t[::1] ranks):
    """``distinct[ranks]``; ValueError where a rank is out of range."""
    cdef Py_ssize_t i, n = ranks.shape[0], n_distinct = distinct.shape[0]
    cdef bint bad = False
    numbers_array = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] numbers = numbers_array
    with nogil:
        for i in range(n):
            if ranks[i] >= <uint64_t>n_distinct:
                bad = True
                break
            numbers[i] = distinct[ranks[i]]
    if bad:
        raise ValueError("rank out of range")
    return numbers_array


cdef inline uint64_t unzigzag(uint64_t encoded) noexcept nogil:
    return (encoded >> 1) ^ (0 - (encoded & 1))


def integers(uint64_t[::1] encoded, uint64_t zigzag_base, bint delta):
    """Undo frame of reference or, with ``delta``, zigzag deltas, in place: number i is
    ``base + encoded[i]``, or ``base`` plus the sum of the deltas up to i (arithmetic mod
    2^64, as the encoder's int64); ``base`` is zigzag coded. Returns the numbers as int64."""
    cdef Py_ssize_t i, n = encoded.shape[0]
    cdef uint64_t total = unzigzag(zigzag_base)
    with nogil:
        if delta:
            for i in range(n):
                total += unzigzag(encoded[i])
                encoded[i] = total
        else:
            for i in range(n):
                encoded[i] += total
    return np.asarray(encoded).view(np.int64)


def fused_digits(unsigned char[:, ::1] matrix, const int64_t[::1] fused, const int64_t[::1] radices,
                 const int64_t[::1] lows, const int64_t[::1] starts, const int64_t[::1] places):
    """Write the digits of fused numbers into the rows of matrix: number i is the mixed-radix
    combination of pieces (the last piece least significant), piece k being ``lows[k]`` plus
    its digit in radix ``radices[k]``, spelt in decimal at the columns
    ``places[starts[k]:starts[k + 1]]`` (most significant first). Callers have checked the
    ranges: every piece fits its places, every place is a column of matrix."""
    cdef Py_ssize_t i, k, p, n_pieces = radices.shape[0]
    cdef int64_t rest, number
    if fused.shape[0] != matrix.shape[0] or lows.shape[0] != n_pieces or starts.shape[0] != n_pieces + 1:
        raise ValueError("fused_digits: arrays disagree")
    with nogil:
        for i in range(fused.shape[0]):
            rest = fused[i]
            for k in range(n_pieces - 1, -1, -1):
                number = rest % radices[k] + lows[k]
                rest //= radices[k]
                for p in range(starts[k + 1] - 1, starts[k] - 1, -1):
                    matrix[i, places[p]] = 48 + number % 10
                    number //= 10
