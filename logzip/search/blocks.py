"""Searching one block: count and locate a pattern, carrying the automaton's state in and out.

A block is searched with the state the previous block left (the text read so far ends
with the pattern's first k bytes), and leaves its own, so a match across a block
boundary is found like any other. :class:`StreamBlock` searches a structured block in its
streams (see :mod:`logzip.search.layout`); :class:`TextBlock` the decoded text of a block
stored whole through a general coder (zstd, LZMA, bzip2), or of a layout the streams cannot follow.
"""
import threading
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._scan import (Automaton, enter_column, entry_moves, gram_codes, match_ends, match_ends_in, rarest_byte,
                    scan_coded, scan_column, scan_pairs, scan_static, scan_text, shared_coded, step_rows,
                    viable_segments)
from ..codec.summary import byte_pairs
from .layout import CHUNK_LOG, BlockLayout, CodedColumn, Column, Group, Segment

_NONE = np.zeros(0, dtype=np.int64)
LINE_MAPS_AFTER = 2     # a block's line maps cost a pass over it: made at its third query
SHARED_ROWS = 1 << 12   # coded columns of this many rows may lead the rows in state 0 to one state
RENDER_LINES = 1 << 15  # lines with matches rendered at once by locate
REACH_BYTES = 1 << 16   # columns this large are looked up in their byte pairs before a scan
RARE_BYTE = 128         # a byte this rare in a large column is what its matches are found by
CHUNKED_BYTES = 1 << 20  # columns this large are searched only in the chunks that hold a pattern's 4-grams


class _StatePool:
    """Zeroed state arrays (int32, ``width`` states a row) reused from segment to segment and
    pattern to pattern: zeroing a 433K-row array for each segment a pattern reads cost more than
    most of those segments' scans. A user gives an array back naming the rows it may have left
    non-zero, and only those are cleared. One array a thread: segments are read one at a time."""

    def __init__(self, width: tuple):
        self.width = width
        self.local = threading.local()

    def take(self, n: int) -> np.ndarray:
        buffer = getattr(self.local, "buffer", None)
        if buffer is None or len(buffer) < n:
            buffer = self.local.buffer = np.zeros((max(n, 1 << 10),) + self.width, dtype=np.int32)
        return buffer[:n]

    @staticmethod
    def give_back(states: np.ndarray, rows) -> None:
        states[rows] = 0


_ONE_STATE, _TWO_STATES = _StatePool(()), _StatePool((2,))


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
        self._scans = 0

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
        found = [_NONE]
        for at in range(0, len(lines), RENDER_LINES):    # rendered a chunk at a time: bounded memory
            chunk = lines[at:at + RENDER_LINES]
            text, offsets = self.layout.lines(chunk)
            entering = np.where(chunk > 0, scan.line_ends[np.maximum(chunk - 1, 0)], carry).astype(np.int32)
            ends, parts, _ = match_ends_in(text, offsets, entering, automaton)
            found.append(ends - offsets[parts] + self.line_starts()[chunk[parts]] - (automaton.m - 1))
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
        self._scans += 1
        fresh = _Fresh(automaton, layout, with_maps=self._scans > LINE_MAPS_AFTER)
        total, lines, states = _scan_lines(layout, fresh, _NONE, _NONE, line_hits)
        line_ends = np.zeros(n, dtype=np.int32) if hits else None   # a count needs only the last
        end_state = _recorded(line_ends, lines, states, n, 0)
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
            end_state = _recorded(line_ends, lines, pairs[:, 0], n, end_state)
            follows = lines + 1 < n
            rows, pairs = lines[follows] + 1, pairs[follows]
        return Scan(total, end_state, line_hits, line_ends)


def _recorded(line_ends, lines, states, n: int, end_state: int) -> int:
    """Record the states the (sorted) ``lines`` end in, in ``line_ends`` if kept; the state
    the block's last line ends in (``end_state`` if it is not among them)."""
    if line_ends is not None:
        line_ends[lines] = states
    return int(states[-1]) if len(lines) and lines[-1] == n - 1 else end_state


