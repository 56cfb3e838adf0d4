"""Serialized layout of one FM-index shard (all integers little-endian).

    header     magic b"FMINDEX\\0" | version u16 | n_tables u16 | header_len u32
               | n u64 | dollar_row u64 | n_lines u64 | ndigits u64
               | sa_rate u32 | isa_rate u32 | sa_width u8 | isa_width u8 | sample_words u16
    directory  n_tables x (name 8s | offset u64 | length u64 | crc32 u32 | 4 zero bytes)
    crc32 u32  of the header and directory
    tables     each at a 64-byte aligned offset from the start of the shard

Offsets are relative to the start of the shard, so a shard can sit at any
64-byte aligned place of a larger file (an ``.fmi`` corpus, a ``.logz``
block) and be memory-mapped in place: every table is a ``numpy.frombuffer``
view, nothing is copied. The header checksum is checked on open; the
per-table checksums by :func:`verify`, which reads everything: FMIndex calls
it before its first answer.
"""
import struct
import zlib

import numpy as np

from .errors import CorruptIndexError

MAGIC = b"FMINDEX\x00"
VERSION = 2
READABLE = (1, 2)  # version 1 had no "feeds" table: its shards locate by samples alone
ALIGNMENT = 64

HEADER = struct.Struct("<8sHHIQQQQIIBBH")
ENTRY = struct.Struct("<8sQQI4x")
CRC = struct.Struct("<I")

# Table name -> numpy dtype; the order is the order in the file.
TABLES = {
    "stream": np.uint8,        # wavelet tree digits: tokens (runs, sparse words, plain words)
    "dir": np.uint64,          # offset and digit counts of every superblock of sample_words words,
    "top": np.uint64,          # relative to the (offset, counts of 0, 1, 2) of every 2048 words
    "nstarts": np.uint64,      # first digit of each wavelet tree node
    "ncounts": np.uint64,      # digits 0, 1, 2, 3 before each node
    "children": np.int32,      # 4 per node; leaf = -(byte + 1), -257 = no byte
    "codes": np.uint64,        # 4-ary Huffman code of each byte, first digit in bits 0-1
    "codelens": np.uint8,      # its length in digits, 0 when the byte does not occur
    "C": np.uint64,            # 257 entries: first BWT row of each byte
    "sa": np.uint64,           # packed SA samples (rows 0, sa_rate, ...)
    "isa": np.uint64,          # packed ISA samples (positions 0, isa_rate, ...)
    "feeds": np.uint64,        # packed line number of every line-feed row, in row order (may be empty)
    "lanchors": np.uint64,     # start of the first line of every group of 64 lines
    "lptrs": np.uint64,        # bit pointer of the group's packed line lengths
    "lwidths": np.uint8,       # width of the group's line lengths
    "lwords": np.uint64,       # packed line lengths
    "t1off": np.uint32,        # trigram trie: per first byte, its bigrams in t2sym,
    "t2sym": np.uint8,         # second byte of each bigram (sorted within a first byte)
    "t2off": np.uint32,        # per bigram, its trigrams in t3sym
    "t3sym": np.uint8,         # third byte of each trigram (sorted within a bigram)
    "t3sp": np.uint32,         # first BWT row of each trigram, then n + 1 (empty: no trie)
    "tshort": np.uint32,       # rows of the suffixes of 1 and 2 bytes
}


def _name(key: str) -> bytes:
    return key.encode("ascii").ljust(8, b"\x00")


def _align(offset: int) -> int:
    return -(-offset // ALIGNMENT) * ALIGNMENT


def serialize(params: dict, tables: dict) -> bytes:
    """The bytes of a shard: ``params`` are the header fields, ``tables`` name -> array."""
    header_len = HEADER.size + ENTRY.size * len(TABLES) + CRC.size
    offset = _align(header_len)
    entries, blobs = [], []
    for key, dtype in TABLES.items():
        data = np.ascontiguousarray(tables[key], dtype=dtype).tobytes()
        entries.append(ENTRY.pack(_name(key), offset, len(data), zlib.crc32(data)))
        blobs.append((offset, data))
        offset = _align(offset + len(data))
    head = HEADER.pack(MAGIC, VERSION, len(TABLES), header_len, params["n"], params["dollar_row"],
                       params["n_lines"], params["ndigits"], params["sa_rate"], params["isa_rate"],
                       params["sa_width"], params["isa_width"], params["sample_words"])
    head += b"".join(entries)
    head += CRC.pack(zlib.crc32(head))
    out = bytearray(offset)
    out[: len(head)] = head
    for start, data in blobs:
        out[start: start + len(data)] = data
    return bytes(out)


def parse(buffer, offset: int = 0, length: int = None):
    """(params, tables, checksums) of the shard at ``buffer[offset:offset+length]``; zero copy."""
    view = memoryview(buffer).cast("B")
    if length is None:
        length = len(view) - offset
    if offset < 0 or length < 0 or offset + length > len(view):
        raise CorruptIndexError("index shard lies outside its file (truncated?)")
    view = view[offset: offset + length]
    if length < HEADER.size:
        raise CorruptIndexError("not an FM-index: too short")
    fields = HEADER.unpack_from(view, 0)
    if fields[0] != MAGIC:
        raise CorruptIndexError("not an FM-index (bad magic)")
    if fields[1] not in READABLE:
        raise CorruptIndexError(f"unsupported FM-index version {fields[1]} (this is version {VERSION})")
    n_tables, header_len = fields[2], fields[3]
    names = [key for key in TABLES if fields[1] > 1 or key != "feeds"]
    if n_tables != len(names) or header_len != HEADER.size + ENTRY.size * n_tables + CRC.size \
            or header_len > length:
        raise CorruptIndexError("damaged FM-index header")
    (crc,) = CRC.unpack_from(view, header_len - CRC.size)
    if zlib.crc32(view[: header_len - CRC.size]) != crc:
        raise CorruptIndexError("damaged FM-index header (checksum mismatch)")
    params = dict(zip(("n", "dollar_row", "n_lines", "ndigits", "sa_rate", "isa_rate",
                       "sa_width", "isa_width", "sample_words"), fields[4:]))
    tables, checksums = {"feeds": np.zeros(0, np.uint64)}, {"feeds": 0}
    for number, key in enumerate(names):
        dtype = TABLES[key]
        name, start, size, table_crc = ENTRY.unpack_from(view, HEADER.size + number * ENTRY.size)
        itemsize = np.dtype(dtype).itemsize
        if name != _name(key) or start % ALIGNMENT or size % itemsize or start + size > length:
            raise CorruptIndexError(f"damaged FM-index: table {key!r} is out of bounds (truncated?)")
        tables[key] = np.frombuffer(view, dtype=dtype, count=size // itemsize, offset=start)
        checksums[key] = table_crc
    return params, tables, checksums


def verify(tables: dict, checksums: dict) -> None:
    """Check every table against its checksum (reads the whole shard)."""
    for key, array in tables.items():
        if zlib.crc32(memoryview(array).cast("B")) != checksums[key]:
            raise CorruptIndexError(f"damaged FM-index: table {key!r} fails its checksum")
