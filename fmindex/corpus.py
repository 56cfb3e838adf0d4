"""A corpus: shards of FM-index over consecutive slices of one text, with its documents.

The text is the concatenation of the documents: the lines of a log, the files
of a folder (in sorted path order, as they are), or the ``text`` field of the
records of a JSONL file (each followed by b"\\n"); a file that does not end with
a line feed gets one, so that every document starts a line. It is cut into
shards at line boundaries; each shard is built on its own, so building needs
memory in proportion to the shard, not to the corpus. A count is the sum over
shards plus the matches that straddle shard boundaries (found in the text
extracted around each boundary), a locate their union; a match never crosses
a document boundary (file or record): those are taken out again.

``.fmi`` file layout (integers little-endian)::

    b"FMICORP\\0" | version u16 | reserved u16 | meta_len u32 | meta (JSON) | crc32 u32
    zero padding to 64 | document starts (u64 each, when documents are not lines) | shards

``meta`` holds the corpus kind, the document names and where every shard and
table lies. Shards may also lie inside another container (an indexed ``.logz``
archive stores one per block): :func:`open_sections` maps them from there.
"""
import builtins
import contextlib
import errno
import json
import mmap
import os
import signal
import stat
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import numpy as np

from .errors import CorruptIndexError, IndexClosedError, OutputExistsError
from .format import ALIGNMENT
from .index import FMIndex, as_pattern, build_shard

MAGIC = b"FMICORP\x00"
VERSION = 1
HEAD = struct.Struct("<8sHHI")
CRC = struct.Struct("<I")
SHARD_SIZE = 256 << 20  # bytes of text per shard when building a standalone index
KINDS = ("lines", "files", "records")
LOCATE_PER_BOUNDARY = 8  # a located match costs ~8 us, the text around a boundary ~64 us (an extract)


@dataclass(frozen=True)
class Hit:
    """One occurrence: its ``offset`` in the corpus text, its document (0-based; for a log, the
    line index) and offset in it, its 1-based line number (within the document for files and records)."""

    offset: int
    doc: int
    doc_offset: int
    line: int


@dataclass(frozen=True)
class Shard:
    """An index over text[raw_offset:raw_offset + len(index)], whose first line is first_line."""

    index: FMIndex
    raw_offset: int
    first_line: int


