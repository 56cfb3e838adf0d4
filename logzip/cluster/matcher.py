"""Match contents against a template set: a token trie searched depth first.

Every template length has its own trie.  At each token the search tries the literal edge first,
then the slot edges, most specific (longest prefix + suffix) first, and backtracks on failure, so
the template found is the most specific one at the first position where templates differ.  The
compiled matcher (``_match.pyx``) implements exactly this search; :class:`PyMatcher` is the
reference used when the extension is not built, and by the tests to check it.
"""
from typing import Dict, List, Sequence, Tuple

from .template import Template, tokenize

MAX_STEPS = 10000
"""Trie edges a search may follow before it gives up on a content (bounds backtracking)."""
CACHE_MAX_LENGTH = 4096
"""Contents up to this length are cached, so exact repeats are matched once."""
CACHE_PROBE = 8192
"""The compiled matcher stops caching if its first CACHE_PROBE contents repeat too seldom."""


class Trie:
    """Templates as a flat trie.  Nodes are numbers; ``roots[n]`` starts the templates of ``n``
    tokens, ``literal[node, token]`` is a literal edge, ``slots[node]`` the slot edges
    ``(prefix, suffix, child)`` in search order, ``tid[node]`` the template ending there."""

    def __init__(self, templates: Sequence[Template]):
        self.roots: Dict[int, int] = {}
        self.literal: Dict[Tuple[int, bytes], int] = {}
        self.slots: Dict[int, List[Tuple[bytes, bytes, int]]] = {}
        self.tid: Dict[int, int] = {}
        self._slot_child: Dict[Tuple[int, Tuple[bytes, bytes]], int] = {}
        self.n_nodes = 0
        self.n_slots = [len(t.slots) for t in templates]
        self.slot_positions = [t.slots for t in templates]
        self.slot_cuts = [[(len(t.tokens[p][0]), len(t.tokens[p][1])) for p in t.slots]
                          for t in templates]
        for tid, template in enumerate(templates):
            if not template.glued:
                self._insert(tid, template)
        for edges in self.slots.values():
            if len(edges) > 1:
                edges.sort(key=lambda e: (-(len(e[0]) + len(e[1])), e[0], e[1]))

    def _insert(self, tid: int, template: Template) -> None:
        literal, slots, slot_child = self.literal, self.slots, self._slot_child
        node = self.roots.get(len(template.tokens))
        if node is None:
            node = self.roots[len(template.tokens)] = self.n_nodes
            self.n_nodes += 1
        for token in template.tokens:
            if isinstance(token, tuple):
                child = slot_child.setdefault((node, token), self.n_nodes)
                if child == self.n_nodes:
                    slots.setdefault(node, []).append((token[0], token[1], child))
                    self.n_nodes += 1
            else:
                child = literal.setdefault((node, token), self.n_nodes)
                if child == self.n_nodes:
                    self.n_nodes += 1
            node = child
        self.tid.setdefault(node, tid)

    def find(self, tokens: List[bytes]) -> int:
        """The template id of a split content, or -1."""
        n = len(tokens)
        root = self.roots.get(n)
        if root is None:
            return -1
        literal, slots, tid = self.literal, self.slots, self.tid
        stack = [(root, 0)]
        steps = 0
        while stack:
            node, i = stack.pop()
            steps += 1
            if steps > MAX_STEPS:
                return -1
            if i == n:
                return tid[node]
            token = tokens[i]
            size = len(token)
            for prefix, suffix, child in reversed(slots.get(node, ())):
                if (len(prefix) + len(suffix) <= size and token.startswith(prefix)
                        and token.endswith(suffix)):
                    stack.append((child, i + 1))
            child = literal.get((node, token))
            if child is not None:
                stack.append((child, i + 1))
        return -1


class PyMatcher:
    """Pure-Python matcher; caches exact repeated contents."""

    def __init__(self, templates: Sequence[Template]):
        self.trie = Trie(templates)

    def assign(self, contents: Sequence[bytes], cache: bool = True) -> List[int]:
        """Template id per content (-1 = none); ``cache=False`` when contents are distinct."""
        find, seen = self.trie.find, {}
        out = []
        for content in contents:
            tid = seen.get(content)
            if tid is None:
                tid = find(tokenize(content))
                if cache and len(content) <= CACHE_MAX_LENGTH:
                    seen[content] = tid
            out.append(tid)
        return out

    def match(self, contents: Sequence[bytes]):
        """(tids, columns, unmatched) as in :class:`~logzip.cluster.template.Matches`."""
        trie = self.trie
        columns = [[[] for _ in range(n)] for n in trie.n_slots]
        tids, unmatched, cache = [], [], {}
        for content in contents:
            hit = cache.get(content)
            if hit is None:
                tokens = tokenize(content)
                tid = trie.find(tokens)
                values = ()
                if tid >= 0:
                    values = tuple(
                        tokens[p][a:len(tokens[p]) - b]
                        for p, (a, b) in zip(trie.slot_positions[tid], trie.slot_cuts[tid]))
                hit = (tid, values)
                if len(content) <= CACHE_MAX_LENGTH:
                    cache[content] = hit
            tid, values = hit
            tids.append(tid)
            if tid < 0:
                unmatched.append(content)
            else:
                for column, value in zip(columns[tid], values):
                    column.append(value)
        return tids, columns, unmatched


def build_matcher(templates: Sequence[Template]):
    """The compiled matcher when the extension is built, else :class:`PyMatcher`."""
    try:
        from ._match import CMatcher
    except ImportError:
        return PyMatcher(templates)
    return CMatcher(Trie(templates))
