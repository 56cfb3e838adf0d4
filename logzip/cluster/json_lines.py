"""JSON-lines logs coded structurally: a line's skeleton is its template, its values the slots.

A JSON line ``{"ts":"2020-10-22T08:29:48Z","pid":696,"tags":["a"]}`` has the skeleton
``{"ts":"<*>","pid":<*>,"tags":<*>}``: keys, punctuation and whitespace as they were, and a
slot for every string value (between its quotes), number, literal and whole array (arrays
vary in length; as one value they keep the skeletons few). Nested objects are skeleton too.
Lines of one skeleton share a glued template (tokens joined by nothing, see
:class:`~logzip.cluster.template.Template`), so the block's payload, its typed columns and its
search are those of any templated block. Nothing is parsed into numbers, so spellings
(``1.50``, ``1e3``, ``-0``, integers past 2^53, escapes) stay as they are; lines that are not
one JSON object, or broken, get templates from the miner as in any log.
"""
from typing import List, Optional, Tuple

from ._json import split_lines
from .miner import MinerConfig, TemplateMiner
from .template import Template, TemplateSet

SAMPLE = 2000             # lines looked at to tell a JSON block
MIN_SHARE = 0.5           # share of them that must look like one JSON object (others: the miner)
MAX_SKELETONS = 4096      # beyond, lines of new skeletons go to the miner (each costs a table)


def looks_like_json(lines: List[bytes]) -> bool:
    """Whether most of a spread sample of ``lines`` start with ``{`` and end with ``}``."""
    if not lines:
        return False
    sample = lines[::max(1, len(lines) // SAMPLE)][:SAMPLE]
    hits = sum(1 for line in sample if line[:1] == b"{" and line.rstrip(b" \t\r")[-1:] == b"}")
    return hits >= MIN_SHARE * len(sample)


def learn(strings: List[bytes], miner_config: Optional[MinerConfig]) -> Tuple[TemplateSet, list, list, list]:
    """``(templates, ids, parameter columns, unmatched)`` of ``strings`` as in
    :class:`logzip.codec.block.TemplatedLines`: skeleton templates first, then the miner's
    for the lines that are not JSON objects."""
    skeletons: dict = {}
    ids, columns, rest = split_lines(strings, skeletons, MAX_SKELETONS)
    templates = [_template(key) for key in skeletons]
    leftover = [strings[row] for row in rest]
    mined = TemplateMiner(miner_config or MinerConfig()).fit(leftover)
    matches = mined.match(leftover)
    shift = len(templates)
    for row, tid in zip(rest, matches.tids):
        ids[row] = tid + shift if tid >= 0 else -1
    return (TemplateSet(templates + mined.templates), ids, columns + matches.columns,
            matches.unmatched)


def _template(key: bytes) -> Template:
    """The glued template of a skeleton key (its pieces joined by NUL, one per value)."""
    pieces = key.split(b"\0")
    tokens = [(piece, b"") for piece in pieces[:-1]]
    if pieces[-1] or not tokens:
        tokens.append(pieces[-1])
    return Template(tuple(tokens), glued=True)
