"""Split log lines into header columns and content with a Loghub header format.

A format such as ``'<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>'`` names the
header fields of every line.  As in Loghub, a run of spaces in the format matches a run of
whitespace; here the actual whitespace is kept in a separator column so that joining the
columns gives the line back byte for byte.  ``\\X`` is the literal character X and
``( ... )?`` is an optional part (a presence column of ``b'1'``/``b'0'`` records whether a line
has it).

Each field ends at the first place where the text that follows it in the format (up to the
next field) matches; the last element takes the rest of the line.  Fields and whitespace never
backtrack (possessive quantifiers), only an optional part may be left out after all, so
matching is linear in the line length, unlike Loghub's lazy ``(.*?)`` fields which can take
polynomial time on lines that do not fit.  A line that would need a field to end at a later
place does not fit and is left to the caller as a misfit, kept raw.
"""
import collections
import itertools
import sys
from dataclasses import dataclass, field
from operator import itemgetter
from typing import List, Optional

if sys.version_info >= (3, 11):     # possessive quantifiers; re matches faster than regex
    import re as regex
else:
    import regex

from logzip.codec.strings import MAX_BYTES, ByteColumn, blank_where, equals_where, fill
from logzip.codec._header import split_scan, split_words
from logzip.errors import CorruptArchiveError, FormatError
from logzip.gcpause import gc_paused

CONTENT = "Content"
PRESENT, ABSENT = b"1", b"0"
_REGEX_SYNTAX = set(".*+?[]{}|^$")
_SPACES = set(" \t\n\r\f\v")


@dataclass
class HeaderSplit:
    """Header columns, contents and misfit line indices of a list of lines (see HeaderFormat.split)."""

    columns: List[List[bytes]]
    contents: List[bytes]
    misfits: List[int] = field(default_factory=list)


# Parsed format: a sequence of elements.
@dataclass
class _Field:
    name: str


@dataclass
class _Separator:
    pass


@dataclass
class _Literal:
    text: bytes


@dataclass
class _Optional:
    elements: list


def _parse_elements(spec: str) -> list:
    """Parse the Loghub format syntax into nested element lists."""
    stack: List[list] = [[]]
    i = 0
    while i < len(spec):
        c = spec[i]
        elements = stack[-1]
        if c == "<":
            end = spec.find(">", i)
            name = spec[i + 1:end] if end != -1 else ""
            if end == -1 or not name or "<" in name:
                raise FormatError(f"header format {spec!r}: unterminated or empty field name at position {i}")
            elements.append(_Field(name))
            i = end + 1
        elif c in _SPACES:
            while i < len(spec) and spec[i] in _SPACES:
                i += 1
            elements.append(_Separator())
        elif c == "\\":
            if i + 1 == len(spec):
                raise FormatError(f"header format {spec!r}: trailing backslash")
            escaped = spec[i + 1]
            if escaped.isalnum() or escaped in _SPACES:
                raise FormatError(f"header format {spec!r}: unsupported escape \\{escaped} at position {i}")
            _append_literal(elements, escaped)
            i += 2
        elif c == "(":
            stack.append([])
            i += 1
        elif c == ")":
            if len(stack) == 1:
                raise FormatError(f"header format {spec!r}: unbalanced ')' at position {i}")
            group = stack.pop()
            if i + 1 < len(spec) and spec[i + 1] == "?":
                stack[-1].append(_Optional(group))
                i += 2
            else:
                for element in group:     # a plain group only groups: splice it in
                    if isinstance(element, _Literal):
                        _append_literal(stack[-1], element.text.decode())
                    elif not (isinstance(element, _Separator) and stack[-1] and isinstance(stack[-1][-1], _Separator)):
                        stack[-1].append(element)
                i += 1
        elif c in _REGEX_SYNTAX:
            raise FormatError(f"header format {spec!r}: regex syntax {c!r} at position {i} is not supported;"
                              f" write \\{c} for the literal character")
        else:
            _append_literal(elements, c)
            i += 1
    if len(stack) != 1:
        raise FormatError(f"header format {spec!r}: unbalanced '('")
    return stack[0]


