"""A corpus: shards of FM-index over consecutive slices of one text, with its documents.

The text is the concatenation of the documents: the lines of a log, the files
of a folder (in sorted path order, as they are), or the ``text`` field of the
records of a JSONL file (each followed by b"\\n"). It is cut into shards at
line boundaries; each shard is built on its own, so building needs memory in
proportion to the shard, not to the corpus. A count is the sum over shards,
a locate their union; a match that would straddle two shards is not found
(shards end at line ends, so only patterns spanning lines can be affected).

``.fmi`` file layout (integers little-endian)::

    b"FMICORP\\0" | version u16 | reserved u16 | meta_len u32 | meta (JSON) | crc32 u32
    zero padding to 64 | document starts (u64 each, when documents are not lines) | shards

``meta`` holds the corpus kind, the document names and where every shard and
table lies. Shards may also lie inside another container (an indexed ``.logz``
archive stores one per block): :func:`open_sections` maps them from there.
"""
import builtins
import json
import mmap
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import numpy as np

from .errors import CorruptIndexError
from .format import ALIGNMENT
from .index import FMIndex, as_pattern, build_shard

MAGIC = b"FMICORP\x00"
VERSION = 1
HEAD = struct.Struct("<8sHHI")
CRC = struct.Struct("<I")
SHARD_SIZE = 256 << 20  # bytes of text per shard when building a standalone index
KINDS = ("lines", "files", "records")


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
    """Shards and documents, queried as one text."""

    def __init__(self, shards: List[Shard], kind: str = "lines", names: Optional[List[str]] = None,
                 doc_starts: Optional[np.ndarray] = None, source: str = "", mapping=None):
        self.shards = shards
        self.kind = kind
        self.names = names or []
        self.doc_starts = doc_starts  # None for "lines"; else n_docs + 1 offsets
        self.source = source
        self._mapping = mapping  # the mmap the shards view, closed by close()
        self._raw_ends = np.array([s.raw_offset + len(s.index) for s in shards], dtype=np.int64)
        self._cores = [s.index._core for s in shards]
        self._length = int(self._raw_ends[-1]) if shards else 0

    # ------------------------------------------------------------ context manager

    def close(self) -> None:
        self.shards = self._cores = []
        self._length = 0
        if self._mapping is not None:
            mapping, self._mapping = self._mapping, None
            _close(mapping)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------ sizes

    def __len__(self) -> int:
        return self._length

    @property
    def n_lines(self) -> int:
        last = self.shards[-1] if self.shards else None
        return last.first_line + last.index.n_lines if last else 0

    @property
    def n_docs(self) -> int:
        return self.n_lines if self.doc_starts is None else len(self.doc_starts) - 1

    @property
    def nbytes(self) -> int:
        return sum(s.index.nbytes for s in self.shards)

    # ------------------------------------------------------------ queries

    def count(self, pattern) -> int:
        pattern = as_pattern(pattern, self._length)
        total = 0
        for core in self._cores:
            total += core.count(pattern)  # 0 from a shard shorter than the pattern
        return total

    def locate(self, pattern, limit: Optional[int] = None, first: bool = False) -> np.ndarray:
        """Sorted corpus offsets of the occurrences: at most ``limit``, taken shard by shard in
        text order, any of a shard's (the fastest) or with ``first`` its first ones."""
        pattern = as_pattern(pattern, len(self))
        found = []
        for shard in self.shards:
            if limit is not None and limit <= 0:
                break
            positions = shard.index.locate(pattern, limit, first)
            found.append(positions + np.uint64(shard.raw_offset))
            if limit is not None:
                limit -= len(positions)
        return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.uint64)

    def hits(self, pattern, limit: Optional[int] = None, first: bool = False) -> List[Hit]:
        """Located occurrences with their documents and line numbers (``limit``, ``first``: see locate)."""
        offsets = self.locate(pattern, limit, first)
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

    def _shard_of(self, offset: int) -> int:
        return min(int(np.searchsorted(self._raw_ends, offset, side="right")), len(self.shards) - 1)

    def extract(self, start: int, end: int) -> bytes:
        """Corpus bytes [start, end), across shards when needed."""
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
        for shard in self.shards:
            if line < shard.first_line + shard.index.n_lines:
                return shard.raw_offset + shard.index.line_start(max(0, line - shard.first_line))
        return len(self)

    def line(self, line: int) -> bytes:
        return self.extract(self.line_start(line), self.line_start(line + 1))

    def doc_name(self, doc: int) -> str:
        return self.names[doc] if doc < len(self.names) else ""

    def verify(self) -> None:
        for shard in self.shards:
            shard.index.verify()


# ---------------------------------------------------------------- documents

def read_documents(path, kind: Optional[str] = None, text_field: str = "text"):
    """(kind, names, iterator of document bytes) for a log file, a folder or a JSONL file."""
    path = Path(path)
    if kind is None:
        kind = "files" if path.is_dir() else "records" if path.suffix == ".jsonl" else "lines"
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "files":
        files = sorted(p for p in path.rglob("*") if p.is_file())
        names = [str(p.relative_to(path)) for p in files]
        return kind, names, (p.read_bytes() for p in files)
    if kind == "records":
        return kind, [], _records(path, text_field)
    return kind, [], iter([path.read_bytes()])


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


def build(source, output, *, kind: Optional[str] = None, text_field: str = "text",
          shard_size: int = SHARD_SIZE, **shard_options) -> None:
    """Write the ``.fmi`` index of a log file, a folder or a JSONL file."""
    kind, names, documents = read_documents(source, kind, text_field)
    doc_lengths = []

    def counted(docs):
        for document in docs:
            doc_lengths.append(len(document))
            yield document

    output = Path(output)
    partial = output.with_name(output.name + ".part")
    shards = []
    try:
        with builtins.open(partial, "wb") as out:
            body = []
            raw_offset = first_line = 0
            for piece in _slices(counted(documents), shard_size):
                blob = build_shard(piece, **shard_options)
                shards.append([len(body), len(blob), first_line, raw_offset])
                body.append(blob)
                raw_offset += len(piece)
                first_line += piece.count(b"\n")  # a line cut between shards goes on in the next
                del piece
            doc_starts = np.concatenate(([0], np.cumsum(doc_lengths, dtype=np.uint64))).astype(np.uint64)
            _write_corpus(out, kind, names, doc_starts if kind != "lines" else None, shards, body,
                          raw_offset, text_field)
        os.replace(partial, output)
    finally:
        if partial.exists():
            partial.unlink()


def _write_corpus(out, kind, names, doc_starts, shards, blobs, total, text_field) -> None:
    """Lay out head, document table and shards; shard entries get their final offsets."""
    meta = {"kind": kind, "names": names, "text_field": text_field, "bytes": total,
            "docs": None, "shards": shards}

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
        buffer.close()
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
        meta = json.loads(buffer[HEAD.size:end])
        kind, names, docs, entries = meta["kind"], meta["names"], meta["docs"], meta["shards"]
    except (ValueError, KeyError, TypeError):
        raise CorruptIndexError(f"{path}: damaged index header") from None
    doc_starts = None
    if docs is not None:
        offset, count, docs_crc = docs
        if offset + 8 * count > len(buffer):
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
    return Corpus(shards, kind, names, doc_starts, source=path, mapping=buffer)
