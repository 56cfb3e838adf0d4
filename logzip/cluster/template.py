"""Templates, template sets, and the matches of a set against log contents.

A content is split on every space that follows a non-space byte or starts the content, so a run of
spaces stays glued to the token after it (``b"Jul  9"`` -> ``[b"Jul", b" 9"]``) and token counts do
not depend on padding; ``b' '.join`` restores the content exactly.

A template is a sequence of tokens, each either a literal token or a slot, and matches the
contents of as many tokens that agree with its literal tokens.  A slot has a literal prefix and
suffix and stands for any token that starts with the prefix and ends with the suffix without the
two overlapping; the slot's value is what lies between them.  Rendering a template with its slot
values therefore gives back the content byte for byte.
"""
import re
from dataclasses import dataclass
from functools import cached_property
from typing import List, Optional, Sequence, Tuple, Union

from ..errors import CorruptArchiveError
from ..gcpause import gc_paused
from ..varint import VarintReader, put_bytes, put_varint

Slot = Tuple[bytes, bytes]
"""A slot token: (prefix, suffix)."""
Token = Union[bytes, Slot]

WILDCARD = "<*>"
MAGIC = b"LZT"
VERSION = 1
GLUED_VERSION = 2            # a set with glued templates: a flag byte per template
_LITERAL, _SLOT = 0, 1
_SEPARATOR = re.compile(rb"(?<! ) ")


def tokenize(content: bytes) -> List[bytes]:
    """Split a content into tokens; ``b' '.join(tokenize(c)) == c``."""
    if b"  " in content:
        return _SEPARATOR.split(content)
    return content.split(b" ")


@dataclass(frozen=True)
class Template:
    """One template: literal tokens (``bytes``) and slots (``(prefix, suffix)`` tuples).

    A glued template (a JSON line's skeleton, see :mod:`logzip.cluster.json_lines`) joins its
    tokens with nothing instead of a space; the matcher never matches one."""

    tokens: Tuple[Token, ...]
    glued: bool = False

    @property
    def separator(self) -> bytes:
        return b"" if self.glued else b" "

    @cached_property
    def slots(self) -> List[int]:
        """Token positions of the slots, in order."""
        return [i for i, token in enumerate(self.tokens) if isinstance(token, tuple)]

    @cached_property
    def texts(self) -> List[bytes]:
        """The literal text around the slot values, one more than the slots: a content is
        ``texts[0] + value[0] + texts[1] + ... + texts[-1]``."""
        texts = [b""]
        for k, token in enumerate(self.tokens):
            if k:
                texts[-1] += self.separator
            if isinstance(token, tuple):
                texts[-1] += token[0]
                texts.append(token[1])
            else:
                texts[-1] += token
        return texts

    @property
    def text(self) -> str:
        """Display form, e.g. ``"PacketResponder <*> for block blk_<*> terminating"``."""
        parts = []
        for token in self.tokens:
            if isinstance(token, tuple):
                token = token[0] + WILDCARD.encode() + token[1]
            parts.append(token)
        return self.separator.join(parts).decode("utf-8", "backslashreplace")

    def render_format(self) -> bytes:
        """A ``bytes % tuple`` format that rebuilds a content from its slot values."""
        parts = []
        for token in self.tokens:
            if isinstance(token, tuple):
                parts.append(token[0].replace(b"%", b"%%") + b"%s" + token[1].replace(b"%", b"%%"))
            else:
                parts.append(token.replace(b"%", b"%%"))
        return self.separator.join(parts)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


@dataclass
class Matches:
    """The result of :meth:`TemplateSet.match`.

    ``tids[i]`` is the template of line ``i`` (-1 when none matched); ``columns[t][k]`` holds the
    values of slot ``k`` for the lines of template ``t``, in line order; ``unmatched`` holds the
    contents of the -1 lines, in order.
    """

    tids: List[int]
    columns: List[List[List[bytes]]]
    unmatched: List[bytes]