class _Fresh:
    """Feeds pieces to rows that all start in state 0 but ``act``: matches are found anywhere.

    What cannot change a thing is skipped: a piece without the pattern's first byte when no row
    is inside a match attempt, and the lines of a template whose bytes, with the header's and
    the terminators', do not hold every byte of the pattern, or whose byte pairs and 4-grams
    (:meth:`BlockLayout.line_maps`) lack one of its own (from the block's third query on: the
    maps cost a pass over the block). For a pattern with a line feed, what its lines must hold
    is the part before its first line feed (and a carriage return): a line read from state 0
    matters only when it ends with that part.
    """

    def __init__(self, automaton: Automaton, layout: BlockLayout, with_maps: bool = True):
        self.automaton = automaton
        self.first_bit = 1 << automaton.first
        pattern = automaton.pattern
        line_part = pattern[:pattern.index(b"\n")] if automaton.has_newline else pattern
        line_part = line_part[:-1] if automaton.has_newline and line_part.endswith(b"\r") else line_part
        self.needed = _words(sum(1 << b for b in set(line_part)))
        self.frame = _words(layout.frame_flags)
        # A last line without terminator hands its state on to the next block: never skipped.
        self.open_segment = layout.last_segment() if layout.n_terminated < layout.n_lines else (None, -1)
        self.layout = layout
        self.with_maps = with_maps
        with_maps = with_maps and len(line_part) > 1
        self.pairs = byte_pairs(line_part) if with_maps else None
        self.grams = gram_codes(line_part, 16) if with_maps else None
        self._live = {}

    def skips_piece(self, flags: int, act) -> bool:
        return not len(act) and not flags & self.first_bit

    def shares(self, piece, n_rows: int, following) -> bool:
        """Whether to feed ``piece`` with :meth:`feed_shared` though the rows out of ``act`` are in
        state 0: a static piece that moves them, or a coded column of many rows with the pattern's
        first byte (its entries may all lead them to one state, as a separator does) unless what
        follows it (``following``, the segment's next pieces) resets the automaton (:meth:`feed`
        counts it by entry then)."""
        if isinstance(piece, bytes):
            return self.automaton.run(piece, 0) != (0, 0)
        return (isinstance(piece, CodedColumn) and n_rows >= SHARED_ROWS and bool(piece.flags & self.first_bit)
                and not self.resets(following))

    def feed_shared(self, piece, states, act, shared: int, following=()):
        """Feed a static or coded piece to ``act`` row by row, and to the others, all in state
        ``shared``, at once: what each distinct value does from ``shared`` is found once. Returns
        the count, ``act``, and the state the others share after the piece; when they no longer
        share one, those in a non-zero state join ``act`` (in row order) and 0 is returned."""
        automaton, n = self.automaton, len(states)
        if isinstance(piece, bytes):
            found = step_rows(piece, None, None, states, act, automaton)
            shared, inside = automaton.run(piece, shared)
            return found + inside * (n - len(act)), act, shared
        values = piece.dictionary
        found, act, shared = shared_coded(values.values, values.offsets, piece.codes, piece.code_counts, states,
                                          act, shared, automaton, self.live_after(following), *piece.rows_by_code)
        return found, act, max(shared, 0)

    def enter(self, column: Column, states, act, shared: int) -> np.ndarray:
        """The rows out of ``act``, all in state ``shared``, meet a plain column: those whose first
        byte leads from ``shared`` to state 0 read it as from state 0; the others (and those
        with an empty value) join ``act`` in state ``shared``. Returns the new ``act``."""
        return enter_column(column.first_bytes, column.empty_rows.view(np.uint8), states, act, shared,
                            self.automaton)

    def templates(self, group: Group, entering: np.ndarray) -> np.ndarray:
        """The segments of ``group`` to read: those with rows entering in a non-zero state
        (``entering``, a count a segment), and those whose lines may hold a match."""
        # The frame's bytes (header, terminators) count as every segment's.
        needed = self.needed & ~self.frame
        maps = self.layout.line_maps(group) if self.pairs is not None else (None, None)
        viable = viable_segments(group.row_counts, group.flag_words, needed, maps[0], self.pairs, maps[1],
                                 self.grams).view(bool)
        open_group, number = self.open_segment
        if open_group is group:
            viable[number] = True
        return np.flatnonzero(viable | (entering > 0))

    def states(self, n: int) -> np.ndarray:
        """Zeroed states for ``n`` rows, given back with :meth:`give_back`."""
        return _ONE_STATE.take(n)

    def give_back(self, states, entered, act) -> None:
        """Rows out of ``act`` are in state 0: the scans keep every row in a non-zero state in it."""
        _ONE_STATE.give_back(states, act)

    def empty(self) -> np.ndarray:
        return np.zeros(0, dtype=np.int32)

    def feed(self, piece, states, act, hits, following=()):
        """Feed ``piece`` (``following``: the pieces after it in its segment)."""
        if isinstance(piece, bytes):
            return scan_static(piece, states, act, self.automaton, hits)
        if isinstance(piece, CodedColumn):
            values = piece.dictionary
            many = len(states) >= SHARED_ROWS
            live = self.live_after(following) if many else None
            tail_free = self.resets(following) or live is not None and not live.any()
            return scan_coded(values.values, values.offsets, piece.codes, states, act, self.automaton, hits,
                              piece.code_counts if tail_free else None, live, *(piece.rows_by_code if many else ()))
        counts = piece.byte_counts
        automaton = self.automaton
        large = len(piece.values) >= REACH_BYTES
        reach, rare, live, chunks = 0, -1, None, None
        if large:
            reach = automaton.reach(piece.pairs, piece.grams if automaton.m >= 4 else None)
            rare = rarest_byte(automaton.pattern, counts, len(piece.values), RARE_BYTE)
            live = self.live_after(following)
            if reach == automaton.m and self.with_maps and len(piece.values) >= CHUNKED_BYTES:
                chunks = self.chunks_of(piece)
        return scan_column(piece.values, piece.offsets, states, act, automaton, hits,
                           automaton.m > 1 and counts[automaton.second] < counts[automaton.first], reach,
                           live is not None and not live.any(), rare, live, piece.last_bytes if large else None,
                           chunks, CHUNK_LOG)

    def chunks_of(self, column: Column) -> Optional[np.ndarray]:
        """Which chunks of ``column``'s buffer a match may start in (uint8 a chunk): those whose
        4-grams, with the next chunk's, hold the pattern's; None for a pattern under 4 bytes or
        over a chunk."""
        m = self.automaton.m
        if not 4 <= m <= 1 << CHUNK_LOG:
            return None
        maps, codes = column.chunk_grams, gram_codes(self.automaton.pattern, CHUNK_LOG)
        present = (maps[:, codes >> 3] >> (codes & 7).astype(np.uint8)) & 1
        present[:-1] |= present[1:]
        return present.all(axis=1).astype(np.uint8)

    def live_after(self, following) -> Optional[np.ndarray]:
        """The states a row may leave a column in that read on otherwise than state 0 through
        ``following``: its static pieces up to the next column, then that column's first bytes
        (:meth:`Automaton.live_after`, found once a pattern for each such continuation); None
        when nothing follows."""
        static, lead = [], None
        for piece in following:
            if not isinstance(piece, bytes):
                lead = piece.lead_mask
                break
            static.append(piece)
        if not static and lead is None:
            return None
        key = (b"".join(static), lead)
        live = self._live.get(key)
        if live is None:
            live = self._live[key] = self.automaton.live_after(*key)
        return live

    def resets(self, following) -> bool:
        """Whether the next of the pieces ``following`` leads every state where it leads state 0:
        no value of it starts with a byte of the pattern, and none is empty."""
        if not following:
            return False
        piece = following[0]
        if isinstance(piece, bytes):
            return len(piece) > 0 and not self.automaton.byte_mask >> piece[0] & 1
        lead = piece.lead_mask
        return lead is not None and not lead & self.automaton.byte_mask