def _append_literal(elements: list, char: str) -> None:
    if elements and isinstance(elements[-1], _Literal):
        elements[-1].text += char.encode()
    else:
        elements.append(_Literal(char.encode()))


def _stops(elements: list, start: int, following: list) -> list:
    """Where a field before elements[start:] may end: the possible texts that follow it.

    Each stop is a tuple of _Literal and _Separator items, up to the next field; `following`
    are the stops after `elements`.  No stops: the field takes the rest of the line.
    """
    run: list = []
    for k in range(start, len(elements)):
        element = elements[k]
        if isinstance(element, _Field):
            if not run:
                raise FormatError(f"field <{element.name}> directly follows another field:"
                                  " fields must be separated by text or spaces")
            return [tuple(run)]
        if isinstance(element, _Optional):
            if not element.elements or isinstance(element.elements[0], (_Field, _Optional)):
                raise FormatError("an optional part ( ... )? must start with text or spaces")
            if run:
                return [tuple(run)]
            after = _stops(elements, k + 1, following)
            return _stops(element.elements, 0, after) + after
        run.append(element)
    return [tuple(run)] if run else following


def _stop_regex(stop: tuple) -> bytes:
    return b"".join(rb"\s++" if isinstance(item, _Separator) else regex.escape(item.text) for item in stop)


def _field_regex(stops: list) -> bytes:
    """A possessive group matching a field up to the first of its stops (or to the end)."""
    if not stops:
        return rb"(.*+)"
    firsts = {rb"\s" if isinstance(stop[0], _Separator) else regex.escape(stop[0].text[:1]) for stop in stops}
    excluded = b"[^" + b"".join(sorted(firsts)) + b"]"
    if all(isinstance(stop[0], _Separator) or len(stop[0].text) == 1 for stop in stops) \
            and all(len(stop) == 1 for stop in stops):
        return b"(" + excluded + b"*+)"
    ahead = b"|".join(_stop_regex(stop) for stop in sorted(stops, key=_stop_regex))
    return b"((?:" + excluded + b"++|(?!" + ahead + rb")(?:\s++|.))*+)"


_SCAN_LITERAL, _SCAN_SPACES, _SCAN_REST, _SCAN_UNTIL, _SCAN_UNTIL_STOP = range(5)   # _header.split_scan's steps


def _scan_program(elements: list) -> Optional[list]:
    """The steps of :func:`logzip.codec._header.split_scan` that split lines as the format's
    regex does (its quantifiers are possessive: one way to match, found left to right), or
    None for a format with optional parts, left to the regex."""
    if any(isinstance(element, _Optional) for element in elements):
        return None
    program = []
    for k, element in enumerate(elements):
        if isinstance(element, _Literal):
            program.append((_SCAN_LITERAL, element.text))
        elif isinstance(element, _Separator):
            program.append((_SCAN_SPACES, None))
        else:
            stops = _stops(elements, k + 1, [])
            if not stops:
                program.append((_SCAN_REST, None))
                continue
            (stop,) = stops
            first = stop[0]
            ends = bytearray(256)
            for byte in (b" \t\n\r\f\v" if isinstance(first, _Separator) else first.text[:1]):
                ends[byte] = 1
            if len(stop) == 1 and (isinstance(first, _Separator) or len(first.text) == 1):
                program.append((_SCAN_UNTIL, bytes(ends)))
            else:
                items = [None if isinstance(item, _Separator) else item.text for item in stop]
                program.append((_SCAN_UNTIL_STOP, (bytes(ends), items)))
    return program


