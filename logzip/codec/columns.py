"""Typed column encoding: a table of byte-string columns to one compressed, self-describing blob.

Every column is encoded by what it holds (recursively for the parts).  Candidate encodings are
tried (on a sample of a long column, which then gets only the winner) and the one zstd (at a
fast level) compresses smallest is kept; SHAPE, slower to decode, must win by 3%:

    CONST   every value the same
    INT     decimal or lowercase-hex integers (leading zeros kept in a padding array)
    SHAPE   values made of digit runs in a few skeletons ('blk_-#', '#.#.#.#:#'): a skeleton id
            per row, then per skeleton either its digit runs as columns, or, when all its values
            have the same length ('06:06:20', '081109'), all their digits fused in mixed radix
            into few integers (a time of day becomes its second of the day)
    DICT    few distinct values: a table of them, then an id per row
    LINES   the values joined by newlines (no value holds one)
    CHUNKS  lengths, then the values concatenated
    GROUPED a column of a table given a key (a header table: each line's template id), in
            key order instead of row order (rows of a key together, stably), then any of
            the above: a field the template decides (HPC's component) or repeats costs
            nothing there, while the others (timestamps) stay in row order
    CONDITIONED a column of a table (encode_table's), integers whose steps are split by a
            class that earlier columns give each row (HPC's Time by LogId's step): see
            :mod:`.conditioned`

Integer arrays (values, ids, lengths, fused digits) are delta- or frame-of-reference-coded,
then stored as byte planes, or as ranks into their distinct numbers when that is smaller.

Blob: a byte (version << 4 | flags: 1 = zstd, 4 = LZMA, 2 = several tables, 8 = an integer
array, see encode_ints), then the payload:
raw, or compressed after its size (varint).  From level LZMA_LEVEL (the default 19) on, a blob
is LZMA-compressed (raw LZMA2, preset 6 without literal context: the payload is mostly integers
in byte planes) where a sample says LZMA beats zstd: 3-7% smaller than zstd -19 on most of the
corpora's logs, in about the same time; decoding is slower than zstd's, ~100 MB/s of payload.  Payload of a table: varint n_columns, varint n_rows,
then each column as a kind byte and its data; of several tables: varint n_tables, then tables.
"""
import itertools
import lzma
import re
import threading
from operator import itemgetter
from typing import List, Optional

import numpy as np
import zstandard

from logzip.codec import _columns, _strings, conditioned   # conditioned uses this module's coders
from logzip.codec.general import in_pieces
from logzip.codec.strings import ByteColumn, fill, scatter
from logzip.errors import CorruptArchiveError
from logzip.varint import VarintReader, put_bytes, put_varint

VERSION = 1
_ZSTD, _SEVERAL, _LZMA, _INTS = 1, 2, 4, 8     # flags in the low nibble of a blob's first byte
LZMA_LEVEL = 19
_LZMA_DICT = 8 << 20        # preset 6's dictionary; the decoder's whatever the encoder's was
_MIN_LZMA_DICT = 4096
_CODER_SAMPLE = 256 << 10
CONST, INT, SHAPE, DICT, LINES, CHUNKS, GROUPED, CONDITIONED = range(8)

MAX_ROWS = 1 << 26          # cells a table may have when decode_table is not told its rows
MAX_DECODED_BYTES = 1 << 30 # bytes one column part may decode to (a block is at most 1 GiB)
_MAX_DEPTH = 6
_TRIAL_LEVEL = 3            # candidates are compared by their size at this zstd level
_SMALL = 512                # below this many bytes, compare candidates by raw size
_RANK_MIN = 1024            # numbers needed to try ranking them
_FUSED_DIGITS = 18          # digits of a number that surely fits int64
_MAX_SKELETONS = 255        # skeletons a column may have (ids fit a byte)
_MAX_RUNS = 64              # digit runs a skeleton may have
_MAX_SKELETON = 4096        # bytes of text a skeleton may have
_MAX_FUSED = 1024           # length of the longest values whose digits are fused
_MAX_PAD = 64               # leading zeros an integer may have (as in _columns.pyx)
_DIGITS = re.compile(rb"[0-9]+")
_NO_PADS = np.zeros(0, dtype=np.int64)
_ZERO = np.zeros(1, dtype=np.int64)
_SAMPLE_ABOVE = 65536       # longer columns and integer arrays choose their encoding on a sample:
_SAMPLE_ROWS = 16384        # of this many rows,
_SAMPLE_RUNS = 16           # made of this many runs of consecutive values
_LEVEL_SAMPLE_RUNS = 4        # payloads of more than 4 * 64 KiB check on 4 runs of 16 KiB
_LEVEL_SAMPLE_RUN = 16 << 10   # whether their level pays (see compress_stream)
_MIN_LEVEL_GAIN = 0.03
_PROBE_RATIO = 3               # samples the trial level shrinks more than this need no probe
_compressors = threading.local()    # zstd compressors per thread by level: a new one costs ~50 ms at 19


def encode_table(columns: List[List[bytes]], level: int = 19, key: Optional[np.ndarray] = None) -> bytes:
    """Encode equal-length columns of bytes into a compressed blob (see decode_table).
    With a ``key`` (an integer per row), a column may be stored GROUPED by it, whichever
    compresses smaller; decode_table must then be given the same key. A column of integers
    may be stored CONDITIONED on the columns before it (see :mod:`.conditioned`)."""
    order = None if key is None else np.argsort(np.asarray(key), kind="stable")
    return _wrap(_table_payload(columns, order, condition=True), level, 0)


