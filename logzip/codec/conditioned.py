"""CONDITIONED columns: an integer column's steps, split by what earlier columns did.

In HPC's header (LogId, Node, Component, State, Time, Flag) a line whose LogId is one off
the previous line's (the same source, logging on) has nearly the previous line's Time,
while a line that jumps in LogId, or comes from another Node, jumps in Time too. One
stream of Time's steps mixes those lines; split by a class each row takes from earlier
columns of its table, each stream holds steps of one kind, which compress smaller
(HPC: Time 336 KB as SHAPE, 305 KB split by LogId's step, 298 KB by LogId's step and
whether the Node repeats, LZMA'd byte planes).

A class comes from each source column: ``STEP``, the source's step from the previous row
clipped to -3..3 (classes 0-6), 7 where this row or the previous one is not an integer;
``SAME``, whether the row equals the previous one (0, 1). The first row is class 7 (0).
Several sources' classes combine in mixed radix.

Stored as a column of a table (kind ``CONDITIONED``, only at a table's top level): the
sources (a count, then each one's column index, earlier in the table, and its class kind),
the first integer (zigzag varint), the rows that are not integers as written by
:func:`logzip.codec._columns.canonical_ints` (a count, then their row numbers as an integer
array and their values as a column), then for each class that occurs, in class order, the
zigzagged steps of its rows (each from the previous integer row) as unsigned numbers.
The sources are chosen on a sample of the column, greedily, by zstd's trial size of the
streams; the sample's CONDITIONED encoding is then one more candidate among the column's
others (see :func:`logzip.codec.columns._encode_column`), the whole column encoded only
where it wins.
"""
from typing import List, Optional, Tuple

import numpy as np

from logzip.codec import _strings, columns as _columns_module
from logzip.codec._columns import all_equal, canonical_ints, source_classes, unsplit_steps
from logzip.codec.strings import ByteColumn, scatter
from logzip.errors import CorruptArchiveError
from logzip.varint import put_varint

STEP, SAME = 0, 1
_RADICES = {STEP: 8, SAME: 2}
_RADIUS = 3                 # STEP classes: steps -3..3
_MAX_SOURCES = 2
_MIN_ROWS = 4096            # shorter columns are not worth the trials
_MIN_INTEGERS = 0.9         # of a target's rows
_MIN_GAIN = 0.01            # a second source must shrink the trial streams this much
_NO_PADS = np.zeros(0, dtype=np.int64)


def trial(column: List[bytes], earlier: List[List[bytes]], depth: int = 0) -> Optional[tuple]:
    """``(weighed size, finish)``: the trial size of the CONDITIONED encoding of the column's
    sample (of the column itself when it is short), and a function giving the whole column's
    encoding; None where the column is not integers or no ``earlier`` column of its table
    helps it."""
    if len(column) < _MIN_ROWS or not earlier:
        return None
    long = len(column) > _columns_module._SAMPLE_ABOVE
    sample = _columns_module._sample(column) if long else column
    values, valid = canonical_ints(sample)
    if valid.mean() < _MIN_INTEGERS:
        return None
    sampled = [_columns_module._sample(source) for source in earlier] if long else earlier
    sources = _choose_sources(values, valid, sampled)
    if not sources:
        return None
    encoded = _encode(sample, [(index, kind, sampled[index]) for index, kind in sources], depth)
    if not long:
        return _columns_module._weighed_size(encoded), lambda: encoded
    return (_columns_module._weighed_size(encoded),
            lambda: _encode(column, [(index, kind, earlier[index]) for index, kind in sources], depth))


def _choose_sources(values: np.ndarray, valid: np.ndarray, sampled: List[List[bytes]]) -> List[Tuple[int, int]]:
    """Up to _MAX_SOURCES ``(column index, class kind)``, greedily, each the one whose classes
    make the step streams of the (sampled) values smallest; none if no source beats a single
    stream."""
    rows = len(values)
    candidates = {}
    for index, source in enumerate(sampled):
        if all_equal(source):
            continue
        candidates[(index, SAME)] = _source_classes(SAME, source)
        if canonical_ints(source)[1].mean() >= 0.5:
            candidates[(index, STEP)] = _source_classes(STEP, source)
    chosen, classes = [], np.zeros(rows, dtype=np.uint8)
    best = _trial_size(values, valid, classes)
    while len(chosen) < _MAX_SOURCES and candidates:
        sizes = {key: _trial_size(values, valid, classes * _RADICES[key[1]] + found)
                 for key, found in candidates.items()}
        key = min(sizes, key=sizes.get)
        if sizes[key] >= best * (1 - _MIN_GAIN):
            break
        best = sizes[key]
        chosen.append(key)
        classes = classes * _RADICES[key[1]] + candidates.pop(key)
    return chosen


