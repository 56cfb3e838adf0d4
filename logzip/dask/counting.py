"""Count patterns in archives on a Dask cluster: tasks of blocks, sums exact across their seams.

The archives are cut into parts of about ``task_bytes`` of text (consecutive blocks of one
archive; small archives are bundled into one task) and each task counts, in its compressed
streams, the matches that lie inside each of its parts (:meth:`StreamArchive.counts` over
the part's blocks). A match across the seam between two parts lies in none: each task also
returns the first and last ``len(pattern) - 1`` bytes of its parts, and the client counts
the matches of the few bytes around every seam. A match is counted once, in the part where
it ends, even when it spans a part shorter than the pattern.
"""
from typing import List

from fmindex.index import as_pattern

from ..search._scan import Automaton, scan_text
from ..search.archive import StreamArchive
from .cluster import connected
from .parts import expand, parts, runs

TASK_BYTES = 64 << 20


def count(patterns, archives, *, client=None, task_bytes: int = TASK_BYTES) -> List[List[int]]:
    """The count of each pattern (``bytes`` or ``str``, overlapping occurrences included) in each
    archive of ``archives`` (paths or glob patterns, read by the workers): one list of counts an
    archive, in order, equal to ``logzip.search.open(archive).counts(patterns)``."""
    raws = [as_pattern(p.encode("utf-8") if isinstance(p, str) else p) for p in patterns]
    paths = expand(archives)
    found = [part for path in paths for part in parts(path, task_bytes, lambda ref: ref.raw_len)]
    bundles = runs(found, lambda part: part.raw_len, task_bytes)
    with connected(client) as cluster:
        results = cluster.gather(cluster.map(_count_parts, bundles, patterns=raws, pure=False))
    by_path = {path: [] for path in paths}
    for bundle, outcomes in zip(bundles, results):
        for part, outcome in zip(bundle, outcomes):
            by_path[part.path].append(outcome)
    return [_sum_across_seams(by_path[path], raws) for path in paths]


def _count_parts(bundle, patterns) -> list:
    """Per part: the counts inside it, its first and last bytes (as many as a seam needs)."""
    keep = max(len(p) for p in patterns) - 1
    out = []
    for part in bundle:
        with StreamArchive(part.path) as archive:
            counts = archive.counts(patterns, part.blocks)
            head = archive.extract(part.start, min(part.start + keep, part.end))
            tail = archive.extract(max(part.end - keep, part.start), part.end)
        out.append((counts, head, tail))
    return out


def _sum_across_seams(outcomes, patterns) -> List[int]:
    """The counts of one archive: the parts' own, plus the matches around each seam."""
    totals = [0] * len(patterns)
    automata = [Automaton(pattern) for pattern in patterns]
    keep = max(len(p) for p in patterns) - 1
    before = b""   # the last ``keep`` bytes of the text before the current part
    for counts, head, tail in outcomes:
        for k, automaton in enumerate(automata):
            totals[k] += counts[k]
            side = automaton.m - 1
            if side and before:   # every match in these < 2m bytes spans the seam
                totals[k] += scan_text(before[-side:] + head[:side], 0, automaton)[0]
        before = (before + tail)[-keep:] if keep else b""
    return totals
