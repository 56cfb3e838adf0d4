"""Search archives on a Dask cluster: tasks of blocks, answers exact across their seams.

The archives are cut into parts of about ``task_bytes`` of text (consecutive blocks of one
archive; small archives are bundled into one task) and each task counts or locates, in the
compressed streams, the matches that lie inside each of its parts (:class:`StreamArchive`
over the part's blocks). A match across the seam between two parts lies in none: each task
also returns the first and last ``len(pattern) - 1`` bytes of its parts, and the client
searches the few bytes around every seam. A match is found once, at the seam before the
part where it ends, even when it spans a part shorter than the pattern. Hits are merged
in offset order; their line numbers are computed where the blocks are read (the workers).
"""
from typing import List

from fmindex.index import as_pattern

from ..search._scan import Automaton, match_ends, scan_text
from ..search.archive import StreamArchive
from .cluster import client_for, worker_threads
from .parts import expand, parts, runs

TASK_BYTES = 64 << 20
TASKS_PER_THREAD = 4


def count(patterns, archives, *, client=None, task_bytes: int = TASK_BYTES) -> List[List[int]]:
    """The count of each pattern (``bytes`` or ``str``, overlapping occurrences included) in each
    archive of ``archives`` (paths or glob patterns, read by the workers): one list of counts an
    archive, in order, equal to ``logzip.search.open(archive).counts(patterns)``."""
    raws = [_pattern(p) for p in patterns]
    automata = [Automaton(raw) for raw in raws]
    outcomes = _per_part(client_for(client), _count_parts, archives, task_bytes, patterns=raws)
    found = []
    for per_part in outcomes.values():
        totals = [0] * len(raws)
        for _, (counts, _, _) in per_part:
            totals = [total + number for total, number in zip(totals, counts)]
        for _, window, _ in _seam_windows(per_part, [a.m - 1 for a in automata]):
            for k, automaton in enumerate(automata):
                totals[k] += scan_text(window[k], 0, automaton)[0]
        found.append(totals)
    return found


def hits(pattern, archives, *, client=None, limit=None, task_bytes: int = TASK_BYTES) -> list:
    """The occurrences of ``pattern`` in each archive of ``archives``, in offset order (the first
    ``limit`` of each): one list of :class:`fmindex.Hit` an archive, as
    ``logzip.search.open(archive).hits(pattern, limit)`` gives them."""
    raw = _pattern(pattern)
    automaton = Automaton(raw)
    side = automaton.m - 1
    cluster = client_for(client)
    outcomes = _per_part(cluster, _hits_of_parts, archives, task_bytes, pattern=raw, limit=limit)
    seams = {path: [] for path in outcomes}
    for path, per_part in outcomes.items():
        for part, window, left in _seam_windows(per_part, [side]):
            ends = match_ends(window[0], 0, automaton)[0]
            seams[path] += (part.start - left[0] + ends - side).tolist()
    crossing = [path for path, offsets in seams.items() if offsets]
    at_seams = dict(zip(crossing, cluster.gather(cluster.map(
        _hits_at, crossing, [seams[path] for path in crossing], pure=False))))
    found = []
    for path, per_part in outcomes.items():
        merged = [hit for _, (part_hits, _, _) in per_part for hit in part_hits] + at_seams.get(path, [])
        merged.sort(key=lambda hit: hit.offset)
        found.append(merged if limit is None else merged[:limit])
    return found


def _pattern(pattern) -> bytes:
    return as_pattern(pattern.encode("utf-8") if isinstance(pattern, str) else pattern)


def _per_part(cluster, task, archives, task_bytes: int, **arguments) -> dict:
    """Archive path -> ``[(part, what task found in it)]``, the parts in order. Small archives are
    bundled into tasks of ``task_bytes``, but into no fewer than TASKS_PER_THREAD tasks a worker
    thread, so that a little work is still spread over the whole cluster."""
    paths = expand(archives)
    found = [part for path in paths for part in parts(path, task_bytes, lambda ref: ref.raw_len)]
    spread = sum(part.raw_len for part in found) // (TASKS_PER_THREAD * worker_threads(cluster))
    bundles = runs(found, lambda part: part.raw_len, max(1, min(task_bytes, spread)))
    results = cluster.gather(cluster.map(task, bundles, **arguments, pure=False))
    outcomes = {path: [] for path in paths}
    for bundle, per_part in zip(bundles, results):
        for part, outcome in zip(bundle, per_part):
            outcomes[part.path].append((part, outcome))
    return outcomes


def _seam_windows(per_part, sides):
    """For each part after an archive's first: ``(part, windows, lefts)``, for each side in
    ``sides`` (a pattern's length - 1) the window of ``side`` bytes each side of the seam before
    the part and the length of its left side. A window holds less than two patterns, so every
    match in it spans the seam."""
    keep = max(sides)
    before = b""   # the last ``keep`` bytes of the text before the current part
    for part, (_, head, tail) in per_part:
        if before and keep:
            lefts = [before[max(0, len(before) - side):] if side else b"" for side in sides]
            yield part, [left + head[:side] if side else b"" for left, side in zip(lefts, sides)], \
                [len(left) for left in lefts]
        before = (before + tail)[-keep:] if keep else b""


def _edges(archive: StreamArchive, part, keep: int) -> tuple:
    """The first and last ``keep`` bytes of ``part`` (all of it when it is shorter)."""
    return (archive.extract(part.start, min(part.start + keep, part.end)),
            archive.extract(max(part.end - keep, part.start), part.end))


def _count_parts(bundle, patterns) -> list:
    """Per part: the counts of the matches inside it, and its edges."""
    keep = max(len(p) for p in patterns) - 1
    out = []
    for part in bundle:
        with StreamArchive(part.path) as archive:
            out.append((archive.counts(patterns, part.blocks), *_edges(archive, part, keep)))
    return out


def _hits_of_parts(bundle, pattern, limit) -> list:
    """Per part: the hits inside it (the first ``limit``), and its edges."""
    out = []
    for part in bundle:
        with StreamArchive(part.path) as archive:
            offsets = archive.locate(pattern, limit, blocks=part.blocks)
            out.append((archive.hits_at(offsets), *_edges(archive, part, len(pattern) - 1)))
    return out


def _hits_at(path: str, offsets) -> list:
    with StreamArchive(path) as archive:
        return archive.hits_at(sorted(offsets))
