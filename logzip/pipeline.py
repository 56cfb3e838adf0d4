"""Blocks in flight: cut input into blocks, compress them (on several cores), decode them.

Memory stays bounded whatever the input size: at most ``threads + 1`` blocks
are held at once, each at most ``block_size`` bytes of input.
"""
import concurrent.futures
import ctypes
import os
import signal
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Optional

from .codec.block import decode_block, encode_block
from .codec.header import HeaderFormat
from .container import BlockHeader, crc32
from .errors import CorruptArchiveError

DEFAULT_LEVEL = 19
DEFAULT_BLOCK_SIZE = 32 << 20
MIN_BLOCK_SIZE = 1 << 10
MAX_BLOCK_SIZE = 1 << 30
MAX_LEVEL = 22
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class CompressionParameters:
    """How to compress: zstd ``level`` of the streams, Loghub header ``format``
    (None: inferred per block), input ``block_size``, worker ``threads``, and
    whether to store an FM-index shard with each block."""

    level: int = DEFAULT_LEVEL
    format: Optional[str] = None
    block_size: int = DEFAULT_BLOCK_SIZE
    threads: int = 1
    index: bool = False

    def __post_init__(self):
        if not 1 <= self.level <= MAX_LEVEL:
            raise ValueError(f"level must be between 1 and {MAX_LEVEL}, not {self.level}")
        if not MIN_BLOCK_SIZE <= self.block_size <= MAX_BLOCK_SIZE:
            raise ValueError(f"block size must be between {MIN_BLOCK_SIZE} and {MAX_BLOCK_SIZE} bytes")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}")
        if self.format is not None:
            HeaderFormat.parse(self.format)  # raises FormatError early, before any work

    def meta(self) -> dict:
        return {"format": self.format, "level": self.level, "block_size": self.block_size}


@dataclass(frozen=True)
class CompressedBlock:
    raw_len: int
    raw_crc: int
    n_lines: int
    payload: bytes
    index: bytes


def compress_block(raw: bytes, params: CompressionParameters) -> CompressedBlock:
    """Compress one block; a top-level function so that worker processes can run it."""
    header = HeaderFormat.parse(params.format) if params.format is not None else None
    payload = encode_block(raw, params.level, header)
    index = b""
    if params.index:
        import fmindex

        index = fmindex.build_shard(raw)
    return CompressedBlock(len(raw), crc32(raw), raw.count(b"\n"), payload, index)


def decompress_block(block: BlockHeader, payload: bytes) -> bytes:
    """Decode one block and check it against the sizes and checksum it was stored with."""
    raw = decode_block(payload)
    if len(raw) != block.raw_len or crc32(raw) != block.raw_crc:
        raise CorruptArchiveError("corrupt archive: a block does not decode to what was stored")
    return raw


class BlockCutter:
    """Regroups arbitrary chunks of input into blocks of about ``block_size``,
    cut after a newline; a line longer than a block is cut where it must be."""

    def __init__(self, block_size: int):
        self.block_size = block_size
        self._pending = bytearray()

    def feed(self, data) -> Iterator[bytes]:
        """Take ``data``; yield the blocks it completes."""
        self._pending += data
        while len(self._pending) >= self.block_size:
            cut = self._pending.rfind(b"\n", 0, self.block_size) + 1 or self.block_size
            yield bytes(self._pending[:cut])
            del self._pending[:cut]

    def flush(self) -> bytes:
        """The incomplete last block (possibly empty)."""
        rest, self._pending = bytes(self._pending), bytearray()
        return rest


def read_chunks(fileobj: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while True:
        chunk = fileobj.read(size)
        if not chunk:
            return
        yield chunk


def _start_worker(parent: int) -> None:
    """Workers ignore Ctrl-C (the parent stops them and cleans up, with one message) and die
    with their parent, however it ends (on Linux, by PR_SET_PDEATHSIG)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent still stops them when it can
        pass
    if os.getppid() != parent:         # the parent died before the request took effect
        os._exit(1)


class BlockCompressor:
    """Feeds blocks to workers and collects their results in order, ``threads + 1`` at most in flight."""

    def __init__(self, params: CompressionParameters):
        self.params = params
        self._pool = None
        self._pending = deque()
        if params.threads > 1:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=params.threads, initializer=_start_worker, initargs=(os.getpid(),))

    def submit(self, raw: bytes) -> Iterator[CompressedBlock]:
        """Queue ``raw``; yield the blocks that are done and must leave to bound memory."""
        if self._pool is None:
            yield compress_block(raw, self.params)
            return
        self._pending.append(self._pool.submit(compress_block, raw, self.params))
        while len(self._pending) > self.params.threads:
            yield self._pending.popleft().result()

    def finish(self) -> Iterator[CompressedBlock]:
        while self._pending:
            yield self._pending.popleft().result()
        self.close()

    def close(self) -> None:
        """Stop the workers: at once when blocks are still in flight (an interrupted run), so
        that Ctrl-C or SIGTERM does not wait for them to finish their blocks."""
        if self._pool is not None:
            unfinished = any(not future.done() for future in self._pending)
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            if unfinished:
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