def _words(mask: int) -> np.ndarray:
    """A 256-bit mask as four 64-bit words."""
    return np.array([(mask >> (64 * k)) & (2**64 - 1) for k in range(4)], dtype=np.uint64)


class _Pairs:
    """Feeds pieces to the rows of ``act`` only, each in a pair of states (true, counted):
    the count changes by what the true state finds that the counted one did not."""

    def __init__(self, automaton: Automaton):
        self.automaton = automaton

    def skips_piece(self, flags: int, act) -> bool:
        return not len(act)

    def templates(self, group: Group, entering: np.ndarray) -> np.ndarray:
        return np.flatnonzero(entering)

    def shares(self, piece, n_rows: int, following) -> bool:
        return False

    def states(self, n: int) -> np.ndarray:
        return _TWO_STATES.take(n)

    def give_back(self, states, entered, act) -> None:
        """Rows leave ``act`` when their two states meet, not when they are 0: the rows that
        ``entered`` are cleared (``act`` only ever loses rows)."""
        _TWO_STATES.give_back(states, entered)

    def empty(self) -> np.ndarray:
        return np.zeros((0, 2), dtype=np.int32)

    def feed(self, piece, states, act, hits, following=None):
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
    total, rows, row_states, shared = _scan_rows(layout.head, feeder, fit_rows[fits], states[fits], fit_hits)
    found, rows, row_states = _scan_group(layout.contents, feeder, rows, row_states, fit_hits, shared)
    total += found
    found, rows, row_states = _settled(layout.tail, *_scan_rows(layout.tail, feeder, rows, row_states, fit_hits))
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


