"""Damage that keeps every checksum valid (they were recomputed) is still CorruptArchiveError,
and a block cannot expand beyond the size it claims."""
import io

import pytest
import zstandard

import logzip
from logzip.codec import general
from logzip.codec.block import STRUCTURED, _pack_sections, _unpack_sections
from logzip.container import _CRC, ArchiveReader, ArchiveWriter, _with_crc, crc32
from logzip.errors import CorruptArchiveError
from logzip.varint import put_varint

RAW = b"".join(b"2024-01-01 worker %d took %d ms\n" % (i % 5, i) for i in range(2000))


def archive_of(raw_len, raw_crc, n_lines, payload):
    out = io.BytesIO()
    writer = ArchiveWriter(out, {})
    writer.write_block(raw_len, raw_crc, n_lines, payload)
    writer.close()
    return out.getvalue()


def real_payload():
    _, payload = next(ArchiveReader(io.BytesIO(logzip.compress(RAW, block_size=1 << 20))).blocks())
    return payload


def test_odd_length_template_ids_are_corrupt():
    payload = real_payload()
    assert payload[:1] == STRUCTURED, "the test needs a structured block"
    sections = _unpack_sections(payload[1:])
    sections[5] = zstandard.ZstdCompressor().compress(b"\x01\x00\x01")  # contents' template ids
    forged = STRUCTURED + _pack_sections(sections)
    with pytest.raises(CorruptArchiveError):
        logzip.decompress(archive_of(len(RAW), crc32(RAW), RAW.count(b"\n"), forged))


def test_block_length_of_two_to_the_63_is_corrupt():
    data = logzip.compress(RAW)
    block, payload = next(ArchiveReader(io.BytesIO(data)).blocks())
    header = bytearray(b"B")
    for value in (block.raw_len, 1 << 63, block.n_lines, 0):   # payload_len 2^63
        put_varint(header, value)
    header += _CRC.pack(block.raw_crc) + _CRC.pack(block.payload_crc)
    forged = data[:block.offset] + _with_crc(header) + data[block.offset + block.header_len:]
    with pytest.raises(CorruptArchiveError, match="impossible block lengths"):
        logzip.decompress(forged)


@pytest.mark.parametrize("kind", general.KINDS)
def test_decompression_bomb_stops_at_the_stored_size(kind):
    bomb = general.compress(kind, b"\0" * (64 << 20), 1)
    small = b"\0" * 1000
    with pytest.raises(CorruptArchiveError, match="beyond"):
        logzip.decompress(archive_of(len(small), crc32(small), 0, bomb))


def test_lines_beyond_the_stored_count_are_corrupt():
    payload = real_payload()
    with pytest.raises(CorruptArchiveError):
        logzip.decompress(archive_of(len(RAW), crc32(RAW), RAW.count(b"\n") - 1, payload))


@pytest.mark.parametrize("kind", general.KINDS)
def test_a_general_coder_block_cut_short_or_overlong_is_corrupt(kind):
    payload = general.compress(kind, RAW, 19)
    for damaged in (payload[:len(payload) // 2], payload + b"\0"):
        with pytest.raises(CorruptArchiveError):
            logzip.decompress(archive_of(len(RAW), crc32(RAW), RAW.count(b"\n"), damaged))
