"""Searching one block: count and locate a pattern, carrying the automaton's state in and out.

A block is searched with the state the previous block left (the text read so far ends
with the pattern's first k bytes), and leaves its own, so a match across a block
boundary is found like any other. :class:`StreamBlock` searches a structured block in its
streams (see :mod:`logzip.search.layout`); :class:`TextBlock` the decoded text of a block
stored whole through a general coder (zstd, LZMA, bzip2), or of a layout the streams cannot follow.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._scan import Automaton, match_ends, scan_coded, scan_column, scan_pairs, scan_static, scan_text
from ..codec.summary import byte_pairs
from .layout import BlockLayout, CodedColumn, Group, Segment

_NONE = np.zeros(0, dtype=np.int64)


@dataclass
class Scan:
    """What one pattern does in one block: its matches, the state after the block, and with
    ``hits`` the matches per line; the state after each line."""

    count: int
    end_state: int
    line_hits: Optional[np.ndarray] = None
    line_ends: Optional[np.ndarray] = None


class TextBlock:
    """A block searched in its decoded text."""

    def __init__(self, text: bytes):
        self.text = text
        newlines = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)
        self.n_lines = len(newlines) + (1 if text and text[-1:] != b"\n" else 0)
        self._starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
        if self._starts[-1] != len(text):
            self._starts = np.append(self._starts, len(text))

    def count(self, automaton: Automaton, carry: int):
        return scan_text(self.text, carry, automaton)

    def locate(self, automaton: Automaton, carry: int, limit: Optional[int] = None):
        """Block offsets where the matches start (negative: in an earlier block), the first
        ``limit`` ones, and the state after the block."""
        ends, state = match_ends(self.text, carry, automaton)
        return ends[:limit] - (automaton.m - 1), state

    def line_starts(self) -> np.ndarray:
        return self._starts

    def line(self, j: int) -> bytes:
        return self.text[self._starts[j]:self._starts[j + 1]]

    def lines(self, js):
        """:meth:`BlockLayout.lines` for the decoded text."""
        js = np.asarray(js, dtype=np.int64)
        text = b"".join(self.text[a:b] for a, b in zip(self._starts[js].tolist(), self._starts[js + 1].tolist()))
        offsets = np.concatenate(([0], np.cumsum(self._starts[js + 1] - self._starts[js])))
        return text, offsets

    @property
    def nbytes(self) -> int:
        return len(self.text)


class StreamBlock:
    """A structured block searched in its streams."""

    def __init__(self, layout: BlockLayout):
        self.layout = layout
        self.n_lines = layout.n_lines
        self._starts = None

    @property
    def nbytes(self) -> int:
        return self.layout.nbytes

    def count(self, automaton: Automaton, carry: int):
        scan = self.scan(automaton, carry, hits=False)
        return scan.count, scan.end_state

    def locate(self, automaton: Automaton, carry: int, limit: Optional[int] = None):
        """:meth:`TextBlock.locate`: the lines with matches are rendered, and only those."""
        scan = self.scan(automaton, carry, hits=True)
        lines = np.flatnonzero(scan.line_hits)
        if limit is not None:
            lines = lines[:np.searchsorted(np.cumsum(scan.line_hits[lines]), limit) + 1]
        starts, found = self.line_starts(), [_NONE]
        text, offsets = self.layout.lines(lines)
        for k, j in enumerate(lines.tolist()):
            start = carry if j == 0 else int(scan.line_ends[j - 1])
            ends, _ = match_ends(text[offsets[k]:offsets[k + 1]], start, automaton)
            found.append(ends + (starts[j] - (automaton.m - 1)))
        return np.concatenate(found)[:limit], scan.end_state

    def line_starts(self) -> np.ndarray:
        if self._starts is None:
            self._starts = np.concatenate(([0], np.cumsum(self.layout.line_lengths())))
        return self._starts

    def line(self, j: int) -> bytes:
        return self.layout.line(j)

    def lines(self, js):
        return self.layout.lines(js)

    # -------------------------------------------------------------- the scan

    def scan(self, automaton: Automaton, carry: int, hits: bool) -> Scan:
        """Every line read from state 0 first, piece by piece over all rows at once. Then, in
        rounds, the lines that follow a line ending in a non-zero state (possible only when the
        pattern holds a line feed, or after ``carry``) are read again from their true state, in
        step with the state they were counted from, until the two meet (:func:`scan_pairs`)."""
        layout = self.layout
        n = layout.n_lines
        line_hits = np.zeros(n, dtype=np.int32) if hits else None
        total, lines, states = _scan_lines(layout, _Fresh(automaton, layout), _NONE, _NONE, line_hits)
        line_ends = np.zeros(n, dtype=np.int32)
        line_ends[lines] = states
        # Line j + 1 was counted from state 0, and its true state is where line j ended.
        follows = lines + 1 < n
        rows = lines[follows] + 1
        pairs = np.stack((states[follows], np.zeros(len(rows), dtype=np.int32)), axis=1)
        if carry:
            rows = np.concatenate(([0], rows))
            pairs = np.concatenate(([[carry, 0]], pairs)).astype(np.int32)
        feeder = _Pairs(automaton)
        while len(rows):
            change, lines, pairs = _scan_lines(layout, feeder, rows, pairs, line_hits)
            total += change
            line_ends[lines] = pairs[:, 0]
            follows = lines + 1 < n
            rows, pairs = lines[follows] + 1, pairs[follows]
        return Scan(total, int(line_ends[n - 1]) if n else 0, line_hits, line_ends)


class _Fresh:
    """Feeds pieces to rows that all start in state 0 but ``act``: matches are found anywhere.

    What cannot change a thing is skipped: a piece without the pattern's first byte when no row
    is inside a match attempt, and, for a pattern without a line feed (whose matches lie within
    a line), the lines of a template whose bytes, with the header's and the terminators', do
    not hold every byte of the pattern, or whose byte pairs (:meth:`BlockLayout.pair_maps`) do
    not hold every pair of it.
    """

    def __init__(self, automaton: Automaton, layout: BlockLayout):
        self.automaton = automaton
        self.first_bit = 1 << automaton.first
        self.needed = automaton.byte_mask
        self.within_lines = not automaton.has_newline
        self.frame = layout.frame_flags
        # A last line without terminator hands its state on to the next block: never skipped.
        self.open_segment = layout.last_segment() if layout.n_terminated < layout.n_lines else None
        self.layout = layout
        self.pairs = byte_pairs(automaton.pattern) if automaton.m > 1 else None

    def skips_piece(self, flags: int, act) -> bool:
        return not len(act) and not flags & self.first_bit

    def skips_template(self, group: Group, number: int, rows) -> bool:
        segment = group.segments[number]
        if not self.within_lines or len(rows) or segment is self.open_segment:
            return False
        if self.needed & ~(segment.flags | self.frame):
            return True
        return self.pairs is not None and not self._has_pairs(group, number)

    def _has_pairs(self, group: Group, number: int) -> bool:
        packed = self.layout.pair_maps(group)[number]
        return bool(((packed[self.pairs >> 3] >> (self.pairs & 7)) & 1).all())

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.int32)

    def empty(self) -> np.ndarray:
        return np.zeros(0, dtype=np.int32)

    def feed(self, piece, states, act, hits):
        if isinstance(piece, bytes):
            return scan_static(piece, states, act, self.automaton, hits)
        if isinstance(piece, CodedColumn):
            values = piece.dictionary
            return scan_coded(values.values, values.offsets, piece.codes, states, act, self.automaton, hits)
        counts = piece.byte_counts
        automaton = self.automaton
        return scan_column(piece.values, piece.offsets, states, act, automaton, hits,
                           automaton.m > 1 and counts[automaton.second] < counts[automaton.first])


class _Pairs:
    """Feeds pieces to the rows of ``act`` only, each in a pair of states (true, counted):
    the count changes by what the true state finds that the counted one did not."""

    def __init__(self, automaton: Automaton):
        self.automaton = automaton

    def skips_piece(self, flags: int, act) -> bool:
        return not len(act)

    def skips_template(self, group: Group, number: int, rows) -> bool:
        return not len(rows)

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros((n, 2), dtype=np.int32)

    def empty(self) -> np.ndarray:
        return np.zeros((0, 2), dtype=np.int32)

    def feed(self, piece, states, act, hits):
        if not len(act):
            return 0, act
        if isinstance(piece, bytes):
            return scan_pairs(piece, None, None, states, act, self.automaton, hits)
        if isinstance(piece, CodedColumn):
            values = piece.dictionary
            return scan_pairs(values.values, values.offsets, piece.codes, states, act, self.automaton, hits)
        return scan_pairs(piece.values, piece.offsets, None, states, act, self.automaton, hits)


def _scan_lines(layout: BlockLayout, feeder, lines, states, line_hits):
    """Feed every piece of the block's lines to ``feeder``; ``lines`` (sorted) enter in ``states``.
    Returns the count and the lines left in a non-zero state (or pair) after their terminator."""
    fit_lines, misfit_lines = layout.fit_lines, layout.misfit_lines
    fit_hits = line_hits[fit_lines] if line_hits is not None else None
    misfit_hits = line_hits[misfit_lines] if line_hits is not None else None
    fit_rows = layout.fit_rank[lines]
    fits = fit_rows >= 0
    total, rows, row_states = _scan_rows(layout.head, feeder, fit_rows[fits], states[fits], fit_hits)
    found, rows, row_states = _scan_group(layout.contents, feeder, rows, row_states, fit_hits)
    total += found
    found, rows, row_states = _scan_rows(layout.tail, feeder, rows, row_states, fit_hits)
    total += found
    found, misfit_rows, misfit_states = _scan_group(layout.misfits, feeder, layout.misfit_rank[lines[~fits]],
                                                   states[~fits], misfit_hits)
    total += found
    if line_hits is not None:
        line_hits[fit_lines] = fit_hits
        line_hits[misfit_lines] = misfit_hits
    lines = np.concatenate((fit_lines[rows], misfit_lines[misfit_rows]))
    order = np.argsort(lines, kind="stable")
    lines, states = lines[order], np.concatenate((row_states, misfit_states))[order]
    found, lines, states = _scan_terminators(layout, feeder, lines, states, line_hits)
    return total + found, lines, states


def _scan_rows(segment: Segment, feeder, rows, states, hits):
    """Feed a segment's pieces to its rows; ``rows`` (sorted) enter in ``states``, the others in
    state 0. Returns the count, and the rows left in a non-zero state with their states."""
    if not segment.pieces:
        return 0, rows, states
    st = None
    act, total = np.asarray(rows, dtype=np.int64), 0
    for piece, flags in zip(segment.pieces, segment.piece_flags):
        if feeder.skips_piece(flags, act):
            continue
        if st is None:
            st = feeder.zeros(segment.n_rows)
            st[rows] = states
        found, act = feeder.feed(piece, st, act, hits)
        total += found
    return total, act, (st[act] if st is not None else states)


def _scan_group(group: Group, feeder, rows, states, hits):
    """:func:`_scan_rows` over a group: each of its rows through its own segment."""
    total, out_rows, out_states = 0, [], []
    # The entering rows by segment, each part still in row order (a stable radix sort).
    entering = group.segment_of[rows].astype(group.code_type)
    order = np.argsort(entering, kind="stable")
    bounds = np.searchsorted(entering[order], np.arange(len(group.segments) + 1))
    rows, states = rows[order], states[order]
    for number, segment in enumerate(group.segments):
        mine = slice(bounds[number], bounds[number + 1])
        if not segment.n_rows or feeder.skips_template(group, number, rows[mine]):
            continue
        local_hits = np.zeros(segment.n_rows, dtype=np.int32) if hits is not None else None
        found, act, act_states = _scan_rows(segment, feeder, group.rank[rows[mine]], states[mine], local_hits)
        total += found
        members = group.rows_of(number)
        if local_hits is not None:
            hit_rows = np.flatnonzero(local_hits)
            hits[members[hit_rows]] += local_hits[hit_rows]
        if len(act):
            out_rows.append(members[act])
            out_states.append(act_states)
    if not out_rows:
        return total, _NONE, feeder.empty()
    rows, states = np.concatenate(out_rows), np.concatenate(out_states)
    order = np.argsort(rows, kind="stable")
    return total, rows[order], states[order]


def _scan_terminators(layout: BlockLayout, feeder, lines, states, line_hits):
    """Feed each terminated line its terminator; the unterminated last line passes as it is."""
    n = layout.n_terminated
    inside = lines < n
    st = feeder.zeros(n)
    st[lines[inside]] = states[inside]
    hits = line_hits[:n] if line_hits is not None else None
    found, act = feeder.feed(layout.terminator, st, lines[inside], hits)
    return found, np.concatenate((act, lines[~inside])), np.concatenate((st[act], states[~inside]))