def _scan_rows(segment: Segment, feeder, rows, states, hits, shared: int = 0):
    """Feed a segment's pieces to its rows; ``rows`` (sorted) enter in ``states``, the others in
    state ``shared``. Returns the count, the rows left in a non-zero state with their states,
    and the state the others are left in (then ``rows`` may hold rows in state 0).

    When a static piece moves every row (it ends with the pattern's first bytes, or holds a
    match), the rows out of ``rows`` share one state, kept as one number through static and
    coded pieces until they are all back in state 0, or must be told apart (then those in a
    non-zero state join the rows read one by one)."""
    if not segment.pieces:
        return 0, rows, states, shared
    st = None
    act, total = np.asarray(rows, dtype=np.int64), 0
    pieces = segment.pieces
    for k, flags in enumerate(segment.piece_flags):
        piece, following = pieces[k], pieces[k + 1:]
        if not shared and feeder.skips_piece(flags, act):
            continue
        if st is None:
            st = feeder.states(segment.n_rows)
            st[rows] = states
        if shared and isinstance(piece, Column):
            act, shared = feeder.enter(piece, st, act, shared), 0
        if hits is None and (shared or feeder.shares(piece, segment.n_rows, following)):
            found, act, shared = feeder.feed_shared(piece, st, act, shared, following)
            if not shared:
                act = _nonzero(st, act)
        else:
            found, act = feeder.feed(piece, st, act, hits, following)
        total += found
    if st is None:
        return total, act, states, shared
    act_states = st[act]
    feeder.give_back(st, rows, act)
    return total, act, act_states, shared


def _settled(segment: Segment, total: int, rows, states, shared: int):
    """What :func:`_scan_rows` returns, with every row in a non-zero state among ``rows``."""
    if shared:
        every = np.full(segment.n_rows, shared, dtype=np.int32)
        every[rows] = states
        rows = np.flatnonzero(every)
        states = every[rows]
    return total, rows, states


def _nonzero(states, act) -> np.ndarray:
    """The rows of ``act`` in a non-zero state (the scans take act rows to be)."""
    return act[states[act] != 0]


def _scan_group(group: Group, feeder, rows, states, hits, shared: int = 0):
    """:func:`_scan_rows` over a group: each of its rows through its own segment; the rows out of
    ``rows`` enter in state ``shared``."""
    total, out_rows, out_states = 0, [], []
    # Rows whose first byte in their segment leads their state where it leads state 0 are rows
    # in state 0 (dropped; kept in state 0 while the others share a state), and so are the
    # others in the segments that begin with such a byte from their shared state.
    automaton, n_segments = feeder.automaton, len(group.segments)
    if len(rows):
        moving = entry_moves(group.entry_bytes, rows, states.reshape(len(rows), -1), automaton).view(bool)
        if shared:
            states = np.where(moving, states, 0).astype(np.int32)
        else:
            rows, states = rows[moving], states[moving]
    shared_in = entry_moves(group.segment_leads, np.arange(n_segments, dtype=np.int64),
                            np.full((n_segments, 1), shared, dtype=np.int32), automaton).view(bool) if shared else None
    # The entering rows by segment, each part still in row order (a stable radix sort).
    entering = group.segment_of[rows].astype(group.code_type)
    order = np.argsort(entering, kind="stable")
    bounds = np.searchsorted(entering[order], np.arange(n_segments + 1))
    rows, states = rows[order], states[order]
    entering = np.diff(bounds) + (np.where(shared_in, group.row_counts, 0) if shared else 0)
    for number in feeder.templates(group, entering).tolist():
        segment = group.segments[number].searched
        mine = slice(bounds[number], bounds[number + 1])
        local_hits = np.zeros(segment.n_rows, dtype=np.int32) if hits is not None else None
        found, act, act_states = _settled(segment, *_scan_rows(segment, feeder, group.rank[rows[mine]], states[mine],
                                                              local_hits, shared if shared and shared_in[number] else 0))
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
    st = feeder.states(n)
    entered = lines[inside]
    st[entered] = states[inside]
    hits = line_hits[:n] if line_hits is not None else None
    found, act = feeder.feed(layout.terminator, st, entered, hits)
    act_states = st[act]
    feeder.give_back(st, entered, act)
    return found, np.concatenate((act, lines[~inside])), np.concatenate((act_states, states[~inside]))