def encode_tables(tables: List[List[List[bytes]]], level: int = 19, prefer_lzma: bool = False) -> bytes:
    """Encode several tables into one blob (see decode_tables): they share one zstd frame,
    so values repeated across tables (a host in several templates' parameters) cost once.
    ``prefer_lzma`` skips the trial against zstd where LZMA is known to win (JSON lines' tables).
    No column is CONDITIONED here: templates' tables often repeat each other's columns (a
    serial number in several), which the shared frame stores once, and conditioning each on
    its own table's columns made Mozilla's leak.log 1% larger."""
    out = bytearray()
    put_varint(out, len(tables))
    for columns in tables:
        out += _table_payload(columns)
    return _wrap(bytes(out), level, _SEVERAL, prefer_lzma)


def decode_table(blob: bytes, rows: Optional[int] = None, key: Optional[np.ndarray] = None) -> List[List[bytes]]:
    """Decode a blob made by encode_table; CorruptArchiveError if it is damaged.

    `rows`, when the caller knows it, is checked against the table's row count before
    anything is allocated; otherwise tables of more than MAX_ROWS cells are refused.
    `key`: the one encode_table was given, needed by GROUPED columns.
    """
    return [column.tolist() for column in decode_table_columns(blob, rows, key)]


def decode_tables(blob: bytes, rows: Optional[List[int]] = None) -> List[List[List[bytes]]]:
    """Decode a blob made by encode_tables; `rows` as in decode_table, one count per table
    (without it, the tables together may have MAX_ROWS cells)."""
    return [[column.tolist() for column in table] for table in decode_tables_columns(blob, rows)]


def decode_table_columns(blob: bytes, rows: Optional[int] = None, key: Optional[np.ndarray] = None) -> List[ByteColumn]:
    """:func:`decode_table` as typed columns (:class:`~logzip.codec.strings.ByteColumn`: the
    values in one buffer with offsets, and a code per row for dictionary and constant
    columns), without a Python object per cell. The block decoder renders lines from them;
    a reader that wants the dictionary of a column finds it in ``codes`` and ``values()``."""
    reader = _unwrap(blob, 0)
    table = _read_table(reader, rows, [MAX_ROWS], key)
    reader.finish()
    return table


def decode_tables_columns(blob: bytes, rows: Optional[List[int]] = None) -> List[List[ByteColumn]]:
    """:func:`decode_tables` as typed columns (see :func:`decode_table_columns`)."""
    reader = _unwrap(blob, _SEVERAL)
    n_tables = reader.count(len(reader.payload), "table count")
    if rows is not None and len(rows) != n_tables:
        raise CorruptArchiveError(f"corrupt column tables: {n_tables} tables where {len(rows)} are expected")
    budget = [MAX_ROWS]
    tables = [_read_table(reader, None if rows is None else rows[i], budget) for i in range(n_tables)]
    reader.finish()
    return tables


def encode_ints(values: np.ndarray, level: int = 19) -> bytes:
    """Integers (int64) as a blob (see decode_ints): delta or frame of reference, byte planes
    or ranks, then compressed as a table is (template ids: 5-10% smaller than zstd -19 on
    their raw uint16)."""
    out = bytearray()
    put_varint(out, len(values))
    _put_int_array(out, np.asarray(values, dtype=np.int64))
    return _wrap(bytes(out), level, _INTS)


def decode_ints(blob: bytes, count: int) -> np.ndarray:
    """The ``count`` integers of a blob made by encode_ints, as int64."""
    reader = _unwrap(blob, _INTS)
    if reader.varint() != count:
        raise CorruptArchiveError(f"corrupt integer array: not {count} numbers")
    values = reader.int_array(count)
    reader.finish()
    return values


def _table_payload(columns: List[List[bytes]], order: Optional[np.ndarray] = None,
                   condition: bool = False) -> bytes:
    rows = len(columns[0]) if columns else 0
    if any(len(column) != rows for column in columns) or (order is not None and len(order) != rows):
        raise ValueError("all columns of a table (and its key) must have the same length")
    out = bytearray()
    put_varint(out, len(columns))
    put_varint(out, rows)
    for index, column in enumerate(columns):
        out += _encode_column(column, 0, order, columns[:index] if condition else None)
    return bytes(out)


def _wrap(payload: bytes, level: int, flags: int, prefer_lzma: bool = False) -> bytes:
    coder, compressed = _compress(payload, level, prefer_lzma)
    if len(compressed) + 4 >= len(payload):
        return bytes((VERSION << 4 | flags,)) + payload
    head = bytearray((VERSION << 4 | flags | coder,))
    put_varint(head, len(payload))
    return bytes(head) + compressed


