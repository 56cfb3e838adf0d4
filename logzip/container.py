"""The ``.logz`` container: a file header, independent blocks, an end record.

Layout of version 2, written since 2026-12 (integers little-endian; ``v`` a LEB128 varint)::

    file header   b"LOGZ" | version u8 | flags u8 | meta_len v | meta (JSON, UTF-8)
                  | crc32 u32 of everything before it
    block         b"B" | raw_len v | payload_len v | n_lines v | index_len v
                  | raw_crc u32 | payload_crc u32 | index_crc u32 (only when index_len)
                  | header_crc u32 (crc32 of the header before it)
                  | payload | zero padding to a multiple of 64 (only before an index) | index
    end record    b"E" | n_blocks v | raw_len v | n_lines v | crc32 u32 of the record before it

so that an archive of a few hundred bytes costs about 40 bytes of container (``xz``'s: ~60).
Version 1 (still read) had fixed-size records::

    file header   b"LOGZ" | version u8 | flags u8 | reserved u16 | meta_len u32 | meta | crc32 u32
    block         b"BLK1" | raw_len u64 | payload_len u64 | n_lines u64
                  | index_len u64 | raw_crc u32 | payload_crc u32 | index_crc u32
                  | header_crc u32 (crc32 of the previous 48 bytes) | payload | padding | index
    end record    b"LEND" | n_blocks u64 | raw_len u64 | n_lines u64
                  | crc32 u32 of the previous 28 bytes

Each block decodes on its own: its payload holds the streams of one slice of
the input (see :mod:`logzip.codec.block`). ``raw_crc`` guards the decoded
bytes, ``payload_crc`` the stored ones, so damage is reported, never
returned. ``n_lines`` counts the b"\\n" in the block, which gives global line
numbers without decoding. The optional index is an FM-index shard of the
block (:mod:`fmindex`), stored uncompressed at a 64-byte aligned offset so
that a reader can memory-map it in place. A missing end record means the
file was truncated.
"""
import io
import json
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Optional

from .errors import CorruptArchiveError, NoIndexError, TruncatedArchiveError
from .varint import put_varint

MAGIC = b"LOGZ"
VERSION = 2
READABLE_VERSIONS = (1, 2)
FLAG_INDEXED = 0x01

_FILE_HEADER = struct.Struct("<4sBB")                 # then meta_len: u16 + u32 in version 1, a varint in 2
_V1_META_LEN = struct.Struct("<HI")
_BLOCK_MAGIC, _END_MAGIC = b"B", b"E"
_V1_BLOCK_HEADER = struct.Struct("<4sQQQQIII")
_V1_BLOCK_MAGIC = b"BLK1"
_V1_END = struct.Struct("<4sQQQ")
_V1_END_MAGIC = b"LEND"
_CRC = struct.Struct("<I")
_MAX_VARINT_BYTES = 10
INDEX_ALIGNMENT = 64
MAX_META = 1 << 20
MAX_RAW_BLOCK = 1 << 30          # writers cut blocks of at most 1 GiB (pipeline.MAX_BLOCK_SIZE)
MAX_STORED = 1 << 40             # no payload or index is anywhere near this: the header lies


def crc32(data) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


@dataclass(frozen=True)
class BlockHeader:
    """What a block says of itself; ``offset`` is where its header starts."""

    offset: int
    raw_len: int
    payload_len: int
    n_lines: int
    index_len: int
    raw_crc: int
    payload_crc: int
    index_crc: int
    header_len: int     # bytes of the header, its checksum included

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_len

    @property
    def index_offset(self) -> int:
        return _align(self.payload_offset + self.payload_len)

    @property
    def end(self) -> int:
        if self.index_len:
            return self.index_offset + self.index_len
        return self.payload_offset + self.payload_len


@dataclass(frozen=True)
class IndexSection:
    """Where one block's FM-index shard lies in the archive file."""

    block: int
    offset: int
    length: int
    first_line: int
    raw_offset: int
    raw_len: int


