"""A block's lines as pieces, read from its streams without rendering the text.

A line of a structured block is the concatenation of *pieces*::

    fitting line  = header before the content | content | header after it | terminator
    content       = its template's literal text and slot values, or an unmatched string
    misfit line   = its template's pieces (misfit templates are whole lines) | terminator

A piece is literal ``bytes`` (the same in every row: template text, header
punctuation, a column whose values are all alike), a :class:`CodedColumn` (a column of
few distinct values: a dictionary and a code a row) or a :class:`Column` (one value a
row, laid end to end). Rows that share their pieces form a :class:`Segment`: the header of every fitting
line is one segment, each template's lines another. Search feeds these pieces to an
automaton (:mod:`logzip.search._scan`), so a pattern is matched against the template
text once, against each column's values where they are, and across pieces, lines and
blocks exactly as in the text, while the text itself is never built.
"""
from dataclasses import dataclass
from functools import cached_property
from typing import List, Optional, Tuple, Union

import numpy as np

from ..codec.block import StoredBlock, _header_from_spec
from ..codec.columns import decode_tables_columns
from ..codec.header import CONTENT
from ..codec.lines import ALL_CRLF, MIXED
from ..codec.strings import ByteColumn
from ..codec._summary import byte_counts, byte_mask
from ..codec.summary import pair_bits
from ..errors import CorruptArchiveError, FormatError
from ._render import join_spans, line_maps, span_codes, span_hashes
from ._scan import chunk_gram_bits, gram_bits

CHUNK_LOG = 14   # large columns are mapped by chunks of 2 ** CHUNK_LOG bytes (chunk_grams)


