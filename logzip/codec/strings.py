"""Typed columns of byte strings: what the decoders build instead of a list of ``bytes``.

A :class:`ByteColumn` holds its distinct values (or all of them) as one buffer and int64
offsets, and, for a dictionary column, an int64 code per row; a million rows are three
objects, not a million. Columns are combined (:func:`fill`, :func:`scatter`: one pass
that copies each row's bytes into a new buffer; :func:`blank_where`) and lines written (:func:`join_lines`) by compiled loops
(:mod:`logzip.codec._strings`) that copy straight from these buffers into the next.
"""
from typing import List, Optional, Sequence

import numpy as np

from . import _strings
from ._columns import lengths as _lengths
from ..errors import CorruptArchiveError

MAX_BYTES = 1 << 30             # the most a column of a block may take (a block is at most 1 GiB)
_ZERO = np.zeros(1, dtype=np.int64)


class ByteColumn:
    """Rows of byte strings: row ``i`` is ``values[codes[i]]`` (``values[i]`` when ``codes``
    is None), value ``j`` being ``data[offsets[j]:offsets[j + 1]]``.

    ``data`` is ``bytes`` or a uint8 array, ``offsets`` int64 (one more than the values,
    from 0 up to ``len(data)``), ``codes`` int64 in ``range(len(offsets) - 1)`` or None.
    The search wraps dictionary columns (codes) and plain ones apart; see :meth:`tolist`
    and :meth:`values` to get ``bytes`` objects out."""

    __slots__ = ("data", "offsets", "codes")

    def __init__(self, data, offsets: np.ndarray, codes: Optional[np.ndarray] = None):
        self.data, self.offsets, self.codes = data, offsets, codes

    @classmethod
    def from_list(cls, values: Sequence[bytes]) -> "ByteColumn":
        values = list(values)
        return cls(b"".join(values), np.concatenate((_ZERO, np.cumsum(_lengths(values)))))

    @classmethod
    def constant(cls, value: bytes, rows: int) -> "ByteColumn":
        return cls(value, np.array([0, len(value)], dtype=np.int64), np.zeros(rows, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1 if self.codes is None else len(self.codes)

    @property
    def n_values(self) -> int:
        return len(self.offsets) - 1

    def run(self) -> tuple:
        """The ``(data, offsets, codes)`` triple the compiled loops read."""
        return self.data, self.offsets, self.codes

    def values(self) -> List[bytes]:
        """The distinct values (all the rows' when there are no codes) as ``bytes``."""
        return _strings.to_list(self.data, self.offsets)

    def tolist(self) -> List[bytes]:
        """Every row as ``bytes``; rows of one code share one object."""
        values = self.values()
        if self.codes is None:
            return values
        if len(values) == 1:
            return values * len(self.codes)
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array[self.codes].tolist()

    def flat(self, cap: int = MAX_BYTES) -> "ByteColumn":
        """The same rows without codes: each row's bytes in row order."""
        if self.codes is None:
            return self
        return ByteColumn(*_checked(_strings.fill, [b"", b""], [self.run()], len(self), cap))

    def codes_or_rows(self) -> np.ndarray:
        return np.arange(self.n_values, dtype=np.int64) if self.codes is None else self.codes


def fill(texts: List[bytes], columns: List[ByteColumn], rows: int, cap: int = MAX_BYTES,
         trim: int = 0) -> ByteColumn:
    """Row i: ``texts[0] + columns[0][i] + texts[1] + ... + columns[-1][i] + texts[-1]``, the
    last row without its last ``trim`` bytes. CorruptArchiveError when a column has not
    ``rows`` rows or the rows pass ``cap`` bytes. A column of one value (a separator, a
    constant) joins the texts around it."""
    if any(len(column) != rows for column in columns):
        raise CorruptArchiveError("corrupt archive: columns of a row differ in length")
    merged, runs = [texts[0]], []
    for column, text in zip(columns, texts[1:]):
        if column.n_values == 1:
            merged[-1] += column.values()[0] + text
        else:
            runs.append(column.run())
            merged.append(text)
    if not runs and not trim:
        return ByteColumn.constant(merged[0], rows)
    return ByteColumn(*_checked(_strings.fill, merged, runs, rows, cap, trim))


def scatter(columns: List[ByteColumn], ids: np.ndarray, cap: int = MAX_BYTES) -> ByteColumn:
    """Rows in the order of ``ids``: row i is the next row of ``columns[ids[i]]``, each
    column taken in order (the inverse of grouping rows by id, stably)."""
    if len(columns) == 1 and len(columns[0]) == len(ids):
        return columns[0]
    return ByteColumn(*_assemble(columns, ids, cap))


def _assemble(columns: List[ByteColumn], ids: Optional[np.ndarray], cap: int, *ends) -> tuple:
    """:func:`logzip.codec._strings.assemble` on columns (ids None: one column)."""
    counts = [len(column) for column in columns]
    if ids is not None:
        if sum(counts) != len(ids):
            raise CorruptArchiveError("corrupt archive: a template's parameter count disagrees with its lines")
        ids = np.asarray(ids, dtype=np.int64)
    return _checked(_strings.assemble, [column.run() for column in columns], counts, ids, cap, *ends)


def _checked(function, *args):
    """A compiled loop's result; its ValueError (damaged input) as CorruptArchiveError."""
    try:
        return function(*args)
    except ValueError as error:
        raise CorruptArchiveError(f"corrupt archive: {error}") from None


def blank_where(column: ByteColumn, blank: np.ndarray) -> ByteColumn:
    """The rows of ``column``, those where ``blank`` is true made empty."""
    offsets = np.append(column.offsets, column.offsets[-1])     # one more value: b""
    return ByteColumn(column.data, offsets, np.where(blank, column.n_values, column.codes_or_rows()))


def equals_where(column: ByteColumn, value: bytes) -> np.ndarray:
    """A bool per row: whether it is ``value``."""
    starts, ends = column.offsets[:-1], column.offsets[1:]
    view = np.frombuffer(column.data, dtype=np.uint8)
    same = ends - starts == len(value)
    for k, byte in enumerate(value):
        same[same] = view[starts[same] + k] == byte
    return same if column.codes is None else same[column.codes]


def join_lines(lines, ids: Optional[np.ndarray], terminator: int, bits: bytes, n_terminated: int,
               cap: int) -> bytes:
    """The lines, the first ``n_terminated`` each followed by LF (``terminator`` 0), CRLF (1)
    or, 2, CRLF where its bit in ``bits`` is set (most significant first) and LF elsewhere.
    ``lines``: a column, or with ``ids`` columns whose rows ``ids`` interleaves (see
    :func:`scatter`), in the same pass."""
    columns = [lines] if ids is None else lines
    return _assemble(columns, ids, cap, bits, terminator, n_terminated)[0]