def _align(offset: int) -> int:
    return -(-offset // INDEX_ALIGNMENT) * INDEX_ALIGNMENT


def _is_seekable(fileobj) -> bool:
    try:
        return fileobj.seekable()
    except (AttributeError, ValueError, OSError):
        return False


def _read_exact(fileobj: BinaryIO, size: int, what: str) -> bytes:
    """Read ``size`` bytes, by pieces so that a lying length allocates only what the file holds."""
    pieces, wanted = [], size
    while wanted > 0:
        piece = fileobj.read(min(wanted, 1 << 24))
        if not piece:
            break
        pieces.append(piece)
        wanted -= len(piece)
    data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    if len(data) != size:
        raise TruncatedArchiveError(f"truncated archive: {what} is cut short")
    return data


class _Record:
    """One record read field by field from the stream, with the bytes read so far for its checksum."""

    def __init__(self, fileobj: BinaryIO, what: str, start: bytes):
        self._file, self._what, self._data = fileobj, what, bytearray(start)

    def take(self, size: int) -> bytes:
        data = _read_exact(self._file, size, self._what)
        self._data += data
        return data

    def u32(self) -> int:
        return _CRC.unpack(self.take(_CRC.size))[0]

    def varint(self) -> int:
        value = 0
        for shift in range(0, 7 * _MAX_VARINT_BYTES, 7):
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
        raise CorruptArchiveError(f"corrupt archive: {self._what} is damaged")

    def check(self, mismatch: str) -> int:
        """Read the record's checksum and check it (``mismatch``: the error); the record's length."""
        if self.u32() != crc32(self._data[:-_CRC.size]):
            raise CorruptArchiveError(mismatch)
        return len(self._data)


class ArchiveWriter:
    """Writes a ``.logz`` stream: the header now, blocks as they come, the end on close."""

    def __init__(self, fileobj: BinaryIO, meta: Optional[dict] = None, indexed: bool = False):
        self._file = fileobj
        self._position = 0
        self.n_blocks = 0
        self.raw_len = 0
        self.n_lines = 0
        meta_bytes = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode() if meta else b""
        head = bytearray(_FILE_HEADER.pack(MAGIC, VERSION, FLAG_INDEXED if indexed else 0))
        put_varint(head, len(meta_bytes))
        head += meta_bytes
        self._write(_with_crc(head))

    def _write(self, data) -> None:
        self._file.write(data)
        self._position += len(data)

    def write_block(self, raw_len: int, raw_crc: int, n_lines: int, payload: bytes,
                    index: bytes = b"") -> None:
        header = bytearray(_BLOCK_MAGIC)
        for value in (raw_len, len(payload), n_lines, len(index)):
            put_varint(header, value)
        header += _CRC.pack(raw_crc) + _CRC.pack(crc32(payload)) + (_CRC.pack(crc32(index)) if index else b"")
        self._write(_with_crc(header))
        self._write(payload)
        if index:
            self._write(b"\0" * (_align(self._position) - self._position))
            self._write(index)
        self.n_blocks += 1
        self.raw_len += raw_len
        self.n_lines += n_lines

    def close(self) -> None:
        self._write(end_record(self.n_blocks, self.raw_len, self.n_lines))


def end_record(n_blocks: int, raw_len: int, n_lines: int, version: int = VERSION) -> bytes:
    """The record that closes a member of ``version``: its blocks, bytes and lines."""
    if version == 1:
        return _with_crc(_V1_END.pack(_V1_END_MAGIC, n_blocks, raw_len, n_lines))
    end = bytearray(_END_MAGIC)
    for value in (n_blocks, raw_len, n_lines):
        put_varint(end, value)
    return _with_crc(end)


def _with_crc(record) -> bytes:
    return bytes(record) + _CRC.pack(crc32(record))


class ArchiveReader:
    """Reads a ``.logz`` stream block by block, checking every checksum.

    Works on any readable binary file object, seekable or not (stdin).
    """

    def __init__(self, fileobj: BinaryIO, magic: bytes = b""):
        self._file = fileobj
        head = magic + fileobj.read(len(MAGIC) - len(magic))  # the magic first: a follower waits for no more
        if head and len(head) < len(MAGIC) and MAGIC.startswith(head):
            raise TruncatedArchiveError("truncated archive: file header is cut short")
        if head != MAGIC:
            raise CorruptArchiveError("not a logzip archive (bad magic bytes)")
        head += fileobj.read(_FILE_HEADER.size - len(MAGIC))
        if len(head) != _FILE_HEADER.size:
            raise TruncatedArchiveError("truncated archive: file header is cut short")
        _, self.version, flags = _FILE_HEADER.unpack(head)
        if self.version not in READABLE_VERSIONS:
            raise CorruptArchiveError(f"unsupported archive version {self.version} (this logzip reads "
                                      f"{' and '.join(map(str, READABLE_VERSIONS))})")
        record = _Record(fileobj, "file header", head)
        meta_len = _V1_META_LEN.unpack(record.take(_V1_META_LEN.size))[1] if self.version == 1 else record.varint()
        if meta_len > MAX_META:
            raise CorruptArchiveError("corrupt archive: file header is damaged")
        meta_bytes = record.take(meta_len)
        self._position = record.check("corrupt archive: file header checksum mismatch")
        try:
            self.meta = json.loads(meta_bytes) if meta_bytes else {}
        except ValueError:
            raise CorruptArchiveError("corrupt archive: file header is damaged") from None
        self.indexed = bool(flags & FLAG_INDEXED)
        self._seekable = _is_seekable(fileobj)
        if self._seekable:
            here = fileobj.tell()
            self._size = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(here)
        self.end_record: Optional[dict] = None

    def _skip(self, size: int) -> None:
        if self._seekable:
            here = self._file.tell()
            if self._file.seek(size, io.SEEK_CUR) - here != size or here + size > self._size:
                raise TruncatedArchiveError("truncated archive: block is cut short")
            return
        while size > 0:
            chunk = self._file.read(min(size, 1 << 20))
            if not chunk:
                raise TruncatedArchiveError("truncated archive: block is cut short")
            size -= len(chunk)

    def _check_sizes(self, block: BlockHeader) -> None:
        """Refuse lengths no writer produces (a header whose checksum was recomputed),
        before reading or allocating anything for them."""
        if (block.raw_len > MAX_RAW_BLOCK or block.payload_len > MAX_STORED
                or block.index_len > MAX_STORED or block.n_lines > block.raw_len):
            raise CorruptArchiveError(f"corrupt archive: impossible block lengths at offset {self._position}")
        if self._seekable and block.end - self._position > self._size - self._file.tell() + block.header_len:
            raise TruncatedArchiveError(f"truncated archive: the block at offset {self._position} is cut short")

    def _next_record(self):
        """``(BlockHeader, None)`` for a block, ``(None, (n_blocks, raw_len, n_lines))`` for the end."""
        marker = self._file.read(1)
        if not marker:
            raise TruncatedArchiveError("truncated archive: the end record is missing")
        if marker == _END_MAGIC:
            record = _Record(self._file, "end record", marker)
            said = tuple(record.varint() for _ in range(3))
            record.check("corrupt archive: end record checksum mismatch")
            return None, said
        if marker != _BLOCK_MAGIC:
            raise CorruptArchiveError(f"corrupt archive: bad block marker at offset {self._position}")
        record = _Record(self._file, "block header", marker)
        raw_len, payload_len, n_lines, index_len = (record.varint() for _ in range(4))
        raw_crc, payload_crc = record.u32(), record.u32()
        index_crc = record.u32() if index_len else 0
        header_len = record.check(f"corrupt archive: block header checksum mismatch at offset {self._position}")
        return BlockHeader(self._position, raw_len, payload_len, n_lines, index_len,
                           raw_crc, payload_crc, index_crc, header_len), None

    def _next_v1(self):
        """:meth:`_next_record` for an archive of version 1."""
        magic = self._file.read(4)
        if magic == _V1_END_MAGIC:
            record = _Record(self._file, "end record", magic)
            said = _V1_END.unpack(magic + record.take(_V1_END.size - 4))[1:]
            record.check("corrupt archive: end record checksum mismatch")
            return None, said
        if len(magic) < 4:
            raise TruncatedArchiveError("truncated archive: the end record is missing")
        if magic != _V1_BLOCK_MAGIC:
            raise CorruptArchiveError(f"corrupt archive: bad block marker at offset {self._position}")
        record = _Record(self._file, "block header", magic)
        fields = _V1_BLOCK_HEADER.unpack(magic + record.take(_V1_BLOCK_HEADER.size - 4))[1:]
        header_len = record.check(f"corrupt archive: block header checksum mismatch at offset {self._position}")
        return BlockHeader(self._position, *fields, header_len), None

    def blocks(self, with_payload: bool = True) -> Iterator[tuple]:
        """Yield ``(BlockHeader, payload or None)``; payloads are checksum-verified."""
        n_blocks = raw_len = n_lines = 0
        while True:
            block, said = self._next_v1() if self.version == 1 else self._next_record()
            if block is None:
                if said != (n_blocks, raw_len, n_lines):
                    raise CorruptArchiveError("corrupt archive: end record disagrees with the blocks")
                self.end_record = {"n_blocks": n_blocks, "raw_len": raw_len, "n_lines": n_lines}
                return
            self._check_sizes(block)
            if with_payload:
                payload = _read_exact(self._file, block.payload_len, "block payload")
                if crc32(payload) != block.payload_crc:
                    raise CorruptArchiveError(f"corrupt archive: block {n_blocks} payload checksum mismatch")
            else:
                payload = None
                self._skip(block.payload_len)
            if block.index_len:
                self._skip(block.end - block.payload_offset - block.payload_len)
            self._position = block.end
            yield block, payload
            n_blocks += 1
            raw_len += block.raw_len
            n_lines += block.n_lines


def iter_members(fileobj: BinaryIO) -> Iterator[ArchiveReader]:
    """Readers of the archives stored one after another in ``fileobj`` (``compress -c a b``
    concatenates two), as gzip reads its members; each is read to its end before the next."""
    reader = ArchiveReader(fileobj)
    while True:
        yield reader
        if reader.end_record is None:
            raise CorruptArchiveError("an archive member was not read to its end")
        magic = fileobj.read(len(MAGIC))
        if not magic:
            return
        reader = ArchiveReader(fileobj, magic)


def iter_index_sections(path) -> Iterator[IndexSection]:
    """Locate the FM-index shard of every block of the archive at ``path``, through every
    member of a concatenated archive; raises NoIndexError if a member has none."""
    block_number = first_line = raw_offset = member_start = 0
    with io.open(path, "rb") as fileobj:
        for reader in iter_members(fileobj):
            if not reader.indexed:
                raise NoIndexError(f"{path}: archive has no index (compress with --index)")
            for block, _ in reader.blocks(with_payload=False):
                yield IndexSection(block_number, member_start + block.index_offset, block.index_len,
                                   first_line, raw_offset, block.raw_len)
                block_number += 1
                first_line += block.n_lines
                raw_offset += block.raw_len
            member_start = fileobj.tell()


def prepare_append(fileobj: BinaryIO) -> str:
    """Make the archive in ``fileobj`` (readable, writable, seekable) ready to take a new
    member at its end, and seek there; return what was repaired ('' when nothing was).

    Every member is walked, its block headers checked and its payloads skipped. A last
    member torn by a crash (no end record, or a block cut short) keeps the blocks whose
    payload checksums hold: the file is cut after the last of them and that member is
    closed with its end record, so what a writer flushed before it died stays readable.
    Anything else (not an archive, damage before the tail) raises CorruptArchiveError and
    leaves the file untouched.
    """
    size = fileobj.seek(0, io.SEEK_END)
    start = 0
    if size:
        fileobj.seek(0)
        try:
            for reader in iter_members(fileobj):
                for _ in reader.blocks(with_payload=False):
                    pass
                start = fileobj.tell()
        except TruncatedArchiveError:
            return _seal_torn_member(fileobj, start, size)
    fileobj.seek(0, io.SEEK_END)
    return ""


def _seal_torn_member(fileobj: BinaryIO, start: int, size: int) -> str:
    """Cut the torn member at ``start`` after its last sound block and give it an end record."""
    fileobj.seek(start)
    blocks = raw_len = n_lines = 0
    end = start  # a member without one sound block goes whole
    version = VERSION
    try:
        reader = ArchiveReader(fileobj)
        version = reader.version
        for block, _ in reader.blocks():
            blocks, raw_len, n_lines = blocks + 1, raw_len + block.raw_len, n_lines + block.n_lines
            end = start + block.end
    except CorruptArchiveError:
        pass
    fileobj.seek(end)
    fileobj.truncate()
    if blocks:
        fileobj.write(end_record(blocks, raw_len, n_lines, version))
    fileobj.flush()
    return (f"a torn member at offset {start}: {blocks} complete blocks kept, "
            f"{size - end} bytes of its tail removed")