@dataclass
class Column:
    """Row i's value is ``values[offsets[i]:offsets[i + 1]]``."""

    values: bytes
    offsets: np.ndarray  # int64, n_rows + 1, from 0

    def __getitem__(self, row: int) -> bytes:
        return self.values[self.offsets[row]:self.offsets[row + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        return len(self.values) + self.offsets.nbytes

    @cached_property
    def byte_counts(self) -> list:
        """How often each byte value occurs in the column."""
        return byte_counts(self.values)

    @cached_property
    def flags(self) -> int:
        """The byte values that occur in the column, as a 256-bit mask."""
        return byte_mask(self.values)

    @cached_property
    def empty_rows(self) -> np.ndarray:
        """Whether each row's value is empty."""
        return self.offsets[1:] == self.offsets[:-1]

    @cached_property
    def first_bytes(self) -> np.ndarray:
        """Each row's first byte (0 for an empty value)."""
        first = np.zeros(len(self.offsets) - 1, dtype=np.uint8)
        held = ~self.empty_rows
        first[held] = np.frombuffer(self.values, dtype=np.uint8)[self.offsets[:-1][held]]
        return first

    @cached_property
    def lead_mask(self) -> Optional[int]:
        """The rows' first bytes as a 256-bit mask; None when a value is empty (a state crosses it)."""
        if self.empty_rows.any():
            return None
        return _mask(np.bincount(self.first_bytes, minlength=256))

    @cached_property
    def chunk_grams(self) -> np.ndarray:
        """The 4-grams of each CHUNK_BYTES-byte chunk of the buffer (:func:`chunk_gram_bits`, one
        bit a byte): a pattern is looked for only in the chunks that hold its 4-grams."""
        return chunk_gram_bits(self.values, CHUNK_LOG, CHUNK_LOG)

    @cached_property
    def last_bytes(self) -> np.ndarray:
        """Whether some row's value ends with each byte value (uint8, 256)."""
        ends = self.offsets[1:][~self.empty_rows] - 1
        return (np.bincount(np.frombuffer(self.values, dtype=np.uint8)[ends], minlength=256) > 0).astype(np.uint8)

    @cached_property
    def pairs(self) -> np.ndarray:
        """The byte pairs of the buffer (:func:`pair_bits`; pairs across values too)."""
        return pair_bits(self.values)

    @cached_property
    def grams(self) -> np.ndarray:
        """The 4-byte substrings of the buffer (:func:`gram_bits`), in a map of about half as
        many bits as the buffer has bytes (an eighth of its size; from 8 KB to 2 MB): most
        patterns found elsewhere in a log have a 4-gram that a large column lacks."""
        return gram_bits(self.values, min(max(len(self.values).bit_length() - 1, 16), 24))


@dataclass
class CodedColumn:
    """A column of few distinct values: row i's value is ``dictionary[codes[i]]``."""

    dictionary: Column
    codes: np.ndarray  # int32

    @classmethod
    def of(cls, values: bytes, offsets: np.ndarray) -> "CodedColumn":
        """The column of row values ``values[offsets[i]:offsets[i + 1]]``, coded."""
        codes, firsts = span_codes(values, offsets)
        starts, ends = offsets[firsts], offsets[firsts + 1]
        dictionary = np.zeros(len(firsts) + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=dictionary[1:])
        return cls(Column(join_spans([values], np.zeros(len(firsts), dtype=np.int64), starts, ends), dictionary), codes)

    def __getitem__(self, row: int) -> bytes:
        return self.dictionary[self.codes[row]]

    @cached_property
    def code_counts(self) -> np.ndarray:
        """How many rows hold each dictionary entry."""
        return np.bincount(self.codes, minlength=len(self.dictionary.offsets) - 1)

    @cached_property
    def rows_by_code(self) -> tuple:
        """The rows sorted by entry (int64), and where each entry's rows start in that order:
        the rows of a few entries found without reading every row."""
        n_values = len(self.dictionary.offsets) - 1
        keys = self.codes.astype(np.uint8 if n_values <= 1 << 8 else np.uint16 if n_values <= 1 << 16 else np.int32)
        starts = np.zeros(n_values + 1, dtype=np.int64)
        np.cumsum(self.code_counts, out=starts[1:])
        return np.argsort(keys, kind="stable").astype(np.int64), starts

    def lengths(self) -> np.ndarray:
        return self.dictionary.lengths()[self.codes]

    @property
    def nbytes(self) -> int:
        return self.dictionary.nbytes + self.codes.nbytes

    @property
    def flags(self) -> int:
        return self.dictionary.flags

    @property
    def lead_mask(self) -> Optional[int]:
        return self.dictionary.lead_mask


Piece = Union[bytes, Column, CodedColumn]


def _mask(counts) -> int:
    """The byte values of non-zero ``counts`` (one a byte value), as a 256-bit mask (bit b: byte b)."""
    return int.from_bytes(np.packbits(np.asarray(counts) > 0, bitorder="little").tobytes(), "little")


def piece_flags(piece: Piece) -> int:
    if isinstance(piece, bytes):
        return byte_mask(piece)
    return piece.flags


CODED_SAMPLE = 1024   # rows looked at to decide whether a column is coded
RENDERED_A_PIECE = 1 << 14  # a segment of at most this many text bytes a piece is searched rendered
CODED_RATIO = 0.25    # coded when at most this share of the sampled rows are distinct


def as_piece(column: ByteColumn) -> Piece:
    """How a column is searched best: its one value when every row holds the same (separators,
    constant fields), coded when a sample of its rows repeats (hosts, levels, states), else as
    it is: the codec's own dictionary kept, a plain column's buffer used as it is."""
    n, codes = len(column), column.codes
    if codes is not None:
        if n and (column.n_values == 1 or not (codes != codes[0]).any()):
            return _value(column, int(codes[0]))
        sample = codes[::max(1, n // CODED_SAMPLE)]
        if len(np.unique(sample)) <= CODED_RATIO * len(sample):
            return CodedColumn(_plain(column), codes.astype(np.int32))
        column = column.flat()
    values, offsets = _buffer(column), np.ascontiguousarray(column.offsets, dtype=np.int64)
    if n > CODED_SAMPLE:
        rows = np.arange(0, n, n // CODED_SAMPLE)
        sample = span_hashes(np.frombuffer(values, dtype=np.uint8), offsets[rows], offsets[rows + 1])
        if len(np.unique(sample)) > CODED_RATIO * len(sample):
            return Column(values, offsets)
    coded = CodedColumn.of(values, offsets)     # a small column is coded whole to count its values
    n_values = len(coded.dictionary.offsets) - 1
    if n_values == 1:
        return coded.dictionary[0]
    if n <= CODED_SAMPLE and n_values > CODED_RATIO * n:
        return Column(values, offsets)
    return coded


def _value(column: ByteColumn, k: int) -> bytes:
    return bytes(column.data[column.offsets[k]:column.offsets[k + 1]])


def _plain(column: ByteColumn) -> Column:
    """A column's values (not its rows: codes are ignored) as a searched Column."""
    return Column(_buffer(column), np.ascontiguousarray(column.offsets, dtype=np.int64))


def _buffer(column: ByteColumn) -> bytes:
    data = column.data
    return data if isinstance(data, bytes) else bytes(data)


@dataclass
class Segment:
    """Rows that are made of the same pieces."""

    pieces: List[Piece]
    n_rows: int

    def row(self, i: int) -> bytes:
        return b"".join(p if isinstance(p, bytes) else p[i] for p in self.pieces)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.pieces if not isinstance(p, bytes))

    @cached_property
    def piece_flags(self) -> List[int]:
        return [piece_flags(p) for p in self.pieces]

    @cached_property
    def flags(self) -> int:
        """The byte values that occur in the segment's rows."""
        mask = 0
        for flags in self.piece_flags:
            mask |= flags
        return mask

    def lengths(self) -> np.ndarray:
        total = np.zeros(self.n_rows, dtype=np.int64)
        for piece in self.pieces:
            total += len(piece) if isinstance(piece, bytes) else piece.lengths()
        return total

    @cached_property
    def searched(self) -> "Segment":
        """The segment as a scan reads it best: its rows rendered into one column when they are
        few against their pieces (a template of many slots and few lines), where each piece's
        read would cost more in call overhead than a scan of the rows' text; else itself."""
        if len(self.pieces) < 3 or self.lengths().sum() > RENDERED_A_PIECE * len(self.pieces):
            return self
        rows = np.arange(self.n_rows)
        spans = _Spans()
        spans.add_segment(self, rows, rows, 0)
        return Segment([Column(*spans.join(self.n_rows))], self.n_rows)


@dataclass
class Group:
    """Strings described by templates: ``segments[0]`` holds the unmatched strings, ``segments[1 + t]``
    template t's; row i of the group is row ``rank[i]`` of segment ``segment_of[i]`` (the rows of
    a segment in order)."""

    segments: List[Segment]
    segment_of: np.ndarray   # int64

    def row(self, i: int) -> bytes:
        return self.segments[self.segment_of[i]].row(self.rank[i])

    def lengths(self) -> np.ndarray:
        out = np.zeros(len(self.segment_of), dtype=np.int64)
        for number, segment in enumerate(self.segments):
            if segment.n_rows:
                out[self.rows_of(number)] = segment.lengths()
        return out

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.segments) + 3 * self.rank.nbytes

    @cached_property
    def row_counts(self) -> np.ndarray:
        return np.array([segment.n_rows for segment in self.segments], dtype=np.int64)

    @cached_property
    def flag_words(self) -> np.ndarray:
        """Each segment's :attr:`Segment.flags` as four 64-bit words."""
        words = [[(s.flags >> (64 * k)) & (2**64 - 1) for k in range(4)] for s in self.segments]
        return np.array(words, dtype=np.uint64).reshape(len(self.segments), 4)

    @cached_property
    def segment_leads(self) -> np.ndarray:
        """Each segment's first byte when its rows all begin with one static text, else -1 (int16)."""
        leads = np.full(len(self.segments), -1, dtype=np.int16)
        for number, segment in enumerate(self.segments):
            if segment.pieces and isinstance(segment.pieces[0], bytes) and segment.pieces[0]:
                leads[number] = segment.pieces[0][0]
        return leads

    @cached_property
    def entry_bytes(self) -> np.ndarray:
        """Each row's first byte in its segment, or -1 when its first piece is empty (int16): a
        row entering its segment in a state that this byte leads where it leads state 0 reads
        on as a row in state 0."""
        out = np.full(len(self.segment_of), -1, dtype=np.int16)
        for number, segment in enumerate(self.segments):
            if not segment.pieces or not segment.n_rows:
                continue
            first = segment.pieces[0]
            if isinstance(first, bytes):
                out[self.rows_of(number)] = first[0] if first else -1
                continue
            column = first.dictionary if isinstance(first, CodedColumn) else first
            firsts = np.where(column.empty_rows, -1, column.first_bytes.astype(np.int16))
            out[self.rows_of(number)] = firsts[first.codes] if isinstance(first, CodedColumn) else firsts
        return out

    def rows_of(self, number: int) -> np.ndarray:
        """The group rows of segment ``number``, in order."""
        return self._order[self._starts[number]:self._starts[number + 1]]

    def __post_init__(self):
        # Segment numbers in the narrowest type, so that sorting by them is a radix sort.
        self.code_type = np.uint16 if len(self.segments) <= 1 << 16 else np.int64
        self._order = np.argsort(self.segment_of.astype(self.code_type), kind="stable")
        counts = np.bincount(self.segment_of, minlength=len(self.segments))
        self._starts = np.concatenate(([0], np.cumsum(counts)))
        self.rank = np.empty(len(self._order), dtype=np.int64)
        self.rank[self._order] = np.arange(len(self._order)) - np.repeat(self._starts[:-1], counts)


@dataclass
class BlockLayout:
    """Every line of one structured block as pieces.

    ``fit_rank[j]`` is line j's row among the lines that fit the header (-1 for a misfit),
    ``misfit_rank[j]`` its row among the misfit lines. Without a header every line fits and
    the header segments have no pieces.
    """

    n_lines: int
    head: Segment            # header pieces before the content, one row a fitting line
    contents: Group
    tail: Segment            # header pieces after the content
    misfits: Group
    fit_lines: np.ndarray    # line number of each fitting row
    misfit_lines: np.ndarray
    terminator: Piece        # one row a terminated line
    n_terminated: int

    def line(self, j: int) -> bytes:
        """Line j of the block, with its terminator."""
        f = self.fit_rank[j]
        if f >= 0:
            text = self.head.row(f) + self.contents.row(f) + self.tail.row(f)
        else:
            text = self.misfits.row(self.misfit_rank[j])
        if j < self.n_terminated:
            text += self.terminator if isinstance(self.terminator, bytes) else self.terminator[j]
        return text

    def last_segment(self) -> Tuple[Group, int]:
        """The group and segment number that hold the block's last line."""
        last = self.n_lines - 1
        if self.fit_rank[last] >= 0:
            group, row = self.contents, self.fit_rank[last]
        else:
            group, row = self.misfits, self.misfit_rank[last]
        return group, int(group.segment_of[row])

    @cached_property
    def frame_flags(self) -> int:
        """The byte values of what surrounds a content: the header pieces and the terminators."""
        return self.head.flags | self.tail.flags | piece_flags(self.terminator)

    @property
    def nbytes(self) -> int:
        parts = (self.head, self.contents, self.tail, self.misfits)
        return sum(p.nbytes for p in parts) + 3 * 8 * self.n_lines

    def lines(self, js) -> Tuple[bytes, np.ndarray]:
        """Lines ``js`` (sorted), with their terminators, rendered together: their text, one after
        the other, and where each starts (len(js) + 1 offsets). The pieces of every line are
        listed as spans of their buffers, vectorised, then copied in one pass."""
        js = np.asarray(js, dtype=np.int64)
        spans = _Spans()
        fit_rows = self.fit_rank[js]
        fits = fit_rows >= 0
        at_fit, fit_rows = np.flatnonzero(fits), fit_rows[fits]
        spans.add_segment(self.head, at_fit, fit_rows, 0)
        spans.add_group(self.contents, at_fit, fit_rows, 1)
        spans.add_segment(self.tail, at_fit, fit_rows, 2)
        at_misfit = np.flatnonzero(~fits)
        spans.add_group(self.misfits, at_misfit, self.misfit_rank[js[~fits]], 1)
        ended = np.flatnonzero(js < self.n_terminated)
        spans.add(ended, 3 << 20, self.terminator, js[ended])
        return spans.join(len(js))

    def line_maps(self, group: Group) -> Tuple[np.ndarray, np.ndarray]:
        """For each segment of ``group`` (contents or misfits), the byte pairs and the 4-grams
        that its lines hold after the header, terminators included (what lies across lines
        left out): two arrays of one row of 8,192 bytes of packed bits a segment
        (:func:`line_maps`). A pattern without a line feed with a pair or a 4-gram that a
        template's row lacks has no match in its lines but where the header is in it: a match
        inside the header is found where the header is read, for every line, and one that
        begins there enters the template in a state that is not 0, which reads it whatever its
        maps. Made on first use, from the pieces, in one pass over what follows the headers."""
        key = id(group)
        if key not in self._line_maps:
            fitting = group is self.contents
            self._line_maps[key] = line_maps(
                [_spelled(s.pieces) for s in group.segments], _spelled(self.tail.pieces if fitting else []),
                _spelled([self.terminator])[0], group.segment_of, group.rank,
                self.fit_lines if fitting else self.misfit_lines, self.n_terminated)
        return self._line_maps[key]

    def line_lengths(self) -> np.ndarray:
        out = np.zeros(self.n_lines, dtype=np.int64)
        out[self.fit_lines] = self.head.lengths() + self.contents.lengths() + self.tail.lengths()
        out[self.misfit_lines] = self.misfits.lengths()
        ends = self.terminator
        out[:self.n_terminated] += len(ends) if isinstance(ends, bytes) else ends.lengths()
        return out

    def __post_init__(self):
        self._line_maps = {}
        self.fit_rank = np.full(self.n_lines, -1, dtype=np.int64)
        self.fit_rank[self.fit_lines] = np.arange(len(self.fit_lines))
        self.misfit_rank = np.full(self.n_lines, -1, dtype=np.int64)
        self.misfit_rank[self.misfit_lines] = np.arange(len(self.misfit_lines))


def block_layout(block: StoredBlock) -> Optional[BlockLayout]:
    """The layout of a structured block; None when its header format puts the content in
    an optional part (then the block is searched in its decoded text)."""
    contents, misfits = (_group(g) for g in block.groups)
    n_fit = block.groups[0].n_strings
    head, tail = Segment([], n_fit), Segment([], n_fit)
    if block.spec is not None:
        header = _header_from_spec(block.spec)
        try:
            pieces = header.pieces(block.header_columns())
        except FormatError:
            return None
        at = next(i for i, p in enumerate(pieces) if p is CONTENT)
        head = Segment(_pieces(pieces[:at]), n_fit)
        tail = Segment(_pieces(pieces[at + 1:]), n_fit)
    misfit_lines = block.misfit_rows
    fits = np.ones(block.n_lines, dtype=bool)
    fits[misfit_lines] = False
    terminator, n_terminated = _terminators(block.sections[1], block.n_lines)
    return BlockLayout(block.n_lines, head, contents, tail, misfits, np.flatnonzero(fits),
                       np.asarray(misfit_lines, dtype=np.int64), terminator, n_terminated)


def _pieces(items: list) -> List[Piece]:
    """Adjacent literals joined, empty ones dropped, columns made pieces."""
    out: List[Piece] = []
    for item in items:
        piece = as_piece(item) if isinstance(item, ByteColumn) else item
        if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += piece
        elif not isinstance(piece, bytes) or piece:
            out.append(piece)
    return out


def _group(stored) -> Group:
    ids = stored.group_ids.astype(np.int64)
    templates = stored.templates.templates
    counts = np.bincount(ids, minlength=len(templates) + 1).tolist()
    rows = [counts[0]] + [count if template.slots else 0 for template, count in zip(templates, counts[1:])]
    tables = decode_tables_columns(stored.sections[2], rows)
    if len(tables) != len(templates) + 1 or len(tables[0]) != 1:
        raise CorruptArchiveError("corrupt archive: parameter tables disagree with the templates")
    segments = [Segment([as_piece(tables[0][0])] if counts[0] else [], counts[0])]
    for template, columns, count in zip(templates, tables[1:], counts[1:]):
        if len(columns) != len(template.slots) or any(len(c) != count for c in columns):
            raise CorruptArchiveError("corrupt archive: a template's parameter count disagrees with its lines")
        segments.append(Segment(_template_pieces(template, iter(columns)), count))
    return Group(segments, ids)


def _template_pieces(template, columns) -> List[Piece]:
    items: list = []
    for k, token in enumerate(template.tokens):
        if k:
            items.append(template.separator)
        if isinstance(token, tuple):
            items += [token[0], next(columns), token[1]]
        else:
            items.append(token)
    return _pieces(items)


def _spelled(pieces: List[Piece]) -> List[tuple]:
    """Pieces as :func:`line_maps` reads them: (bytes,), (values, offsets) or
    (values, offsets, codes)."""
    out = []
    for piece in pieces:
        if isinstance(piece, bytes):
            out.append((piece,))
        elif isinstance(piece, CodedColumn):
            values = piece.dictionary
            out.append((values.values, np.ascontiguousarray(values.offsets), np.ascontiguousarray(piece.codes)))
        else:
            out.append((piece.values, np.ascontiguousarray(piece.offsets)))
    return out


def _terminators(endings: bytes, n_lines: int):
    """The terminator piece of the block's lines and how many lines have one."""
    if len(endings) < 2 or endings[0] > MIXED or endings[1] > 1:
        raise CorruptArchiveError("corrupt archive: bad line endings record")
    n_terminated = n_lines - endings[1]
    if n_terminated < 0:
        raise CorruptArchiveError("corrupt archive: line count disagrees with endings")
    if endings[0] != MIXED:
        return (b"\r\n" if endings[0] == ALL_CRLF else b"\n"), n_terminated
    bits = np.frombuffer(endings, dtype=np.uint8, offset=2)
    if len(bits) * 8 < n_terminated:
        raise CorruptArchiveError("corrupt archive: line endings bitmap is short")
    crlf = np.unpackbits(bits, count=n_terminated).astype(np.int64)
    offsets = np.zeros(n_terminated + 1, dtype=np.int64)
    np.cumsum(crlf + 1, out=offsets[1:])
    values = np.full(int(offsets[-1]), ord("\n"), dtype=np.uint8)
    values[offsets[:-1][crlf == 1]] = ord("\r")
    return Column(values.tobytes(), offsets), n_terminated


class _Spans:
    """The byte spans of many lines' pieces: which line, its place in the line, where it lies."""

    def __init__(self):
        self.buffers: List[bytes] = []
        self.parts = []   # (line positions, order keys, buffer numbers, starts, ends)

    def add(self, at: np.ndarray, key: int, piece: Piece, rows: np.ndarray) -> None:
        if not len(at):
            return
        if isinstance(piece, bytes):
            buffer, starts, ends = piece, np.zeros(len(at), dtype=np.int64), np.full(len(at), len(piece))
        else:
            column = piece.dictionary if isinstance(piece, CodedColumn) else piece
            index = piece.codes[rows] if isinstance(piece, CodedColumn) else rows
            buffer, starts, ends = column.values, column.offsets[index], column.offsets[index + 1]
        self.parts.append((at, np.full(len(at), key), np.full(len(at), len(self.buffers)), starts, ends))
        self.buffers.append(buffer)

    def add_segment(self, segment: Segment, at: np.ndarray, rows: np.ndarray, stage: int) -> None:
        for k, piece in enumerate(segment.pieces):
            self.add(at, (stage << 20) + k, piece, rows)

    def add_group(self, group: Group, at: np.ndarray, rows: np.ndarray, stage: int) -> None:
        numbers = group.segment_of[rows]
        for number in np.unique(numbers).tolist():
            mine = numbers == number
            self.add_segment(group.segments[number], at[mine], group.rank[rows[mine]], stage)

    def join(self, n_lines: int) -> Tuple[bytes, np.ndarray]:
        offsets = np.zeros(n_lines + 1, dtype=np.int64)
        if not self.parts:
            return b"", offsets
        at, key, which, starts, ends = (np.concatenate(column) for column in zip(*self.parts))
        order = np.lexsort((key, at))
        text = join_spans(self.buffers, which[order], starts[order].astype(np.int64), ends[order].astype(np.int64))
        np.cumsum(np.bincount(at, weights=ends - starts, minlength=n_lines).astype(np.int64), out=offsets[1:])
        return text, offsets