class HeaderFormat:
    """A compiled Loghub header format: split lines into columns and join them back."""

    def __init__(self, spec: str, elements: list):
        self.spec = spec
        self.fields: List[str] = []
        self.column_names: List[str] = []
        names: List[str] = []                       # of every regex group, Content included
        self._group_optional: List[bool] = []      # per group: inside an optional part?
        self._regex = regex.compile(self._compile(elements, [], names), regex.DOTALL)
        if names.count(CONTENT) != 1:
            raise FormatError(f"header format {spec!r} must contain <{CONTENT}> exactly once")
        self._content_index = names.index(CONTENT)
        self.column_names = names[:self._content_index] + names[self._content_index + 1:]
        duplicated = {n for n in self.fields if self.fields.count(n) > 1}
        if duplicated:
            raise FormatError(f"header format {spec!r} repeats field(s) {sorted(duplicated)}")
        self._presence = [i for i, n in enumerate(names) if n.startswith("(")]
        self._optional_fields = [i for i, n in enumerate(names)
                                 if self._group_optional[i] and not n.startswith("(")]
        self._join_texts, self._join_args = self._layout(elements, iter(range(len(names))))
        simple = [_Field(n) if i % 2 == 0 else _Separator() for i, n in enumerate(names)]
        self._words = len(self.fields) if elements == simple and names[-1] == CONTENT else None
        self._program = _scan_program(elements) if self._words is None else None

    @classmethod
    def parse(cls, spec: str) -> "HeaderFormat":
        """Compile a Loghub format string; raise FormatError if it cannot be used."""
        if not isinstance(spec, str):
            raise FormatError(f"header format must be a string, not {type(spec).__name__}")
        return cls(spec, _parse_elements(spec))

    def __repr__(self):
        return f"HeaderFormat({self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, HeaderFormat) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)

    # -- building the regex and the join layout

    def _compile(self, elements: list, following: list, names: List[str],
                 optional: bool = False) -> bytes:
        """The regex (bytes) of elements; appends the name of each group it opens to `names`."""
        parts = []
        for k, element in enumerate(elements):
            if isinstance(element, _Literal):
                parts.append(regex.escape(element.text))
            elif isinstance(element, _Separator):
                self._group_optional.append(optional)
                names.append(f"_sep{sum(n.startswith('_sep') for n in names) + 1}")
                parts.append(rb"(\s++)")
            elif isinstance(element, _Field):
                self._group_optional.append(optional)
                names.append(element.name)
                if element.name != CONTENT:
                    self.fields.append(element.name)
                parts.append(_field_regex(_stops(elements, k + 1, following)))
            else:
                self._group_optional.append(True)
                names.append(f"({sum(n.startswith('(') for n in names) + 1})")
                after = _stops(elements, k + 1, following)
                inner = self._compile(element.elements, after, names, True)
                parts.append(b"(?:()" + inner + b")?")
        return b"".join(parts)

    def _layout(self, elements: list, group_numbers) -> tuple:
        """The literal texts around the arguments, and the arguments: group indices, or the
        layouts of optional parts as (presence group index, texts, arguments)."""
        texts, args = [b""], []
        for element in elements:
            if isinstance(element, _Literal):
                texts[-1] += element.text
            elif isinstance(element, _Optional):
                presence = next(group_numbers)
                args.append((presence,) + self._layout(element.elements, group_numbers))
                texts.append(b"")
            else:
                args.append(next(group_numbers))
                texts.append(b"")
        return texts, args

    # -- split and join

    def split(self, lines: List[bytes]) -> HeaderSplit:
        """Split lines (without terminators) into header columns and contents.

        Lines that do not fit the format are listed in `misfits` and left out of the columns.
        """
        if self._words is not None:
            return self._split_words(lines)
        if self._program is not None:
            with gc_paused():
                groups, misfits = split_scan(lines, self._program, len(self.column_names) + 1)
            contents = groups.pop(self._content_index)
            return HeaderSplit(groups, contents, misfits)
        with gc_paused():
            matches = list(map(self._regex.fullmatch, lines))
            rows = [m.groups() for m in matches if m is not None]
            misfits = [i for i, m in enumerate(matches) if m is None] if len(rows) < len(lines) else []
            del matches
            n_groups = len(self.column_names) + 1
            groups = [list(column) for column in zip(*rows)] if rows else [[] for _ in range(n_groups)]
            del rows
        for i in self._presence:
            groups[i] = [ABSENT if v is None else PRESENT for v in groups[i]]
        for i in self._optional_fields:
            groups[i] = [b"" if v is None else v for v in groups[i]]
        contents = groups.pop(self._content_index)
        return HeaderSplit(groups, contents, misfits)

    def _split_words(self, lines: List[bytes]) -> HeaderSplit:
        """split() for formats of words and spaces only ('<A> <B> <Content>'): most lines have
        single spaces, and a compiled scan takes them apart; the regex does the others, whose
        rows it fills in place."""
        words = self._words
        with gc_paused():
            columns, others = split_words(lines, words)
            separators = [[b" "] * len(lines) for _ in range(words)]
            misfits = []
            for i in others:
                match = self._regex.fullmatch(lines[i])
                if match is None:
                    misfits.append(i)
                    continue
                groups = match.groups()
                for column, value in zip(columns, groups[0::2]):
                    column[i] = value
                for column, value in zip(separators, groups[1::2]):
                    column[i] = value
            if misfits:
                fits = [True] * len(lines)
                for i in misfits:
                    fits[i] = False
                columns, separators = ([list(itertools.compress(column, fits)) for column in group]
                                       for group in (columns, separators))
        contents = columns.pop()
        interleaved = [column for pair in zip(columns, separators) for column in pair]
        return HeaderSplit(interleaved, contents, misfits)

    def join(self, columns: List[List[bytes]], contents: List[bytes]) -> List[bytes]:
        """Rebuild the fitting lines from split()'s columns and contents (its exact inverse)."""
        return self.join_columns([ByteColumn.from_list(column) for column in columns],
                                 ByteColumn.from_list(contents)).tolist()

    def join_columns(self, columns: List[ByteColumn], contents: ByteColumn, cap: int = MAX_BYTES,
                     end: bytes = b"", open_end: bool = False) -> ByteColumn:
        """:meth:`join` on typed columns, each row followed by ``end`` (but the last with
        ``open_end``), rows of at most ``cap`` bytes in all."""
        groups, n = self._join_groups(columns, contents)
        return self._render(self._join_texts[:-1] + [self._join_texts[-1] + end], self._join_args, groups, n, cap,
                            len(end) if open_end else 0)

    def pieces(self, columns: List[ByteColumn]) -> list:
        """A fitting line as the sequence it is joined from, for a reader of the columns that
        does not join them (search): literal ``bytes``, a column (one value a line), or
        ``CONTENT`` where the content goes. An optional part comes as one column, its text in
        each line (b"" where it is absent). ``FormatError`` if the content is optional."""
        if self._group_optional[self._content_index]:
            raise FormatError(f"header format {self.spec!r}: the content lies in an optional part")
        n = len(columns[0]) if columns else 0
        groups, _ = self._join_groups(columns, ByteColumn.constant(b"", n))
        out = [self._join_texts[0]]
        for arg, text in zip(self._join_args, self._join_texts[1:]):
            if arg == self._content_index:
                out.append(CONTENT)
            elif isinstance(arg, int):
                out.append(groups[arg])
            else:
                out.append(self._render_optional(arg, groups, n, MAX_BYTES))
            out.append(text)
        return out

    def _join_groups(self, columns, contents):
        if len(columns) != len(self.column_names):
            raise CorruptArchiveError(f"header format {self.spec!r} has {len(self.column_names)} columns,"
                                      f" got {len(columns)}")
        groups = list(columns)
        groups.insert(self._content_index, contents)
        n = len(contents)
        if any(len(column) != n for column in groups):
            raise CorruptArchiveError("header columns and contents differ in length")
        return groups, n

    def _render(self, texts: List[bytes], args: list, groups: List[ByteColumn], n: int, cap: int,
                trim: int = 0) -> ByteColumn:
        runs = [groups[a] if isinstance(a, int) else self._render_optional(a, groups, n, cap) for a in args]
        return fill(texts, runs, n, cap, trim)

    def _render_optional(self, layout: tuple, groups: List[ByteColumn], n: int, cap: int) -> ByteColumn:
        presence, texts, args = layout
        present = equals_where(groups[presence], PRESENT)
        if not (present | equals_where(groups[presence], ABSENT)).all():
            raise CorruptArchiveError("presence column of an optional header part holds other values")
        return blank_where(self._render(texts, args, groups, n, cap), ~present)


