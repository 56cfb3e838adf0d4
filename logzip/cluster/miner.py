"""Learn templates from log contents by iterative clustering (Logzip, ASE'19), with the
frequency-pattern grouping of Brain (Yu et al., TSC'23).

Each iteration samples distinct contents not tried yet, clusters the sample, makes a template of
every cluster, and matches the contents still uncovered against the new templates, dropping those
that cover fewer than ``min_support`` lines.  It stops when an iteration covers too few lines.

Clustering a sample:

1. Tokenize (see :func:`~logzip.cluster.template.tokenize`) and group the lines by token count.
2. Mask the variable pieces of each token (runs between delimiters that hold a digit, and day or
   month names: ``blk_-123`` -> ``#``, ``ambient=45`` -> ``ambient=#``), so that numbers never
   tell clusters apart.
3. Within a token count, count each (position, masked token).  A line's *pattern* keeps its
   tokens whose count is at least the count shared by most of its tokens (the longest common
   pattern); lines with the same pattern form a cluster.
4. A cluster is split on its slot column with the fewest distinct constant words (``up``/``down``,
   ``eth0``) or ``key=`` keys, when there are at most ``max_split`` of them; the unsplit cluster
   stays as a fallback for parts too rare to keep.
5. A cluster's template keeps a token literal where the cluster agrees on it and it is not
   masked; elsewhere it has a slot, with the prefix and suffix (printable, no digits, cut at a
   delimiter) common to the cluster's values, so that parameter columns hold only what varies.
"""
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..gcpause import gc_paused
from .matcher import build_matcher
from .template import Template, TemplateSet, Token, tokenize

_DELIMITERS = rb"\s=:,()\[\]{}<>/\"'|;@"
# A piece is a run of non-delimiter bytes.  Pieces holding a digit, and day and month names
# (which vary like numbers in timestamps), are masked to b"#" for clustering.
_VARIABLE_PIECE = re.compile(
    rb"(?<![^%s])(?:[^%s0-9]*[0-9][^%s]*"
    rb"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    rb"(?![A-Za-z0-9_]))" % (_DELIMITERS, _DELIMITERS, _DELIMITERS))
# The longest prefix of at most 64 printable ASCII bytes or tabs, no digits, that ends with a
# delimiter (a non-alphanumeric byte) other than a sign, or with a hyphen after a letter
# (``blk_`` of ``blk_-42``, ``node-`` of ``node-42``).  Bounding slot prefixes and suffixes keeps
# the slot edges of a trie node few, even on binary data.
_DELIMITED_PREFIX = re.compile(
    rb"((?:[\t\x20-\x2f\x3a-\x7e]{0,62}"
    rb"(?:[\t\x20-\x2a\x2c\x2e\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]|[A-Za-z]-))?)")


def _mask(content: bytes) -> bytes:
    """The content with its variable pieces replaced by ``#`` (same tokens)."""
    return _VARIABLE_PIECE.sub(b"#", content)


def tokenize_masked(content: bytes) -> Tuple[List[bytes], List[bytes]]:
    """The tokens of the content and of its mask (``_match.tokenize_masked`` when built)."""
    return tokenize(content), tokenize(_mask(content))


try:
    from ._match import tokenize_masked  # noqa: F811  (same result, one pass in C)
except ImportError:
    pass