class Corpus:
    """Shards and documents, queried as one text.

    Answers are exact whatever the sharding: a match that straddles shard
    boundaries is found in the text extracted around each boundary (the
    len(pattern) - 1 bytes on each side); a match that would cross a document
    boundary (files, records) is not one.
    """

    CHUNK = 1 << 16  # hits per chunk of iter_hits

    def __init__(self, shards: List[Shard], kind: str = "lines", names: Optional[List[str]] = None,
                 doc_starts: Optional[np.ndarray] = None, source: str = "", mapping=None,
                 lf_docs: bool = False):
        self.shards = shards
        self.kind = kind
        self.names = names or []
        self.doc_starts = doc_starts  # None for "lines"; else n_docs + 1 offsets
        self.source = source
        self._mapping = mapping  # the mmap the shards view, closed by close()
        self._closed = False
        self._raw_starts = np.array([s.raw_offset for s in shards], dtype=np.int64)
        self._raw_ends = np.array([s.raw_offset + len(s.index) for s in shards], dtype=np.int64)
        self._cores = None  # the shards' cores, once their checksums are checked (first query)
        self._length = int(self._raw_ends[-1]) if shards else 0
        # document boundaries a match must not cross; lf_docs: every document ends with a line
        # feed, so only a pattern with a line feed before its last byte can cross one
        cuts = np.unique(doc_starts[1:-1]) if doc_starts is not None and len(doc_starts) > 2 else []
        self._doc_cuts = [int(c) for c in cuts if 0 < c < self._length]
        self._lf_docs = lf_docs or kind == "records"
        self._after_lf = None  # whether each shard after the first starts after a line feed
        self._boundaries = len(shards) > 1 or bool(self._doc_cuts)  # a count is more than a sum

    # ------------------------------------------------------------ context manager

    def close(self) -> None:
        self.shards, self._cores, self._closed = [], None, True
        self._length = 0
        if self._mapping is not None:
            mapping, self._mapping = self._mapping, None
            _close(mapping)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _open_cores(self) -> list:
        """The cores of the shards, their tables checked against their checksums on first use."""
        if self._closed:
            raise IndexClosedError(f"{self.source or 'corpus'}: the index is closed")
        if self._cores is None:
            self._cores = [s.index.core() for s in self.shards]
        return self._cores

    # ------------------------------------------------------------ sizes

    def __len__(self) -> int:
        self._open_cores()
        return self._length

    @property
    def n_lines(self) -> int:
        self._open_cores()
        last = self.shards[-1] if self.shards else None
        return last.first_line + last.index.n_lines if last else 0

    @property
    def n_docs(self) -> int:
        self._open_cores()
        return self.n_lines if self.doc_starts is None else len(self.doc_starts) - 1

    @property
    def nbytes(self) -> int:
        self._open_cores()
        return sum(s.index.nbytes for s in self.shards)

    # ------------------------------------------------------------ queries

    def count(self, pattern) -> int:
        """Occurrences of ``pattern``, overlapping ones included (0 when longer than the text)."""
        cores = self._cores or self._open_cores()
        pattern = as_pattern(pattern)
        total = 0
        for core in cores:
            total += core.count(pattern)  # 0 from a shard shorter than the pattern
        return self._across_boundaries(pattern, total) if self._boundaries else total

    def counts(self, patterns) -> List[int]:
        """The count of every pattern (the interface archives searched in their streams share,
        where one pass over the blocks serves all patterns)."""
        return [self.count(p) for p in patterns]

    def _across_boundaries(self, pattern: bytes, total: int) -> int:
        """``total``, the sum of the shards' counts, made exact: plus the matches across shard
        boundaries, minus those across document boundaries."""
        total += sum(len(self._straddling(k, pattern)) for k in range(1, len(self.shards)))
        if self._crosses_docs(pattern):
            total -= self._doc_crossings(pattern, total)
        return total

    def locate(self, pattern, limit: Optional[int] = None, first: bool = False) -> np.ndarray:
        """Sorted corpus offsets of the occurrences: at most ``limit``, taken shard by shard in
        text order, any of a shard's (the fastest) or with ``first`` its first ones."""
        self._open_cores()
        pattern = as_pattern(pattern)
        found = []
        for k in range(len(self.shards)):
            if limit is not None and limit <= 0:
                break
            positions = self._shard_offsets(k, pattern, limit, first)
            found.append(positions)
            if limit is not None:
                limit -= len(positions)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)

    def hits(self, pattern, limit: Optional[int] = None, first: bool = False) -> List[Hit]:
        """Located occurrences with their documents and line numbers (``limit``, ``first``: see locate)."""
        return self._hits_at(self.locate(pattern, limit, first))

    def iter_hits(self, pattern, first: bool = True) -> Iterator[Hit]:
        """Every occurrence as a Hit, in text order (``first``) or in any order, lazily.

        Memory: with ``first``, the offsets of one shard's occurrences (4 bytes each, sorted
        in place) and a chunk; without, one chunk of CHUNK occurrences.
        """
        self._open_cores()
        pattern = as_pattern(pattern)
        for k in range(len(self.shards)):
            for offsets in self._shard_chunks(k, pattern, first):
                for start in range(0, len(offsets), self.CHUNK):
                    yield from self._hits_at(offsets[start: start + self.CHUNK])

    def _hits_at(self, offsets: np.ndarray) -> List[Hit]:
        lines = self.lines_of(offsets)
        if self.doc_starts is None:
            docs = lines
            doc_offsets = offsets - np.array([self.line_start(int(k)) for k in lines], dtype=np.uint64)
            numbers = lines + 1
        else:
            docs = np.searchsorted(self.doc_starts, offsets, side="right") - 1
            doc_offsets = offsets - self.doc_starts[docs]
            first_lines = self.lines_of(self.doc_starts[docs])
            numbers = lines - first_lines + 1
        return [Hit(int(o), int(d), int(do), int(k))
                for o, d, do, k in zip(offsets, docs, doc_offsets, numbers)]

    # ------------------------------------------------------------ boundaries

    def _shard_offsets(self, k: int, pattern: bytes, limit: Optional[int], first: bool) -> np.ndarray:
        """Sorted corpus offsets of the matches starting in shard k (at most ``limit``)."""
        index, raw = self.shards[k].index, np.uint64(self.shards[k].raw_offset)
        positions = self._in_docs(index.locate(pattern, limit, first) + raw, pattern)
        if limit is not None and len(positions) < limit and not first and self._crosses_docs(pattern):
            positions = self._in_docs(index.locate(pattern) + raw, pattern)  # some fell out: take all
        straddling = self._straddling(k + 1, pattern)
        if straddling:
            positions = np.sort(np.concatenate((positions, np.array(straddling, dtype=np.uint64))))
        return positions[:limit] if limit is not None else positions

    def _shard_chunks(self, k: int, pattern: bytes, first: bool) -> Iterator[np.ndarray]:
        """The offsets of the matches starting in shard k, chunk by chunk: all of them sorted
        (``first``: 4 bytes a match, a shard holding less than 2 GiB) or each chunk sorted.
        Those across the next shard's start come last: they start after every other one."""
        core, raw = self.shards[k].index.core(), np.uint64(self.shards[k].raw_offset)
        sp, ep = core.search(pattern)
        if first:
            local = np.empty(ep - sp, dtype=np.uint32)
            for row in range(sp, ep, self.CHUNK):
                local[row - sp: row - sp + self.CHUNK] = core.locate_rows(row, min(ep, row + self.CHUNK))
            local.sort()
            for start in range(0, len(local), self.CHUNK):
                yield self._in_docs(local[start: start + self.CHUNK].astype(np.uint64) + raw, pattern)
        else:
            for row in range(sp, ep, self.CHUNK):
                yield self._in_docs(np.sort(core.locate_rows(row, min(ep, row + self.CHUNK))) + raw, pattern)
        straddling = self._straddling(k + 1, pattern)
        if straddling:
            yield np.array(straddling, dtype=np.uint64)

    def _doc_span(self, offset: int):
        """(start, end) of the document holding byte ``offset`` (the whole text for logs)."""
        if self.doc_starts is None:
            return 0, self._length
        doc = int(np.searchsorted(self.doc_starts, offset, side="right")) - 1
        return int(self.doc_starts[doc]), int(self.doc_starts[doc + 1])

    def _window_matches(self, pattern: bytes, cut: int, low: int, high: int) -> List[int]:
        """Starts s of the matches with max(low, cut - m + 1) <= s < cut and s + m <= high."""
        m = len(pattern)
        lo, hi = max(low, cut - m + 1), min(high, cut + m - 1, self._length)
        if hi - lo < m:
            return []
        window, found = self.extract(lo, hi), []
        start = window.find(pattern)
        while 0 <= start < cut - lo:
            found.append(lo + start)
            start = window.find(pattern, start + 1)
        return found

    def _straddling(self, k: int, pattern: bytes) -> List[int]:
        """Matches across the boundary before shard k that cross no earlier shard boundary
        (so a match over 3+ shards counts once) and no document boundary."""
        if not 0 < k < len(self.shards) or len(pattern) < 2:
            return []
        if self._after_lf is None:  # shards end at line ends, but for lines longer than a shard
            self._after_lf = [self.extract(s.raw_offset - 1, s.raw_offset) == b"\n" for s in self.shards[1:]]
        if self._after_lf[k - 1] and b"\n" not in pattern[:-1]:
            return []  # a match across a line feed that ends a shard holds that line feed
        cut = self.shards[k].raw_offset
        doc_start, doc_end = self._doc_span(cut - 1)
        return self._window_matches(pattern, cut, max(self.shards[k - 1].raw_offset, doc_start), doc_end)

    def _crosses_docs(self, pattern: bytes) -> bool:
        """Whether a match of ``pattern`` may cross a document boundary."""
        return bool(self._doc_cuts) and len(pattern) > 1 and (not self._lf_docs or b"\n" in pattern[:-1])

    def _in_docs(self, offsets: np.ndarray, pattern: bytes) -> np.ndarray:
        """The offsets whose match lies inside one document."""
        if not self._crosses_docs(pattern) or not len(offsets):
            return offsets
        first = np.searchsorted(self.doc_starts, offsets, side="right")
        last = np.searchsorted(self.doc_starts, offsets + np.uint64(len(pattern) - 1), side="right")
        return offsets[first == last]

    def _doc_crossings(self, pattern: bytes, total: int) -> int:
        """Matches inside one shard that cross a document boundary (counted by the shards)."""
        crossing = 0
        if total <= LOCATE_PER_BOUNDARY * len(self._doc_cuts):  # locate them, cheaper than the boundaries
            for shard in self.shards:
                core, raw = shard.index.core(), np.uint64(shard.raw_offset)
                sp, ep = core.search(pattern)
                for row in range(sp, ep, self.CHUNK):
                    offsets = core.locate_rows(row, min(ep, row + self.CHUNK)) + raw
                    crossing += len(offsets) - len(self._in_docs(offsets, pattern))
            return crossing
        for cut in self._doc_cuts:
            k = self._shard_of(cut - 1)
            doc_start, _ = self._doc_span(cut - 1)
            crossing += len(self._window_matches(pattern, cut, max(doc_start, int(self._raw_starts[k])),
                                                 int(self._raw_ends[k])))
        return crossing

    def _shard_of(self, offset: int) -> int:
        return min(int(np.searchsorted(self._raw_ends, offset, side="right")), len(self.shards) - 1)

    def extract(self, start: int, end: int) -> bytes:
        """Corpus bytes [start, end), across shards when needed."""
        self._open_cores()
        start, end = max(0, start), min(end, len(self))
        parts = []
        while start < end:
            shard = self.shards[self._shard_of(start)]
            stop = min(end, shard.raw_offset + len(shard.index))
            parts.append(shard.index.extract(start - shard.raw_offset, stop - shard.raw_offset))
            start = stop
        return b"".join(parts)

    def lines_of(self, offsets) -> np.ndarray:
        """Global 0-based line number of each corpus offset."""
        self._open_cores()
        offsets = np.asarray(offsets, dtype=np.uint64)
        out = np.empty(len(offsets), dtype=np.int64)
        if not len(offsets):
            return out
        owners = np.minimum(np.searchsorted(self._raw_ends, offsets, side="right"), len(self.shards) - 1)
        for number in np.unique(owners):
            shard, mask = self.shards[number], owners == number
            local = offsets[mask] - np.uint64(shard.raw_offset)
            out[mask] = shard.index.lines_of(local).astype(np.int64) + shard.first_line
        return out

    def line_start(self, line: int) -> int:
        """Corpus offset of global 0-based ``line`` (len(self) past the last one)."""
        self._open_cores()
        for shard in self.shards:
            if line < shard.first_line + shard.index.n_lines:
                return shard.raw_offset + shard.index.line_start(max(0, line - shard.first_line))
        return len(self)

    def line(self, line: int) -> bytes:
        return self.extract(self.line_start(line), self.line_start(line + 1))

    def lines(self, lines) -> List[bytes]:
        """Lines ``lines`` (sorted), each with its terminator: every run of consecutive lines is
        extracted at once, which walks the index once for the run instead of once a line."""
        lines = [int(k) for k in lines]
        out, at = [], 0
        while at < len(lines):
            end = at + 1
            while end < len(lines) and lines[end] == lines[end - 1] + 1:
                end += 1
            bounds = [self.line_start(k) for k in range(lines[at], lines[end - 1] + 2)]
            text = self.extract(bounds[0], bounds[-1])
            out += [text[a - bounds[0]:b - bounds[0]] for a, b in zip(bounds, bounds[1:])]
            at = end
        return out

    def doc_name(self, doc: int) -> str:
        self._open_cores()
        return self.names[doc] if doc < len(self.names) else ""

    def verify(self) -> None:
        self._open_cores()
        for shard in self.shards:
            shard.index.verify()


