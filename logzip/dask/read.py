"""Archives as Dask collections: a partition per block, or per run of blocks.

A ``.logz`` is made of independent blocks, so one large archive is read by many workers
at once (Dask reads a gzip or zstd file in one partition). A partition holds the lines that
*start* in its blocks: a line cut between blocks (longer than a block, or cut by a flush)
is handed whole to the partition where it starts, through small tasks that pass each
part's first line back to the one before it, so the partitions joined are the archive's
text byte for byte.
"""
from typing import List

import dask
import dask.bag

from ..search.archive import block_refs
from .parts import Part, decode, expand, parts


def read_bytes(paths, blocks_per_partition: int = 1) -> List[list]:
    """For each archive of ``paths`` (paths or glob patterns), its partitions as delayed
    ``bytes`` of whole lines, in order: joined, they are the archive's text exactly."""
    if blocks_per_partition < 1:
        raise ValueError(f"blocks_per_partition must be at least 1, not {blocks_per_partition}")
    return [_chunks(path, blocks_per_partition) for path in expand(paths)]


def read_text(paths, encoding="utf-8", errors: str = "strict", blocks_per_partition: int = 1) -> dask.bag.Bag:
    """A bag of the lines of the archives of ``paths``, each with its terminator, as
    ``dask.bag.read_text`` gives them, but byte-exact: a CRLF line keeps its ``"\\r\\n"`` and
    only ``"\\n"`` ends a line. ``encoding=None`` gives ``bytes`` lines, for logs that are not
    text in one encoding; otherwise each partition is decoded with ``encoding`` and
    ``errors`` (one that writes a newline as the byte ``\\n``: UTF-8, Latin-1, ASCII...)."""
    chunks = [chunk for archive in read_bytes(paths, blocks_per_partition) for chunk in archive]
    if not chunks:
        return dask.bag.from_sequence([], npartitions=1)
    return dask.bag.from_delayed([dask.delayed(split_lines)(chunk, encoding, errors) for chunk in chunks])


def split_lines(chunk: bytes, encoding=None, errors: str = "strict") -> list:
    """The lines of ``chunk``, each with its ``\\n`` (the last one may have none)."""
    text = chunk if encoding is None else chunk.decode(encoding, errors)
    newline = b"\n" if encoding is None else "\n"
    pieces = text.split(newline)
    lines = [piece + newline for piece in pieces[:-1]]
    return lines + [pieces[-1]] if pieces[-1] else lines


def _chunks(path: str, blocks_per_partition: int) -> list:
    """The delayed whole-line chunks of one archive; each task needs only its neighbours, so the
    cluster holds a few decoded parts at a time, not the archive."""
    found = parts(path, blocks_per_partition)
    texts = [dask.delayed(decode)(part) for part in found]
    edges = [dask.delayed(_edges)(text) for text in texts]
    rests = [dask.delayed(_line_rest)(edges[k + 1], path, found[k + 1].blocks.stop)
             for k in range(len(found) - 1)] + [b""]
    return [dask.delayed(_whole_lines)(text, edges[k - 1] if k else None, rests[k])
            for k, text in enumerate(texts)]


def _edges(text: bytes) -> tuple:
    """What the parts around need of a part's text: whether it ends inside a line, and its
    first line (all of it when it holds no newline)."""
    cut = text.find(b"\n") + 1
    return not text.endswith(b"\n"), text[:cut] if cut else text


def _line_rest(next_edges: tuple, path: str, after: int) -> bytes:
    """The bytes from a part's end to the end of the line it ends inside (when it does): the next
    part's first line, and when that part holds no newline, the blocks from ``after`` on, read
    here until one does (a line longer than a part: rare)."""
    pieces = [next_edges[1]]
    refs = block_refs(path) if not pieces[0].endswith(b"\n") else []
    for number in range(after, len(refs)):
        text = decode(Part(path, number, (refs[number],)))
        cut = text.find(b"\n") + 1
        pieces.append(text[:cut] if cut else text)
        if cut:
            break
    return b"".join(pieces)


def _whole_lines(text: bytes, previous_edges, rest: bytes) -> bytes:
    """The lines that start in ``text``: without the end of a line begun before it, with the
    rest of a line it ends inside."""
    if previous_edges is not None and previous_edges[0]:
        cut = text.find(b"\n") + 1
        text = text[cut:] if cut else b""
    return text + rest if text and not text.endswith(b"\n") else text