@dataclass
class MinerConfig:
    """Parameters of :class:`TemplateMiner`."""

    sample_size: int = 4000
    """Distinct contents clustered per iteration."""
    max_iterations: int = 10
    min_support: int = 2
    """A template must cover at least this many lines (repeats included) to be kept ..."""
    support_share: float = 0.001
    """... or this share of all lines, if more, but at most support_cap lines: a template and
    its columns cost more than a few lines left to the unmatched stream."""
    support_cap: int = 30
    min_gain: float = 0.0005
    """Stop once an iteration covers less than this fraction of all lines ..."""
    min_yield: float = 0.05
    """... or less than this fraction of the number of lines it sampled (text without templates)."""
    max_split: int = 5
    """A column with at most this many distinct words or keys splits a cluster, one per value."""
    max_tokens: int = 512
    """Contents with more tokens are left to the unmatched stream."""

    def __post_init__(self):
        for name in ("sample_size", "max_iterations", "min_support", "support_cap", "max_split",
                     "max_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"MinerConfig.{name} must be at least 1")
        for name in ("min_gain", "min_yield", "support_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"MinerConfig.{name} must be between 0 and 1")


class TemplateMiner:
    """Learns a :class:`TemplateSet` from contents: ``TemplateMiner(MinerConfig()).fit(lines)``."""

    def __init__(self, config: MinerConfig = None):
        self.config = config or MinerConfig()

    def fit(self, contents: Sequence[bytes]) -> TemplateSet:
        with gc_paused():
            return self._fit(contents)

    def _fit(self, contents: Sequence[bytes]) -> TemplateSet:
        config = self.config
        counts = Counter(contents)
        distinct = list(counts)
        weights = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        remaining = np.arange(len(distinct))
        untried = np.ones(len(distinct), dtype=bool)
        support: Dict[Template, int] = {}
        min_support = max(config.min_support,
                          min(config.support_cap, math.ceil(config.support_share * len(contents))))
        for _ in range(config.max_iterations):
            pool = remaining[untried[remaining]]
            if not len(pool):
                break
            sample = pool[::max(1, len(pool) // config.sample_size)][:config.sample_size]
            untried[sample] = False
            clusters = cluster([(distinct[i], w) for i, w in zip(sample.tolist(),
                                                                weights[sample].tolist())],
                               config.max_tokens, config.max_split,
                               # Every line left is in the sample: a cluster too small for a
                               # template cannot grow.
                               min_support if len(sample) == len(remaining) else 0)
            new = [t for t in dict.fromkeys(clusters) if t not in support]
            if not new:
                break
            lines = [distinct[i] for i in remaining.tolist()]
            kept, tids, covered = _prune(new, lines, weights[remaining], min_support)
            support.update(zip(kept, covered.tolist()))
            remaining = remaining[tids < 0]
            gain = int(covered.sum())
            if gain < max(1, config.min_gain * len(contents), config.min_yield * len(sample)):
                break
        return TemplateSet(sorted(support, key=lambda t: -support[t]))


def _prune(templates: List[Template], lines: List[bytes], weights: np.ndarray, min_support: int):
    """Drop templates covering fewer than min_support lines.

    Returns the kept templates, the template id per line and the lines (repeats included) per
    kept template.  The lines of a dropped template go to the next template they fit (e.g. the
    unsplit fallback of a cluster), which may keep it.  Other lines keep their template:
    removing templates never changes the first match of the search.
    """
    tids = np.array(build_matcher(templates).assign(lines, cache=False), dtype=np.int64)
    while True:
        covered = _coverage(tids, weights, len(templates))
        weak = (covered > 0) & (covered < min_support)
        if not weak.any():
            break
        lost = np.flatnonzero(_lookup(weak, tids, False))
        tids = _lookup(np.where(weak, -1, np.cumsum(~weak) - 1), tids, -1)
        templates = [t for t, w in zip(templates, weak.tolist()) if not w]
        if templates and len(lost):
            tids[lost] = build_matcher(templates).assign([lines[k] for k in lost.tolist()],
                                                         cache=False)
    used = covered > 0
    tids = _lookup(np.where(used, np.cumsum(used) - 1, -1), tids, -1)
    return [t for t, u in zip(templates, used.tolist()) if u], tids, covered[used]


def _lookup(table: np.ndarray, tids: np.ndarray, missing) -> np.ndarray:
    """``table[tid]`` for each template id, ``missing`` where tid is -1."""
    matched = tids >= 0
    return np.where(matched, table[np.where(matched, tids, 0)] if len(table) else missing,
                    missing)


def _coverage(tids: np.ndarray, weights: np.ndarray, n_templates: int) -> np.ndarray:
    """Lines (repeats included) per template id."""
    matched = tids >= 0
    return np.bincount(tids[matched], weights=weights[matched],
                       minlength=n_templates).astype(np.int64)


def cluster(lines: Sequence[Tuple[bytes, int]], max_tokens: int, max_split: int,
            min_weight: int = 0) -> List[Template]:
    """One template per cluster of ``lines`` (distinct contents with their counts) holding at
    least ``min_weight`` lines."""
    by_length: Dict[int, list] = defaultdict(list)
    for line, weight in lines:
        tokens, keys = tokenize_masked(line)
        if len(tokens) <= max_tokens:
            by_length[len(tokens)].append((tokens, keys, weight))
    templates = []
    for n in sorted(by_length):
        group = by_length[n]
        frequency = [Counter() for _ in range(n)]
        for _, keys, _ in group:
            for p, key in enumerate(keys):
                frequency[p][key] += 1
        clusters = defaultdict(list)
        for tokens, keys, weight in group:
            counts = [frequency[p][key] for p, key in enumerate(keys)]
            threshold = max(set(counts), key=lambda c: (counts.count(c), c))
            pattern = tuple(key if c >= threshold else None for key, c in zip(keys, counts))
            clusters[pattern].append((tokens, weight))
        for pattern, members in clusters.items():
            if sum(weight for _, weight in members) < min_weight:
                continue
            for pattern, members in _split(pattern, members, max_split):
                template = _template(pattern, [tokens for tokens, _ in members])
                # A template of bare slots would take any line of its length.
                if any(t != (b"", b"") for t in template.tokens):
                    templates.append(template)
    return templates


def _split(pattern: Tuple, members: List[Tuple[List[bytes], int]], max_split: int):
    """Split a cluster on the slot column with the fewest distinct heads (see _head), if there
    are few of them, fewer than the lines, and each is a constant word or the key of key=value
    pairs."""
    weight = sum(w for _, w in members)
    best = None
    for p, key in enumerate(pattern):
        if key is None:
            values = {tokens[p] for tokens, _ in members}
            n_heads = _count_heads(values, max_split)
            if 1 < n_heads <= weight and (best is None or n_heads < best[0]):
                best = (n_heads, p)
    if best is None:
        return [(pattern, members)]
    p = best[1]
    parts = defaultdict(list)
    for member in members:
        parts[_head(member[0][p])].append(member)
    out = []
    for value, part in parts.items():
        key = value if all(tokens[p] == value for tokens, _ in part) else None
        out += _split(pattern[:p] + (key,) + pattern[p + 1:], part, max_split)
    # The unsplit cluster stays as a fallback for the lines of parts too rare to keep.
    return out + [(pattern, members)]


def _count_heads(values, max_split: int) -> int:
    """How many heads ``values`` have, or 0 when the column may not split: more than
    ``max_split`` heads, or a head other than a ``key=`` with more than one value."""
    heads = {}
    for value in values:
        head = _head(value)
        if heads.setdefault(head, value) != value and not head.endswith(b"="):
            return 0
        if len(heads) > max_split:
            return 0
    return len(heads)


def _is_word(value: bytes) -> bool:
    """No digits nor calendar names, or letters then digits as in ``eth0``."""
    return (not _VARIABLE_PIECE.search(value)
            or value[:1].isalpha() and value.isalnum() and not value.isalpha())


def _head(value: bytes) -> bytes:
    """What a column splits on: the key of a ``key=value``, a word itself, else nothing
    (numbers never split a cluster)."""
    eq = value.find(b"=")
    if eq >= 0:
        return value[:eq + 1]
    return value if _is_word(value) else b""


def _template(pattern: Tuple, members: List[List[bytes]]) -> Template:
    """Literal where the cluster shares the pattern's token, else a slot."""
    if len(members) == 1:
        return Template(tuple(token if key == token else _slot((token,))
                              for key, token in zip(pattern, members[0])))
    tokens: List[Token] = []
    for p, key in enumerate(pattern):
        values = {m[p] for m in members}
        if key is not None and len(values) == 1 and key == members[0][p]:
            tokens.append(members[0][p])
        else:
            tokens.append(_slot(values))
    return Template(tuple(tokens))


def _slot(values) -> Tuple[bytes, bytes]:
    """The (prefix, suffix) common to ``values``: no digits, cut at a delimiter byte."""
    prefix = _cut_prefix(_common_prefix(values))
    rests = [v[len(prefix):] for v in values]
    suffix = _cut_prefix(_common_prefix([r[::-1] for r in rests]))[::-1]
    return prefix, suffix


def _common_prefix(values) -> bytes:
    lo, hi = min(values), max(values)
    n = min(len(lo), len(hi))
    if hi[:n] == lo[:n]:
        return lo[:n]
    low, high = 0, n    # lo[:low] == hi[:low], lo[:high] != hi[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if lo[:mid] == hi[:mid]:
            low = mid
        else:
            high = mid
    return lo[:low]


def _cut_prefix(prefix: bytes) -> bytes:
    """The longest start of ``prefix`` that _DELIMITED_PREFIX allows."""
    return _DELIMITED_PREFIX.match(prefix).group(1)