# ---------------------------------------------------------------- documents

def read_documents(path, kind: Optional[str] = None, text_field: str = "text", exclude=None):
    """(kind, names, iterator of document bytes) for a log file, a folder or a JSONL file
    (``exclude``: a path left out of a folder, e.g. the index being written into it)."""
    path = Path(path)
    if kind is None:
        kind = "files" if path.is_dir() else "records" if path.suffix == ".jsonl" else "lines"
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "files":
        files = _folder_files(path)
        if exclude is not None:
            files = [p for p in files if p.resolve() != Path(exclude).resolve()]
        names = [str(p.relative_to(path)) for p in files]
        return kind, names, (_ending_line(p.read_bytes()) for p in files)
    if kind == "records":
        return kind, [], _records(path, text_field)
    return kind, [], iter([path.read_bytes()])


def _folder_files(folder: Path) -> List[Path]:
    """The regular files under ``folder``, in sorted order of their relative paths; symbolic links
    (to files or folders) are skipped, so that no file counts twice and the walk stays inside."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in files:
            path = Path(root, name)
            if not path.is_symlink() and path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _ending_line(document: bytes) -> bytes:
    """A document ending with a line feed (one is added when missing), so that the next one
    starts a line of its own."""
    return document if not document or document.endswith(b"\n") else document + b"\n"


def _records(path: Path, text_field: str) -> Iterator[bytes]:
    with builtins.open(path, "rb") as fileobj:
        for number, line in enumerate(fileobj, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record[text_field]
            except (ValueError, UnicodeDecodeError) as error:
                raise ValueError(f"{path}:{number}: not a JSON record ({error})") from None
            except (KeyError, TypeError):
                raise ValueError(f"{path}:{number}: record has no {text_field!r} field") from None
            if not isinstance(text, str):
                raise ValueError(f"{path}:{number}: field {text_field!r} is not a string")
            yield text.encode("utf-8", "surrogatepass") + b"\n"


def _slices(documents: Iterable[bytes], shard_size: int) -> Iterator[bytes]:
    """Cut the concatenated documents into pieces of at most about shard_size bytes, at line ends.

    A document that fits is never copied on its own, so indexing one log file
    in one shard holds the file once.
    """
    pending, pending_size = [], 0
    for document in documents:
        view, start = memoryview(document), 0
        while len(document) - start > shard_size - pending_size:
            room = shard_size - pending_size
            cut = document.rfind(b"\n", start, start + room) + 1
            if cut <= start:  # no line end in reach: close the pending piece, or cut the line
                if pending:
                    yield b"".join(pending)
                    pending, pending_size = [], 0
                    continue
                cut = start + room
            pending.append(view[start:cut])
            yield b"".join(pending)
            pending, pending_size, start = [], 0, cut
        if start < len(document):
            pending.append(document if start == 0 else view[start:])
            pending_size += len(document) - start
    if len(pending) == 1 and isinstance(pending[0], bytes):
        yield pending[0]
    elif pending:
        yield b"".join(pending)


EXISTS = "already exists"   # OutputExistsError's message: build(overwrite=True) replaces it


def build(source, output, *, kind: Optional[str] = None, text_field: str = "text",
          shard_size: int = SHARD_SIZE, overwrite: bool = False, progress=None, **shard_options) -> None:
    """Write the ``.fmi`` index of a log file, a folder or a JSONL file; ``progress``, if given,
    is called with the bytes of text indexed so far after each shard.

    An existing ``output`` is replaced only with ``overwrite`` (else OutputExistsError), never
    when it is ``source`` itself. The index is written to a temporary file of a unique name
    next to ``output``, renamed on success and removed on any error, and on SIGTERM.
    """
    output = Path(output)
    _check_output(Path(source), output, overwrite)
    kind, names, documents = read_documents(source, kind, text_field, exclude=output)
    doc_lengths = []

    def counted(docs):
        for document in docs:
            doc_lengths.append(len(document))
            yield document

    handle, partial = _temporary(output)
    shards = []
    try:
        with _removed_on_sigterm(partial), builtins.open(handle, "wb") as out:
            body = []
            raw_offset = first_line = 0
            for piece in _slices(counted(documents), shard_size):
                blob = build_shard(piece, **shard_options)
                shards.append([len(body), len(blob), first_line, raw_offset])
                body.append(blob)
                raw_offset += len(piece)
                first_line += piece.count(b"\n")  # a line cut between shards goes on in the next
                del piece
                if progress is not None:
                    progress(raw_offset)
            doc_starts = np.concatenate(([0], np.cumsum(doc_lengths, dtype=np.uint64))).astype(np.uint64)
            _write_corpus(out, kind, names, doc_starts if kind != "lines" else None, shards, body,
                          raw_offset, text_field)
        _publish(partial, output, overwrite)
    except OSError as error:
        if error.filename is None:    # a full disk, say: name the file it happened to
            raise OSError(error.errno, error.strerror, str(output)) from error
        raise
    finally:
        _unlink(partial)


def _check_output(source: Path, output: Path, overwrite: bool) -> None:
    """Refuse an output that is the input, that is not a regular file (a device, a FIFO, a
    symbolic link: renaming over it would replace it), or that exists, unless ``overwrite``."""
    if not (output.exists() or output.is_symlink()):
        return
    if source.exists() and output.exists() and os.path.samefile(source, output):
        raise ValueError(f"{output}: the output is the input")
    if output.is_symlink() or not stat.S_ISREG(output.stat().st_mode):
        raise OutputExistsError(errno.EEXIST, "exists and is not a regular file (a device, FIFO or link): "
                                "an index is written to a new or regular file only", str(output))
    if not overwrite:
        raise OutputExistsError(errno.EEXIST, EXISTS, str(output))


def _publish(partial: Path, output: Path, overwrite: bool) -> None:
    """Give the finished index its name: os.replace, or a link that cannot replace a file that
    appeared in the meantime."""
    if overwrite:
        os.replace(partial, output)
        return
    try:
        os.link(partial, output)
    except FileExistsError:
        raise OutputExistsError(errno.EEXIST, EXISTS, str(output)) from None
    except OSError:  # no hard links on this file system
        if output.exists():
            raise OutputExistsError(errno.EEXIST, EXISTS, str(output)) from None
        os.replace(partial, output)


def _temporary(output: Path):
    """(file descriptor, path) of a new file of a unique name next to ``output`` (the umask applies)."""
    import secrets  # writers only: its hashlib import is 5 ms of every query's start-up
    while True:
        path = output.with_name(f".{output.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path
        except FileExistsError:
            continue


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def _removed_on_sigterm(path: Path):
    """Remove ``path`` if SIGTERM comes, then let the signal do what it did before."""
    previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    if previous in (None, signal.SIG_IGN):
        yield
        return

    def terminated(signum, frame):
        _unlink(path)
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_corpus(out, kind, names, doc_starts, shards, blobs, total, text_field) -> None:
    """Lay out head, document table and shards; shard entries get their final offsets."""
    meta = {"kind": kind, "names": names, "text_field": text_field, "bytes": total,
            "docs": None, "shards": shards}
    if kind != "lines":
        meta["lf_docs"] = True  # every document ends with a line feed (indexes of old did not say)

    def encode(meta):
        payload = json.dumps(meta, separators=(",", ":")).encode("utf-8")
        head = HEAD.pack(MAGIC, VERSION, 0, len(payload)) + payload
        return head + CRC.pack(zlib.crc32(head))

    # Two passes: offsets depend on the size of the head, which depends on the offsets.
    head_size = 0
    for _ in range(3):
        position = _align(head_size)
        if doc_starts is not None:
            meta["docs"] = [position, len(doc_starts), zlib.crc32(doc_starts.tobytes())]
            position = _align(position + doc_starts.nbytes)
        for entry, blob in zip(shards, blobs):
            entry[0] = position
            position = _align(position + len(blob))
        head = encode(meta)
        if len(head) == head_size:
            break
        head_size = len(head)
    out.write(head)
    if doc_starts is not None:
        out.write(b"\x00" * (meta["docs"][0] - out.tell()))
        out.write(doc_starts.tobytes())
    for (offset, *_), blob in zip(shards, blobs):
        out.write(b"\x00" * (offset - out.tell()))
        out.write(blob)


def _align(offset: int) -> int:
    return -(-offset // ALIGNMENT) * ALIGNMENT


# ---------------------------------------------------------------- opening

def open(path) -> Corpus:  # noqa: A001 - like gzip.open
    """Open an ``.fmi`` corpus, memory-mapped."""
    path = os.fspath(path)
    buffer = _map(path)
    try:
        if buffer[:len(MAGIC)] == MAGIC:
            return _open_fmi(path, buffer)
        raise CorruptIndexError(f"{path}: not an fmsearch index (.fmi)")
    except Exception:
        _close(buffer)
        raise


@dataclass(frozen=True)
class Section:
    """Where a shard lies in a container file, and which slice of the text it indexes."""

    offset: int
    length: int
    raw_offset: int
    first_line: int
    name: str = ""  # what error messages call it, e.g. "block 3"


def open_sections(path, sections: Iterable[Section]) -> Corpus:
    """A corpus of lines over shards stored inside another file (an indexed archive), memory-mapped.

    ``sections`` may be a generator reading ``path``: it runs before the map is trusted.
    """
    path = os.fspath(path)
    buffer = _map(path)
    try:
        shards = []
        for section in sections:
            try:
                index = FMIndex.from_buffer(buffer, section.offset, section.length)
            except CorruptIndexError as error:
                raise CorruptIndexError(f"{path}: {section.name}: {error}") from None
            shards.append(Shard(index, section.raw_offset, section.first_line))
        _check_layout(path, shards)
        return Corpus(shards, "lines", source=path, mapping=buffer)
    except Exception:
        _close(buffer)
        raise


def _map(path: str):
    with builtins.open(path, "rb") as fileobj:
        if not fileobj.read(1):
            raise CorruptIndexError(f"{path}: empty file, not an index")
        return mmap.mmap(fileobj.fileno(), 0, access=mmap.ACCESS_READ)


def _close(buffer) -> None:
    try:
        getattr(buffer, "close", lambda: None)()  # an mmap; a plain buffer needs nothing
    except BufferError:  # arrays still view the map (the caller's, a traceback's): it closes with them
        pass


def _open_fmi(path: str, buffer) -> Corpus:
    if len(buffer) < HEAD.size:
        raise CorruptIndexError(f"{path}: truncated index")
    magic, version, _, meta_len = HEAD.unpack_from(buffer, 0)
    if version != VERSION:
        raise CorruptIndexError(f"{path}: unsupported index version {version} (this is version {VERSION})")
    end = HEAD.size + meta_len
    if end + CRC.size > len(buffer):
        raise CorruptIndexError(f"{path}: truncated index")
    (crc,) = CRC.unpack_from(buffer, end)
    if zlib.crc32(buffer[:end]) != crc:
        raise CorruptIndexError(f"{path}: damaged index header (checksum mismatch)")
    try:
        meta = json.loads(bytes(buffer[HEAD.size:end]))
    except (ValueError, UnicodeDecodeError):
        raise CorruptIndexError(f"{path}: damaged index header") from None
    kind, names, docs, entries, lf_docs = _checked_meta(path, meta)
    doc_starts = None
    if docs is not None:
        offset, count, docs_crc = docs
        if offset % 8 or offset + 8 * count > len(buffer) or count < 2:
            raise CorruptIndexError(f"{path}: truncated index (document table)")
        doc_starts = np.frombuffer(buffer, dtype=np.uint64, count=count, offset=offset)
        if zlib.crc32(doc_starts) != docs_crc:
            raise CorruptIndexError(f"{path}: damaged document table (checksum mismatch)")
    shards = []
    for offset, length, first_line, raw_offset in entries:
        try:
            index = FMIndex.from_buffer(buffer, offset, length)
        except CorruptIndexError as error:
            raise CorruptIndexError(f"{path}: {error}") from None
        shards.append(Shard(index, raw_offset, first_line))
    _check_layout(path, shards)
    if doc_starts is not None and (doc_starts[0] != 0 or int(doc_starts[-1]) != _text_end(shards)
                                   or np.any(np.diff(doc_starts.astype(np.int64)) < 0)
                                   or (kind == "files" and len(names) != count - 1)):
        raise CorruptIndexError(f"{path}: damaged document table")
    return Corpus(shards, kind, names, doc_starts, source=path, mapping=buffer, lf_docs=lf_docs)


def _is_int(value) -> bool:
    return type(value) is int and value >= 0  # noqa: E721 - bool is an int too, and not one here


def _checked_meta(path: str, meta):
    """(kind, names, docs, shard entries, lf_docs) of a corpus's JSON meta, every type checked."""
    def fail(what):
        raise CorruptIndexError(f"{path}: damaged index header ({what})")

    if not isinstance(meta, dict):
        fail("meta is not an object")
    kind, names, docs, entries = (meta.get(key) for key in ("kind", "names", "docs", "shards"))
    if kind not in KINDS:
        fail("kind")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        fail("names")
    if docs is not None and (kind == "lines" or not isinstance(docs, list) or len(docs) != 3
                             or not all(_is_int(v) for v in docs)):
        fail("document table")
    if docs is None and kind != "lines":
        fail("document table")
    if not isinstance(entries, list) or not all(
            isinstance(e, list) and len(e) == 4 and all(_is_int(v) for v in e) for e in entries):
        fail("shards")
    lf_docs = meta.get("lf_docs", False)
    if not isinstance(lf_docs, bool):
        fail("lf_docs")
    return kind, names, docs, entries, lf_docs


def _text_end(shards: List[Shard]) -> int:
    return shards[-1].raw_offset + len(shards[-1].index) if shards else 0


def _check_layout(path: str, shards: List[Shard]) -> None:
    """Shards must cover the text back to back, their line numbers following on."""
    raw = line = 0
    for number, shard in enumerate(shards):
        index = shard.index
        if not _is_int(shard.raw_offset) or not _is_int(shard.first_line) or shard.raw_offset != raw \
                or shard.first_line != line:
            raise CorruptIndexError(f"{path}: damaged index: shard {number} is not where the previous one ends")
        raw += len(index)
        # the last line of a shard may go on in the next one, which then counts it again
        line = shard.first_line + index.n_lines
        if number + 1 < len(shards) and shards[number + 1].first_line == line - 1:
            line -= 1
