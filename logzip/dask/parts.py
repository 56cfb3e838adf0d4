"""Archives cut into parts: runs of consecutive blocks that a task reads or searches alone."""
import builtins
import glob
import os
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple, Union

from ..container import crc32
from ..errors import CorruptArchiveError, LogzipError
from ..pipeline import decompress_block
from ..search.archive import StoredBlockRef, block_refs


@dataclass(frozen=True)
class Part:
    """Blocks ``first`` to ``first + len(refs) - 1`` of the archive at ``path``."""

    path: str
    first: int
    refs: Tuple[StoredBlockRef, ...]

    @property
    def blocks(self) -> range:
        return range(self.first, self.first + len(self.refs))

    @property
    def start(self) -> int:
        """Offset of the part's text in the archive's text."""
        return self.refs[0].raw_offset

    @property
    def end(self) -> int:
        return self.refs[-1].raw_offset + self.refs[-1].raw_len

    @property
    def raw_len(self) -> int:
        return self.end - self.start


def expand(paths: Union[str, os.PathLike, Iterable]) -> List[str]:
    """Paths, each glob pattern replaced by its sorted matches (as dask.bag.read_text takes them)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found = []
    for path in map(os.fspath, paths):
        if glob.has_magic(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise LogzipError(f"{path}: no file matches")
            found += matches
        elif not os.path.isfile(path):
            raise LogzipError(f"{path}: no such file")
        else:
            found.append(path)
    return found


def runs(items: Sequence, weight, target) -> List[list]:
    """``items`` cut, in order, into runs whose weights add up to at least ``target`` (the last may
    weigh less)."""
    out, run, total = [], [], 0
    for item in items:
        run.append(item)
        total += weight(item)
        if total >= target:
            out.append(run)
            run, total = [], 0
    return out + ([run] if run else [])


def parts(path: str, target, weight=lambda ref: 1) -> List[Part]:
    """The archive at ``path`` cut into parts that each weigh ``target`` (by default a number of
    blocks); a part with no text is left out, so that every part has some."""
    numbered = list(enumerate(block_refs(path)))
    found = [Part(path, run[0][0], tuple(ref for _, ref in run))
             for run in runs(numbered, lambda item: weight(item[1]), target)]
    return [part for part in found if part.raw_len]


def decode(part: Part) -> bytes:
    """The text of ``part``, every block checked against its checksums."""
    pieces = []
    with builtins.open(part.path, "rb") as fileobj:
        for ref in part.refs:
            fileobj.seek(ref.offset)
            payload = fileobj.read(ref.length)
            if len(payload) != ref.length or crc32(payload) != ref.crc:
                raise CorruptArchiveError(f"{part.path}: corrupt archive: block payload checksum mismatch")
            pieces.append(decompress_block(ref, payload))
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