_MAX_INFERRED_FIELDS = 10
_MIN_GAIN = 0.02            # an inferred header must make the sample this much smaller
_TOKEN = regex.compile(rb"\[[^\]]*\](?=\s|$)|\S+")     # a bracketed group (may hold spaces) or a word
_DELIMITERS = (b"|", b",")
_FIELD_NAMES = [            # (name, what most of a field's tokens look like)
    ("Date", regex.compile(rb"\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}[\],]?")),
    ("Time", regex.compile(rb"\d{1,2}:\d{2}(?::\d{2})?(?:[.,:]\d+)?,?")),
    ("Level", regex.compile(rb"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|SEVERE):?",
                            regex.IGNORECASE)),
    ("Number", regex.compile(rb"[-+]?\d+")),
]


def infer_format(sample: List[bytes], given: Optional[HeaderFormat] = None) -> Optional[HeaderFormat]:
    """Infer a header format from sample lines, or None when the whole line is best left as content.

    A line's leading tokens are words or bracketed groups ('[Sun Dec 04 04:47:44 2005]', which
    becomes a field between literal brackets), or, when nearly all lines hold '|' or ',', the
    text between those.  The candidates are the first k token positions as fields (k = 1..10),
    but not past the position where most lines have their first token ending in ':' (a
    component, after which the message starts).  Each candidate is measured by compressing the
    sample with it (the whole block pipeline, zstd level 3); the smallest wins if it is 2%
    smaller than with no header.  A sample spread over the input judges best.

    A ``given`` format (``--format``) is one more candidate, first among equals, so that a
    format never costs more than none: where its split does not pay (a field that templates
    would model better as content, a layout that leaves many misfits), the block is stored as
    it would be without it.  A sample too small to judge keeps it.
    """
    from logzip.codec.block import header_cost     # block imports this module

    lines = [line for line in sample if line]
    if len(lines) < 16:
        return given
    raw = b"\n".join(lines) + b"\n"
    best_size = header_cost(raw, HeaderFormat.parse(f"<{CONTENT}>")) * (1 - _MIN_GAIN)
    best = None
    candidates = [given] if given is not None else []
    for header in candidates + [HeaderFormat.parse(spec) for spec in _candidate_specs(lines)]:
        size = header_cost(raw, header)
        if size < best_size:
            best, best_size = header, size
    return best