def _compress(payload: bytes, level: int, prefer_lzma: bool = False) -> tuple:
    """``(coder flag, compressed payload)``. From LZMA_LEVEL on, LZMA or zstd, whichever makes
    the middle _CODER_SAMPLE bytes smaller (LZMA wins most logs' tables by 3-7%, zstd some
    with long repeated strings, by as much); a short payload is the sample, whole."""
    chosen = stream_level(payload, level)
    if level < LZMA_LEVEL or chosen < level:   # where the level does not pay, LZMA would not either
        return _ZSTD, zstd_compressor(chosen).compress(payload)
    if prefer_lzma:
        return _LZMA, _lzma(payload, deep=True)
    zstd = zstd_compressor(level)
    start = max(0, (len(payload) - _CODER_SAMPLE) // 2) if len(payload) > 2 * _CODER_SAMPLE else 0
    sample = payload[start:start + _CODER_SAMPLE] if start else payload
    trials = {_ZSTD: zstd.compress(sample), _LZMA: _lzma(sample)}
    coder = min(trials, key=lambda flag: len(trials[flag]))
    if sample is payload:
        return coder, trials[coder]
    return coder, zstd.compress(payload) if coder == _ZSTD else _lzma(payload)


def _lzma(payload: bytes, deep: bool = False) -> bytes:
    return in_pieces(lzma.LZMACompressor(lzma.FORMAT_RAW, filters=_lzma_filters(len(payload), deep)), payload)


def _lzma_filters(size: int, deep: bool = False) -> list:
    """Preset 6 with a dictionary no larger than the payload needs (it is allocated whole).
    ``deep``: matches followed to 273 bytes (16 tries a position), for the tables of JSON lines,
    where long repeated texts pay: 6-10% smaller than preset 6 on a 32 MiB block of the Windows
    event logs, in 1.8x its time (preset 9e: 7-12%, in 2.8x); encoder settings only."""
    dict_size = min(_LZMA_DICT, max(_MIN_LZMA_DICT, 1 << (max(size, 1) - 1).bit_length()))
    deeper = {"nice_len": 273, "depth": 16} if deep else {}
    return [{"id": lzma.FILTER_LZMA2, "preset": 6, "lc": 0, "pb": 0, "dict_size": dict_size, **deeper}]


def _unwrap(blob: bytes, flags: int) -> "_Reader":
    """A reader over the payload of a blob whose flags must be `flags` (compressed or not)."""
    if not blob:
        raise CorruptArchiveError("corrupt column table: empty")
    coder = blob[0] & (_ZSTD | _LZMA)
    if blob[0] >> 4 != VERSION or blob[0] & 15 & ~coder != flags or coder == _ZSTD | _LZMA:
        raise CorruptArchiveError(f"corrupt column table: unknown version/kind byte {blob[0]:#x}")
    if coder:
        head = _Reader(blob, 1)
        size = head.varint()
        frame = blob[head.pos:]
        return _Reader(_decompress(frame, size) if coder == _ZSTD else _unlzma(frame, size))
    return _Reader(bytes(blob[1:]))


def _read_table(reader: "_Reader", rows: Optional[int], budget: List[int],
                key: Optional[np.ndarray] = None) -> List[ByteColumn]:
    """One table's columns; without `rows`, its cells are taken from budget[0]."""
    n_columns, n_rows = reader.varint(), reader.varint()
    if rows is not None and n_rows != rows:
        raise CorruptArchiveError(f"corrupt column table: {n_rows} rows where {rows} are expected")
    if n_columns > len(reader.payload):
        raise CorruptArchiveError(f"corrupt column table: {n_columns} columns")
    if rows is None:
        budget[0] -= n_columns * max(n_rows, 1)
        if budget[0] < 0:
            raise CorruptArchiveError(f"corrupt column table: more than {MAX_ROWS} cells")
    grouping = _Grouping(key, n_rows)
    table = []
    for _ in range(n_columns):
        table.append(_decode_column(reader, n_rows, 0, grouping, table))
    return table


KIND_NAMES = {CONST: "CONST", INT: "INT", SHAPE: "SHAPE", DICT: "DICT", LINES: "LINES", CHUNKS: "CHUNKS",
              GROUPED: "GROUPED", CONDITIONED: "CONDITIONED"}


def table_layout(blob: bytes, rows: Optional[int] = None, key: Optional[np.ndarray] = None):
    """What ``logzip info --columns`` shows of a blob made by encode_table: ``(coder, payload,
    spans)``, the coder's name, the uncompressed payload and, per column, ``(kind, start, end)``
    of its bytes in the payload (kind: e.g. ``'GROUPED SHAPE'``); ``spans[0]`` is the table's
    head (column and row counts)."""
    reader = _unwrap(blob, 0)
    n_columns, n_rows = reader.varint(), reader.varint()
    if rows is not None and n_rows != rows:
        raise CorruptArchiveError(f"corrupt column table: {n_rows} rows where {rows} are expected")
    spans = [("head", 0, reader.pos)]
    grouping, table = _Grouping(key, n_rows), []
    for _ in range(n_columns):
        start = reader.pos
        kinds = reader.payload[start:start + 2]
        name = KIND_NAMES.get(kinds[0], "?")
        if kinds[0] == GROUPED and len(kinds) > 1:
            name += " " + KIND_NAMES.get(kinds[1], "?")
        table.append(_decode_column(reader, n_rows, 0, grouping, table))
        spans.append((name, start, reader.pos))
    reader.finish()
    return blob_coder(blob)[0], reader.payload, spans


def blob_coder(blob: bytes) -> tuple:
    """``(coder, payload size)`` of a blob of this module: its coder's name and the size of
    its payload uncompressed."""
    if not blob:
        raise CorruptArchiveError("corrupt column table: empty")
    coder = blob[0] & (_ZSTD | _LZMA)
    if coder == _ZSTD | _LZMA:
        raise CorruptArchiveError(f"corrupt column table: unknown version/kind byte {blob[0]:#x}")
    size = _Reader(blob, 1).varint() if coder else len(blob) - 1
    return {0: "none", _ZSTD: "zstd", _LZMA: "LZMA"}[coder], size


def marginal_sizes(blob: bytes, payload: bytes, ends: List[int], level: int) -> List[int]:
    """The bytes that each span of ``payload`` (ending at ``ends``) adds to ``blob``, the
    compressed blob: the compressed size of the payload up to a span's end less the size up
    to its start (the last span takes what is left of the blob, its head included), so
    that the sizes add up to ``len(blob)``. Compressed again with the blob's coder
    (zstd at ``level``, whose level the blob does not record)."""
    coder = blob[0] & (_ZSTD | _LZMA)
    def size(end: int) -> int:
        if coder == _LZMA:
            return len(in_pieces(lzma.LZMACompressor(lzma.FORMAT_RAW, filters=_lzma_filters(len(payload))),
                                 payload[:end]))
        return len(zstd_compressor(level).compress(payload[:end])) if coder else end
    sizes, before = [], 0
    for end in ends[:-1]:
        upto = size(end)
        sizes.append(upto - before)
        before = upto
    return sizes + [len(blob) - before]


# -- encoding

def _encode_column(column: List[bytes], depth: int, order: Optional[np.ndarray] = None,
                   earlier: Optional[List[List[bytes]]] = None) -> bytes:
    """The kind byte and data of the candidate encoding that compresses smallest; with an
    ``order`` (a table's key order), the column is also tried in that order, as GROUPED;
    with the ``earlier`` columns of its table, as CONDITIONED on them.

    A long column's candidates are compared on a sample of it, and only the winner (or, if
    the whole column does not fit it, the runner-up, and so on) is computed on the whole column."""
    rows = len(column)
    first = column[0] if rows else b""
    if _columns.all_equal(column):
        return bytes((CONST,)) + _bytes_field(first)
    if rows <= _SAMPLE_ABOVE:
        arrangements = [(b"", column)]
        if order is not None and rows > 1:
            arrangements.append((bytes((GROUPED,)), _gather(column, order)))
        sized = [(_weighed_size(encoded), prefix + encoded)
                 for prefix, values in arrangements for encoded in _candidates(values, depth)]
        tried = conditioned.trial(column, earlier or [], depth)
        return min(sized + ([(tried[0], tried[1]())] if tried else []), key=itemgetter(0))[1]
    # The key order is sampled from its indices: the whole column is gathered only if it wins.
    arrangements = [(b"", _sample(column), lambda: column)]
    if order is not None:
        arrangements.append((bytes((GROUPED,)), _gather(column, _sample(order)), lambda: _gather(column, order)))
    trials, found = [], None
    for prefix, sample, values in arrangements:
        tried = [(_weighed_size(encoded), encoded[0], None) for encoded in _candidates(sample, depth, True)]
        if not any(kind == DICT for _, kind, _ in tried):
            if found is None:       # the table of the line order serves the key order too
                found = _dict_table(column, depth, rows // 2) or ()
            if found:
                tried.append(_dict_trial(found[0], found[1][order] if prefix else found[1], rows))
        trials += [trial + (prefix, values) for trial in tried if trial is not None]
    tried = conditioned.trial(column, earlier or [], depth)
    if tried:
        trials.append((tried[0], CONDITIONED, tried[1], b"", None))
    ranked = sorted(trials, key=itemgetter(0, 1))
    encodings = (prefix + encoded if encoded else None for prefix, encoded in
                 ((prefix, finish() if finish else _ENCODERS[kind](values(), depth))
                  for _, kind, finish, prefix, values in ranked))
    return next(filter(None, encodings))     # the first that fits: text always does


def _gather(values: List[bytes], order: np.ndarray) -> List[bytes]:
    """``[values[i] for i in order]`` at C speed."""
    return _columns.gather(values, np.asarray(order, dtype=np.int64))


def _candidates(column: List[bytes], depth: int, sample: bool = False) -> List[bytes]:
    """The encodings that fit the (non-constant) column and may win.  On a sample, INT and
    SHAPE are both tried (one may not fit the whole column where the other does), and DICT
    only when the sample has few distinct values (else see _dict_trial)."""
    ints = _parse_ints(column) if sample else _as_ints(column, depth)
    if sample and ints is not None:
        ints = _ints(*ints)
    shape = _encode_shape(column, depth) if ints is None or sample else None
    table = _encode_dict(column, depth, len(column) // 16 if sample else len(column) // 2)
    return [encoded for encoded in (_as_text(column, depth), ints, shape, table) if encoded is not None]


def _dict_trial(table: bytearray, ids: np.ndarray, rows: int):
    """(size, DICT, a function giving the DICT encoding) for a long column whose sample has
    many distinct values, so that the sample misjudges the table (the column's _dict_table):
    the size is the sample's ids plus the sample's share of the whole column's table."""
    sample_ids = bytearray()
    _put_int_array(sample_ids, _sample(ids))
    size = _trial_size(table) * _SAMPLE_ROWS / rows + _trial_size(sample_ids)
    def finish():
        encoded = bytearray(table)
        _put_int_array(encoded, ids)
        return bytes(encoded)
    return size, DICT, finish


def _sample(values):
    """About _SAMPLE_ROWS of the values (a list or an array): _SAMPLE_RUNS evenly spaced runs
    of consecutive values, so that neighbours (deltas, repeats) stay neighbours."""
    run = _SAMPLE_ROWS // _SAMPLE_RUNS
    step = (len(values) - run) // (_SAMPLE_RUNS - 1)
    runs = [values[k * step:k * step + run] for k in range(_SAMPLE_RUNS)]
    return np.concatenate(runs) if isinstance(values, np.ndarray) else list(itertools.chain.from_iterable(runs))


def _as_text(column: List[bytes], depth: int) -> bytes:
    """LINES when no value holds a newline, else CHUNKS."""
    joined = b"\n".join(column)
    if joined.count(b"\n") == len(column) - 1:
        return bytes((LINES,)) + _bytes_field(joined)
    return _chunks(column)


def _as_ints(column: List[bytes], depth: int) -> Optional[bytes]:
    """INT, unless the values are not integers or have one width (SHAPE fuses those)."""
    if len(column[0]) <= _MAX_FUSED and _columns.fixed_width(column):
        return None
    ints = _parse_ints(column)
    return None if ints is None else _ints(*ints)


def _may_repeat(column: List[bytes]) -> bool:
    """False when a sample of a long column is nearly all distinct: no dictionary then."""
    if len(column) <= 8192:
        return True
    sample = column[::len(column) // 4096]
    return len(set(sample)) * 10 < len(sample) * 9


def _weighed_size(encoded: bytes) -> float:
    """Trial size, SHAPE a little heavier: it decodes several times slower than the others,
    so it must win by more than 3% (or 128 bytes)."""
    size = _trial_size(encoded)
    return size * 1.03 + 128 if encoded[0] == SHAPE else size


def _encode_dict(column: List[bytes], depth: int, max_values: Optional[int] = None) -> Optional[bytes]:
    """DICT, if the values repeat: at most max_values distinct (default: each twice on average)."""
    found = _dict_table(column, depth, len(column) // 2 if max_values is None else max_values)
    if found is None:
        return None
    out, ids = found
    _put_int_array(out, ids)
    return bytes(out)


def _dict_table(column: List[bytes], depth: int, max_values: int):
    """(the DICT encoding up to its ids, the id of each value), or None when the values
    do not repeat enough (more than max_values distinct)."""
    if depth >= _MAX_DEPTH or not _may_repeat(column):
        return None
    found = _columns.dictionary(column, max_values)
    if found is None:
        return None
    values, ids = found
    table = bytearray((DICT,))
    put_varint(table, len(values))
    table += _encode_column(values, depth + 1)
    return table, ids


def _encode_shape(column: List[bytes], depth: int) -> Optional[bytes]:
    """SHAPE encoding if the values share few skeletons around digit runs, else None.
    A value's skeleton is the value with each digit run replaced by one '0' (its other
    text holds no digit)."""
    if depth >= _MAX_DEPTH:
        return None
    found = _columns.skeletons(column, min(_MAX_SKELETONS, len(column) // 16 + 1))
    if found is None or not any(b"0" in skeleton for skeleton in found[0]):
        return None
    skeletons, ids = found
    out = bytearray((SHAPE,))
    put_varint(out, len(skeletons))
    if len(skeletons) > 1:
        _put_int_array(out, ids)
        members = _columns.group(column, ids, len(skeletons))
    else:
        members = [column]
    for skeleton, values in zip(skeletons, members):
        texts = skeleton.split(b"0")
        if len(texts) > _MAX_RUNS + 1 or sum(map(len, texts)) > _MAX_SKELETON:
            return None
        put_varint(out, len(texts))
        for text in texts:
            out += _bytes_field(text)
        if len(texts) == 1:
            continue
        if len(values[0]) <= _MAX_FUSED and _columns.fixed_width(values) and not texts[-1].endswith(b"\0"):
            out += b"\1" + _fused(values)
        elif skeleton != b"0" or (len(skeletons) > 1 and _columns.lengths(values).max() <= 18):   # else INT may not: recursion
            out.append(0)
            for runs in [values] if texts == [b"", b""] else _columns.digit_runs(values, len(texts) - 1):
                out += _encode_column(runs, depth + 1)
        else:
            return None     # bare numbers of varying width: INT, DICT or text do it
    return bytes(out)


_ENCODERS = {LINES: _as_text, CHUNKS: _as_text, INT: _as_ints, SHAPE: _encode_shape, DICT: _encode_dict}


def _chunks(column: List[bytes]) -> bytes:
    out = bytearray((CHUNKS,))
    _put_int_array(out, _columns.lengths(column))
    out += _bytes_field(b"".join(column))
    return bytes(out)


def _parse_ints(column: List[bytes]):
    """(base, values, pads) if every value is a decimal or lowercase-hex integer (fitting
    int64, spelt with at most _MAX_PAD leading zeros beyond its natural spelling, which are
    pads[i]), else None."""
    for base in (10, 16):
        parsed = _columns.parse_ints(column, base)
        if parsed is not None:
            return (base,) + parsed
    return None


def _ints(base: int, values: np.ndarray, pads: np.ndarray) -> bytes:
    out = bytearray((INT, base, int(pads.any())))
    _put_int_array(out, values)
    if pads.any():
        _put_int_array(out, pads)
    return bytes(out)


def _fused(values: List[bytes]) -> bytes:
    """Same-length values' digits as few integers: each digit run (cut into pieces of at most
    18 digits) is a number in [low, low + radix); consecutive pieces are fused in mixed radix,
    most significant first, while the product of radices fits in 62 bits.  A time of day
    'HH:MM:SS' thus becomes its second of the day (radices 24, 60, 60), which deltas well.

    Writes the run widths, each piece's low and radix, then one integer array per fusion.
    """
    out = bytearray()
    widths = [len(run) for run in _DIGITS.findall(values[0])]
    for width in widths:
        put_varint(out, width)
    matrix = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(len(values), len(values[0]))
    places = np.flatnonzero((matrix[0] >= 48) & (matrix[0] <= 57))
    pieces = []
    for places_of_piece in _pieces(places, widths):
        powers = 10 ** np.arange(len(places_of_piece) - 1, -1, -1, dtype=np.int64)
        numbers = (matrix[:, places_of_piece].astype(np.int64) - 48) @ powers
        low = int(numbers.min())
        radix = int(numbers.max()) - low + 1
        put_varint(out, low)
        put_varint(out, radix)
        pieces.append((numbers - low, radix))
    for group in _fusions([radix for _, radix in pieces]):
        fused = np.zeros(len(values), dtype=np.int64)
        for k in group:
            fused *= pieces[k][1]
            fused += pieces[k][0]
        _put_int_array(out, fused)
    return bytes(out)


def _pieces(places, widths: List[int]) -> list:
    """The digit places cut into runs, and runs longer than 18 digits into 18-digit pieces."""
    pieces, start = [], 0
    for width in widths:
        for cut in range(0, width, _FUSED_DIGITS):
            pieces.append(places[start + cut:start + min(width, cut + _FUSED_DIGITS)])
        start += width
    return pieces


def _fusions(radices: List[int]) -> List[List[int]]:
    """Indices of the pieces fused together: consecutive, product of radices below 2**62."""
    groups, product = [], 1 << 62
    for k, radix in enumerate(radices):
        if product * radix >= 1 << 62:
            groups.append([])
            product = 1
        groups[-1].append(k)
        product *= radix
    return groups


def _put_int_array(out: bytearray, values: np.ndarray) -> None:
    """Write int64 values as unsigned numbers after a transform, the one that compresses
    smaller (on a sample of many values): flags byte 0 = frame of reference (offsets from the
    minimum), 1 = delta (zigzagged differences from the first value).  Then the base (minimum
    or first value, zigzag varint) and the numbers (see _put_unsigned).
    """
    if not len(values):
        out += b"\x00\x00\x01"
    elif len(values) == 1:
        out += _transformed(values, 0)[0]
    elif len(values) > _SAMPLE_ABOVE:
        out += _transformed(values, _best_transform(_sample(values))[0])[0]
    else:
        out += _best_transform(values)


def _best_transform(values: np.ndarray) -> bytes:
    """The values transformed both ways, whichever compresses smaller; ties (in small arrays)
    go to the smaller numbers."""
    (offset, offsets), (delta, deltas) = _transformed(values, 0), _transformed(values, 1)
    offset_size, delta_size = _trial_size(offset), _trial_size(delta)
    if offset_size == delta_size:
        offset_size, delta_size = (float(np.log2(numbers.astype(np.float64) + 1).sum()) for numbers in (offsets, deltas))
    return delta if delta_size < offset_size else offset


def _transformed(values: np.ndarray, flag: int):
    """(encoded, numbers): the values as flag, base and numbers, and the numbers; those are
    offsets from the minimum (flag 0) or zigzagged differences from the first value (1)."""
    if flag:
        base, numbers = values[0], _zigzag(np.diff(values, prepend=values[:1]))
    else:
        low = values.argmin()
        base, numbers = values[low], values.view(np.uint64) - values[low:low + 1].view(np.uint64)
    encoded = bytearray((flag,))
    base = int(base)
    put_varint(encoded, (base << 1) ^ (base >> 63))     # zigzag
    _put_unsigned(encoded, numbers, ranked=True)
    return bytes(encoded), numbers


def _put_unsigned(out: bytearray, numbers: np.ndarray, ranked: bool) -> None:
    """Write uint64 numbers as byte planes (all lowest bytes first), after a width byte
    (1..8): that compresses better than whole numbers or varints on counters and random values
    alike.  Or, width byte 0, ranked: the distinct numbers from the most frequent down, then
    each number's rank, when that compresses smaller (a skewed set of time steps, say).

    Many numbers are compared on a sample: its planes against its ranks plus the sample's
    share of the distinct numbers."""
    width = _width(int(numbers.max()))
    if ranked and len(numbers) >= _RANK_MIN and width > 1 and _few_distinct(numbers):
        distinct, counts = _distinct(numbers)
        if len(distinct) * 4 <= len(numbers):
            order = np.argsort(-counts, kind="stable")
            rank_of = np.empty(len(order), dtype=np.uint64)
            rank_of[order] = np.arange(len(order), dtype=np.uint64)
            table = bytearray(b"\0")
            put_varint(table, len(distinct))
            _put_unsigned(table, distinct[order], ranked=False)
            sample = _sample(numbers) if len(numbers) > _SAMPLE_ABOVE else numbers
            ranks = bytearray()
            _put_unsigned(ranks, rank_of[np.searchsorted(distinct, sample)], ranked=False)
            if len(sample) < len(numbers):
                ranked_size = _trial_size(table) * len(sample) / len(numbers) + _trial_size(ranks)
            else:
                ranked_size = _trial_size(table + ranks)
            if ranked_size < _trial_size(_planes(sample, width)):
                if len(sample) < len(numbers):
                    ranks = bytearray()
                    _put_unsigned(ranks, rank_of[np.searchsorted(distinct, numbers)], ranked=False)
                out += table + ranks
                return
    out += _planes(numbers, width)


def _planes(numbers: np.ndarray, width: int) -> bytes:
    return bytes((width,)) + numbers.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :width].T.tobytes()


def _few_distinct(numbers: np.ndarray) -> bool:
    """Whether a sample of the numbers repeats enough to make ranking them worth a try."""
    sample = numbers[::max(1, len(numbers) // 4096)]
    return len(_distinct(sample)[0]) * 2 <= len(sample)


def _distinct(numbers: np.ndarray):
    """(distinct numbers in order, how often each occurs): np.unique, which would import
    numpy.ma on first use (a garbage collection of the caller's big heap, 0.1 s and more)."""
    ordered = np.sort(numbers)
    starts = np.flatnonzero(np.diff(ordered, prepend=ordered[:1] + 1) != 0) if len(ordered) else ordered[:0]
    return ordered[starts], np.diff(starts, append=len(ordered))


def _trial_size(encoded: bytes) -> int:
    """How small zstd (at a fast level) gets encoded bytes; their length when they are few."""
    if len(encoded) < _SMALL:
        return len(encoded)
    return len(zstd_compressor(_TRIAL_LEVEL).compress(encoded))


def compress_stream(data: bytes, level: int) -> bytes:
    """``data`` as one zstd frame at :func:`stream_level`."""
    return zstd_compressor(stream_level(data, level)).compress(data)


def stream_level(data: bytes, level: int) -> int:
    """``level``, or the trial level when a sample says that ``level`` saves less than 3% over
    it: random words, digits or tokens, where zstd -19 runs at 1-5 MB/s (on the streams of
    logs, 5-10 MB/s) to gain a few tenths of a percent. Only a sample that the trial level
    shrinks less than 3x is probed at ``level`` (the streams of logs shrink 6-20x: the probe
    would cost them 3% of their time for nothing)."""
    if level > _TRIAL_LEVEL and len(data) > 4 * _LEVEL_SAMPLE_RUNS * _LEVEL_SAMPLE_RUN:
        step = len(data) // _LEVEL_SAMPLE_RUNS
        sample = b"".join(data[k * step:k * step + _LEVEL_SAMPLE_RUN] for k in range(_LEVEL_SAMPLE_RUNS))
        trial = _trial_size(sample)
        if (trial * _PROBE_RATIO > len(sample)
                and len(zstd_compressor(level).compress(sample)) > (1 - _MIN_LEVEL_GAIN) * trial):
            return _TRIAL_LEVEL
    return level


def zstd_compressor(level: int) -> zstandard.ZstdCompressor:
    """This thread's compressor at a level, made once: its context is reused."""
    compressors = getattr(_compressors, "by_level", None)
    if compressors is None:
        compressors = _compressors.by_level = {}
    if level not in compressors:
        compressors[level] = zstandard.ZstdCompressor(level=level)
    return compressors[level]


def _zigzag(values: np.ndarray) -> np.ndarray:
    return ((values << 1) ^ (values >> 63)).view(np.uint64)


def _width(top: int) -> int:
    """Bytes needed for numbers up to top."""
    return max(1, (top.bit_length() + 7) // 8)


def _bytes_field(data: bytes) -> bytes:
    out = bytearray()
    put_bytes(out, data)
    return bytes(out)


# -- decoding

class _Reader(VarintReader):
    __slots__ = ()

    def __init__(self, payload: bytes, pos: int = 0):
        super().__init__(payload, pos, "column table")

    def count(self, limit: int, what: str) -> int:
        n = self.varint()
        if n > limit:
            raise CorruptArchiveError(f"corrupt column table: {what} {n} exceeds {limit}")
        return n

    def int_array(self, count: int) -> np.ndarray:
        """Read what _put_int_array wrote (count numbers)."""
        use_delta = self.byte()
        if use_delta > 1:
            raise CorruptArchiveError("corrupt column table: bad integer array header")
        base = self.varint() & 0xFFFF_FFFF_FFFF_FFFF
        return _strings.integers(self.unsigned(count, ranked=True), base, use_delta)

    def unsigned(self, count: int, ranked: bool) -> np.ndarray:
        """Read what _put_unsigned wrote (count numbers), as uint64."""
        width = self.byte()
        if width == 0 and ranked:
            n_distinct = self.count(count, "distinct number count")
            distinct = self.unsigned(n_distinct, ranked=False)
            ranks = self.unsigned(count, ranked=False)
            try:
                return _strings.pick(distinct, ranks)
            except ValueError:
                raise CorruptArchiveError("corrupt column table: rank out of range") from None
        if not 1 <= width <= 8:
            raise CorruptArchiveError("corrupt column table: bad integer width")
        return _strings.planes(self.view(count * width), count, width)

    def ids(self, count: int, n_values: int) -> np.ndarray:
        ids = self.int_array(count)
        if count and (ids.min() < 0 or ids.max() >= n_values):
            raise CorruptArchiveError("corrupt column table: id out of range")
        return ids


def _decode_column(reader: _Reader, rows: int, depth: int, grouping: Optional["_Grouping"] = None,
                   earlier: Optional[List[ByteColumn]] = None) -> ByteColumn:
    """One column, by its kind byte (see _DECODERS); a GROUPED one (only at a table's top
    level) put back in row order, a CONDITIONED one (there too) given the ``earlier``
    columns of its table."""
    if depth > _MAX_DEPTH:
        raise CorruptArchiveError("corrupt column table: nested too deeply")
    kind = reader.byte()
    if kind == GROUPED and grouping is not None:
        return grouping.ungroup(_decode_column(reader, rows, depth))
    if kind == CONDITIONED and earlier is not None:
        return conditioned.decode(reader, rows, depth, earlier)
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise CorruptArchiveError(f"corrupt column table: unknown column kind {kind}")
    return decoder(reader, rows, depth)


class _Grouping:
    """Undoes GROUPED: the key order of a table's rows, found when a column first needs it."""

    __slots__ = ("key", "rows", "_rank")

    def __init__(self, key: Optional[np.ndarray], rows: int):
        self.key, self.rows, self._rank = key, rows, None

    def ungroup(self, grouped: ByteColumn) -> ByteColumn:
        """Row r of the table is row ``rank[r]`` of the grouped column: a code per row."""
        if self._rank is None:
            if self.key is None:
                raise CorruptArchiveError("corrupt column table: a grouped column without its key")
            if len(self.key) != self.rows:
                raise CorruptArchiveError("corrupt column table: the key disagrees with the rows")
            order = np.argsort(np.asarray(self.key), kind="stable")
            self._rank = np.empty(self.rows, dtype=np.int64)
            self._rank[order] = np.arange(self.rows, dtype=np.int64)
        codes = grouped.codes_or_rows()[self._rank]
        return ByteColumn(grouped.data, grouped.offsets, codes)


def _decode_const(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    return ByteColumn.constant(reader.bytes(), rows)


def _decode_dict(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    n_values = reader.count(rows, "dictionary size")
    values = _decode_column(reader, n_values, depth + 1)
    ids = reader.ids(rows, n_values)
    return ByteColumn(values.data, values.offsets, ids if values.codes is None else values.codes[ids])


def _decode_lines(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    try:
        return ByteColumn(*_strings.lines(reader.bytes(), rows))
    except ValueError:
        raise CorruptArchiveError("corrupt column table: line count mismatch") from None


def _decode_chunks(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    lengths = reader.int_array(rows)
    data = reader.bytes()
    if (rows and lengths.min() < 0) or int(lengths.sum()) != len(data):
        raise CorruptArchiveError("corrupt column table: chunk lengths mismatch")
    return ByteColumn(data, np.concatenate((_ZERO, np.cumsum(lengths))))


def _decode_ints(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    base, has_pads = reader.byte(), reader.byte()
    if base not in (10, 16) or has_pads > 1:
        raise CorruptArchiveError("corrupt column table: bad integer column header")
    values = reader.int_array(rows)
    if base == 16 and rows and values.min() < 0:
        raise CorruptArchiveError("corrupt column table: negative hex value")
    pads = reader.int_array(rows) if has_pads else _NO_PADS
    if has_pads and rows and (pads.min() < 0 or pads.max() > _MAX_PAD):
        raise CorruptArchiveError("corrupt column table: bad integer padding")
    return ByteColumn(*_strings.spell(values, pads, base))


def _decode_shape(reader: _Reader, rows: int, depth: int) -> ByteColumn:
    n_skeletons = reader.count(min(_MAX_SKELETONS, max(rows, 1)), "skeleton count")
    ids = reader.ids(rows, n_skeletons) if n_skeletons > 1 else None
    counts = np.bincount(ids, minlength=n_skeletons).tolist() if ids is not None else [rows]
    rendered = []
    for count in counts:
        texts = [reader.bytes() for _ in range(reader.count(len(reader.payload), "skeleton length"))]
        if not texts:
            raise CorruptArchiveError("corrupt column table: empty skeleton")
        _check_size(count * sum(map(len, texts)))
        if len(texts) == 1:
            rendered.append(ByteColumn.constant(texts[0], count))
        elif reader.byte():
            rendered.append(_decode_fused(reader, texts, count))
        else:
            runs = [_decode_column(reader, count, depth + 1) for _ in range(len(texts) - 1)]
            rendered.append(runs[0] if texts == [b"", b""] else fill(texts, runs, count))
    return rendered[0] if ids is None else scatter(rendered, ids)


def _decode_fused(reader: _Reader, texts: List[bytes], count: int) -> ByteColumn:
    """Same-length values from their fused digits (see _fused): one matrix, filled in place."""
    widths = [reader.count(1 << 16, "digit run width") for _ in range(len(texts) - 1)]
    if min(widths) == 0 or sum(widths) > 9 * len(reader.payload):
        raise CorruptArchiveError("corrupt column table: bad fused skeleton")
    _check_size(count * (sum(widths) + sum(map(len, texts))))
    row = bytearray()
    places = []
    for text, width in zip(texts, widths + [0]):
        row += text
        places.extend(range(len(row), len(row) + width))
        row += b"0" * width
    pieces = _pieces(places, widths)
    lows, radices = [], []
    for piece in pieces:
        low, radix = reader.varint(), reader.varint()
        if radix == 0 or low + radix > 10 ** len(piece):
            raise CorruptArchiveError("corrupt column table: bad fused digit range")
        lows.append(low)
        radices.append(radix)
    matrix = np.empty((count, len(row)), dtype=np.uint8)
    matrix[:] = np.frombuffer(bytes(row), dtype=np.uint8)
    for group in _fusions(radices):
        fused = reader.int_array(count)
        if count and (fused.min() < 0 or fused.max() >= np.prod([radices[k] for k in group], dtype=object)):
            raise CorruptArchiveError("corrupt column table: fused digits out of range")
        starts = np.cumsum([0] + [len(pieces[k]) for k in group], dtype=np.int64)
        _strings.fused_digits(matrix, fused, np.array([radices[k] for k in group], dtype=np.int64),
                              np.array([lows[k] for k in group], dtype=np.int64), starts,
                              np.array([place for k in group for place in pieces[k]], dtype=np.int64))
    return ByteColumn(matrix.reshape(-1), np.arange(count + 1, dtype=np.int64) * len(row))


_DECODERS = {CONST: _decode_const, INT: _decode_ints, SHAPE: _decode_shape, DICT: _decode_dict,
             LINES: _decode_lines, CHUNKS: _decode_chunks}


def _check_size(n_bytes: int) -> None:
    if n_bytes > MAX_DECODED_BYTES:
        raise CorruptArchiveError(f"corrupt column table: would decode to {n_bytes} bytes")


def _unlzma(stream: bytes, size: int) -> bytes:
    """Decompress a raw LZMA2 stream that must give exactly `size` bytes, never allocating more."""
    if size > MAX_DECODED_BYTES:
        raise CorruptArchiveError("corrupt column table: size mismatch")
    decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_lzma_filters(_LZMA_DICT))
    try:
        payload = decoder.decompress(stream, max_length=size + 1)
    except lzma.LZMAError as error:
        raise CorruptArchiveError(f"corrupt column table: {error}") from None
    if len(payload) != size or not decoder.eof or decoder.unused_data:
        raise CorruptArchiveError("corrupt column table: size mismatch")
    return payload


def _decompress(frame: bytes, size: int) -> bytes:
    """Decompress a zstd frame that must give exactly `size` bytes, never allocating more."""
    chunks, total = [], 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(frame) as stream:
            while total <= size:
                chunk = stream.read(min(size + 1 - total, 1 << 22))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except zstandard.ZstdError as error:
        raise CorruptArchiveError(f"corrupt column table: {error}") from None
    payload = b"".join(chunks)
    if len(payload) != size:
        raise CorruptArchiveError("corrupt column table: size mismatch")
    return payload