class TemplateSet:
    """An ordered set of templates: matching, rendering, and serialisation."""

    def __init__(self, templates: Sequence[Template]):
        self.templates: List[Template] = list(templates)
        self._matcher = None

    def __len__(self) -> int:
        return len(self.templates)

    @cached_property
    def _formats(self) -> List[bytes]:
        return [t.render_format() for t in self.templates]

    @cached_property
    def _n_slots(self) -> List[int]:
        return [len(t.slots) for t in self.templates]

    def __iter__(self):
        return iter(self.templates)

    def __eq__(self, other) -> bool:
        return isinstance(other, TemplateSet) and self.templates == other.templates

    def __repr__(self) -> str:
        return f"TemplateSet({len(self.templates)} templates)"

    def __reduce__(self):
        # Pickled as its serialisation: the compiled matcher does not pickle.
        return TemplateSet.from_bytes, (self.to_bytes(),)

    @property
    def matcher(self):
        if self._matcher is None:
            from .matcher import build_matcher
            self._matcher = build_matcher(self.templates)
        return self._matcher

    def match(self, contents: Sequence[bytes]) -> Matches:
        """Assign every content to a template (or -1) and gather the slot values as columns."""
        with gc_paused():
            tids, columns, unmatched = self.matcher.match(contents)
        return Matches(tids, columns, unmatched)

    def render(self, tid: int, columns: Sequence[Sequence[bytes]],
               count: Optional[int] = None) -> List[bytes]:
        """Rebuild the contents of template ``tid`` from its slot columns (inverse of match).

        ``count`` (the number of lines) is needed only for a template without slots.
        """
        n_slots = self._n_slots[tid]
        if len(columns) != n_slots:
            raise CorruptArchiveError(
                f"template {tid} has {n_slots} slots but {len(columns)} columns were given")
        if n_slots == 0:
            if count is None:
                raise ValueError(f"template {tid} has no slots: render needs count")
            return [self._formats[tid].replace(b"%%", b"%")] * count
        fmt = self._formats[tid]
        if count is not None and any(len(column) != count for column in columns):
            raise CorruptArchiveError(f"template {tid}: columns disagree with the line count")
        if n_slots == 1:
            return [fmt % (value,) for value in columns[0]]
        if len({len(column) for column in columns}) != 1:
            raise CorruptArchiveError(f"template {tid}: its columns have different lengths")
        return [fmt % row for row in zip(*columns)]

    def to_bytes(self) -> bytes:
        """Compact serialisation: magic, version, then every template's tokens (and, in a
        set with glued templates, before them a byte: 1 if glued)."""
        glued = any(template.glued for template in self.templates)
        out = bytearray(MAGIC)
        out.append(GLUED_VERSION if glued else VERSION)
        put_varint(out, len(self.templates))
        for template in self.templates:
            if glued:
                out.append(template.glued)
            put_varint(out, len(template.tokens))
            for token in template.tokens:
                if isinstance(token, tuple):
                    out.append(_SLOT)
                    put_bytes(out, token[0])
                    put_bytes(out, token[1])
                else:
                    out.append(_LITERAL)
                    put_bytes(out, token)
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes) -> "TemplateSet":
        """Inverse of :meth:`to_bytes`; raises CorruptArchiveError on damaged input."""
        data = bytes(data)
        if data[:3] != MAGIC:
            raise CorruptArchiveError("corrupt archive: template set has no LZT magic")
        if len(data) < 4 or data[3] not in (VERSION, GLUED_VERSION):
            raise CorruptArchiveError("unsupported template set version")
        with_flags = data[3] == GLUED_VERSION
        reader = VarintReader(data, 4, "template set")
        templates = []
        for _ in range(reader.varint()):
            glued = reader.byte() if with_flags else 0
            if glued > 1:
                raise CorruptArchiveError("corrupt archive: bad template flag")
            n_tokens = reader.varint()
            if n_tokens < 1:
                raise CorruptArchiveError("corrupt archive: template without tokens")
            tokens = []
            for _ in range(n_tokens):
                kind = reader.byte()
                if kind == _SLOT:
                    tokens.append((reader.bytes(), reader.bytes()))
                elif kind == _LITERAL:
                    tokens.append(reader.bytes())
                else:
                    raise CorruptArchiveError("corrupt archive: bad template token kind")
            templates.append(Template(tuple(tokens), bool(glued)))
        reader.finish()
        return cls(templates)