def _candidate_specs(lines: List[bytes]) -> List[str]:
    words = [[m.group() for m in itertools.islice(_TOKEN.finditer(line), _MAX_INFERRED_FIELDS + 1)]
             for line in lines]
    families = [(" ", words)]
    for delimiter in _DELIMITERS:
        if sum(1 for line in lines if delimiter in line) * 10 >= len(lines) * 9:
            families.append((regex.escape(delimiter.decode()),
                             [line.split(delimiter, _MAX_INFERRED_FIELDS) for line in lines]))
    specs = []
    for separator, tokens in families:
        fields = _inferred_fields(tokens)
        specs += [separator.join(fields[:k]) + f"{separator}<{CONTENT}>" for k in range(1, len(fields) + 1)]
    return specs


def _inferred_fields(tokens: List[List[bytes]]) -> List[str]:
    """The format of each leading token position most lines have, named after what its tokens
    look like: '<Time>', '\\[<Level>\\]', ...; none past the usual first word ending in ':'."""
    ends = collections.Counter(next((i for i, token in enumerate(line) if token.endswith(b":")), None)
                               for line in tokens)
    end, count = max(((i, c) for i, c in ends.items() if i is not None), default=(None, 0), key=itemgetter(1))
    last = end if count * 2 > len(tokens) else _MAX_INFERRED_FIELDS - 1
    fields, uses = [], {}
    for position in range(last + 1):
        column = [line[position] for line in tokens if len(line) > position + 1]
        if len(column) * 2 <= len(tokens):
            break
        bracketed = sum(1 for token in column if token[:1] == b"[" and token[-1:] == b"]") * 2 > len(column)
        if bracketed:
            column = [token[1:-1] for token in column]
        name = next((name for name, pattern in _FIELD_NAMES
                     if sum(1 for token in column if pattern.fullmatch(token)) * 10 >= len(column) * 9), "Field")
        uses[name] = uses.get(name, 0) + 1
        name = name if uses[name] == 1 else f"{name}{uses[name]}"
        fields.append(f"\\[<{name}>\\]" if bracketed else f"<{name}>")
    return fields