def _trial_size(values: np.ndarray, valid: np.ndarray, classes: np.ndarray) -> int:
    out = bytearray()
    _put_streams(out, values[valid.view(bool)], classes[valid.view(bool)])
    return _columns_module._trial_size(out)


def _encode(column: List[bytes], sources: list, depth: int) -> bytes:
    out = bytearray((_columns_module.CONDITIONED,))
    put_varint(out, len(sources))
    for index, kind, _ in sources:
        put_varint(out, index)
        out.append(kind)
    values, valid = canonical_ints(column)
    integers = valid.view(bool)
    first = int(values[integers][0]) if integers.any() else 0
    put_varint(out, (first << 1) ^ (first >> 63))
    others = np.flatnonzero(~integers)
    put_varint(out, len(others))
    if len(others):
        _columns_module._put_int_array(out, others)
        out += _columns_module._encode_column([column[row] for row in others.tolist()], depth + 1)
    classes = _classes([(kind, source) for _, kind, source in sources], len(column))
    _put_streams(out, values[integers], classes[integers])
    return bytes(out)


def _put_streams(out: bytearray, values: np.ndarray, classes: np.ndarray) -> None:
    """The steps of the values (the first 0), zigzagged, one stream per class in class order."""
    steps = _columns_module._zigzag(np.diff(values, prepend=values[:1]))
    order = np.argsort(classes, kind="stable")
    grouped, counts = steps[order], np.bincount(classes)
    start = 0
    for count in counts.tolist():
        if count:
            _columns_module._put_unsigned(out, grouped[start:start + count], ranked=True)
            start += count


def _source_classes(kind: int, source) -> np.ndarray:
    """The class (see the module's docstring) each row takes from one source column, a list
    of bytes (encoding) or a typed column (decoding)."""
    return source_classes(source if isinstance(source, list) else source.run(), kind == SAME, _RADIUS)


def _classes(sources: List[tuple], rows: int) -> np.ndarray:
    """Each row's class from ``(kind, column)`` sources, in mixed radix (uint8: the
    stable sorts by class are radix sorts)."""
    classes = np.zeros(rows, dtype=np.uint8)
    for kind, source in sources:
        classes = classes * _RADICES[kind] + _source_classes(kind, source)
    return classes


def decode(reader, rows: int, depth: int, earlier: List[ByteColumn]) -> ByteColumn:
    """The column written by :func:`encode` (after its kind byte); ``earlier``: the table's
    columns decoded before it."""
    sources = []
    for _ in range(reader.count(_MAX_SOURCES, "conditioned source count")):
        index, kind = reader.varint(), reader.byte()
        if index >= len(earlier) or kind not in _RADICES:
            raise CorruptArchiveError("corrupt column table: bad conditioned source")
        sources.append((kind, earlier[index]))
    classes = _classes(sources, rows)
    first = reader.varint()
    if first >> 64:
        raise CorruptArchiveError("corrupt column table: bad first value of a conditioned column")
    first = (first >> 1) ^ -(first & 1)
    n_others = reader.count(rows, "count of rows not integers")
    integers = np.ones(rows, dtype=bool)
    if n_others:
        others = reader.int_array(n_others)
        if others.min() < 0 or others.max() >= rows or np.any(np.diff(others) <= 0):
            raise CorruptArchiveError("corrupt column table: bad rows of a conditioned column")
        integers[others] = False
        other_values = _columns_module._decode_column(reader, n_others, depth + 1)
    classes = classes[integers]
    counts = np.bincount(classes, minlength=1)
    parts = [reader.unsigned(count, ranked=True) for count in counts.tolist() if count]
    zigzagged = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    values = unsplit_steps(classes, zigzagged, np.concatenate(([0], np.cumsum(counts))), first)
    spelled = ByteColumn(*_strings.spell(values, _NO_PADS, 10))
    return scatter([spelled, other_values], (~integers).astype(np.int64)) if n_others else spelled
