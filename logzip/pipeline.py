"""Blocks in flight: cut input into blocks, compress them (on several cores), decode them.

Memory stays bounded whatever the input size: at most ``threads + 1`` blocks
are held at once, each at most ``block_size`` bytes of input.

The codecs (and numpy) are imported where blocks are coded, not with this module: the
command line reads its defaults here, and ``logzip --help`` should not pay 0.2 s for them.
"""
import ctypes
import os
import signal
import threading
import weakref
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, Iterator, List, Optional

from .container import BlockHeader, crc32
from .errors import CorruptArchiveError

DEFAULT_LEVEL = 19
DEFAULT_BLOCK_SIZE = 32 << 20
MIN_BLOCK_SIZE = 1 << 10
MAX_BLOCK_SIZE = 1 << 30
MAX_LEVEL = 22
MAX_BLOCK_LINES = 1 << 20
MIN_SPLIT = 4 << 20     # the least a worker gets of a whole input cut for several workers


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
            from .codec.header import HeaderFormat

            HeaderFormat.parse(self.format)  # raises FormatError early, before any work

    def meta(self) -> dict:
        """What the archive's file header records of how it was made: the settings that differ
        from the defaults (a log of a few hundred bytes should not spend 50 on them). Not the
        format: each block records the header it was stored with, the given one or another
        that paid better (see :func:`logzip.codec.header.infer_format`)."""
        made = {"level": self.level, "block_size": self.block_size}
        return {name: value for name, value in made.items() if value != getattr(DEFAULT_PARAMETERS, name)}


DEFAULT_PARAMETERS = CompressionParameters()


@dataclass(frozen=True)
class CompressedBlock:
    raw_len: int
    raw_crc: int
    n_lines: int
    payload: bytes
    index: bytes


def compress_block(raw: bytes, params: CompressionParameters) -> CompressedBlock:
    """Compress one block; a top-level function so that worker processes can run it."""
    from .codec.block import encode_block
    from .codec.header import HeaderFormat

    header = HeaderFormat.parse(params.format) if params.format is not None else None
    payload = encode_block(raw, params.level, header)
    index = b""
    if params.index:
        import fmindex

        index = fmindex.build_shard(raw)
    return CompressedBlock(len(raw), crc32(raw), raw.count(b"\n"), payload, index)


def decompress_block(block: BlockHeader, payload: bytes) -> bytes:
    """Decode one block and check it against the sizes and checksum it was stored with."""
    from .codec._lines import count_newlines
    from .codec.block import decode_block

    raw = decode_block(payload, block.raw_len)
    if len(raw) != block.raw_len or crc32(raw) != block.raw_crc or count_newlines(raw) != block.n_lines:
        raise CorruptArchiveError("corrupt archive: a block does not decode to what was stored")
    return raw


class BlockCutter:
    """Regroups arbitrary chunks of input into blocks of about ``block_size``,
    cut after a newline; a line longer than a block is cut where it must be.

    A block also holds at most ``max_lines`` lines: decoding costs about 100
    bytes of Python objects a line, so 32 MiB of empty lines would need gigabytes.
    """

    def __init__(self, block_size: int, max_lines: int = MAX_BLOCK_LINES):
        self.block_size = block_size
        self.max_lines = max_lines
        self._pending = bytearray()
        self._lines = 0  # newlines in _pending

    def feed(self, data) -> Iterator[bytes]:
        """Take ``data``; yield the blocks it completes."""
        start = len(self._pending)
        self._pending += data
        self._lines += self._pending.count(b"\n", start)
        while True:
            cut = self._next_cut()
            if not cut:
                return
            block = bytes(self._pending[:cut])
            del self._pending[:cut]
            self._lines -= block.count(b"\n")
            yield block

    def _next_cut(self) -> int:
        """Length of the next complete block, 0 if there is none yet."""
        if self._lines >= self.max_lines:
            import numpy as np

            window = np.frombuffer(self._pending, dtype=np.uint8, count=min(len(self._pending), self.block_size))
            ends = np.flatnonzero(window == 10)
            del window  # releases the bytearray, which may then shrink
            if len(ends) >= self.max_lines:
                return int(ends[self.max_lines - 1]) + 1
        if len(self._pending) >= self.block_size:
            return self._pending.rfind(b"\n", 0, self.block_size) + 1 or self.block_size
        return 0

    def flush(self, whole_lines: bool = False) -> bytes:
        """The incomplete last block (possibly empty); with ``whole_lines``, only up to its
        last newline, a line not yet ended staying for the next block."""
        cut = self._pending.rfind(b"\n") + 1 if whole_lines else len(self._pending)
        rest = bytes(self._pending[:cut])
        del self._pending[:cut]
        self._lines = 0  # what stays holds no newline
        return rest


def split_lines_evenly(raw: bytes, pieces: int) -> List[bytes]:
    """``raw`` cut after newlines into at most ``pieces`` parts of about equal size
    (fewer when a line spans a cut point)."""
    parts, start = [], 0
    for k in range(1, pieces):
        cut = raw.find(b"\n", max(start, len(raw) * k // pieces)) + 1
        if cut == 0 or cut == len(raw):
            break
        parts.append(raw[start:cut])
        start = cut
    return parts + [raw[start:]]


def read_chunks(fileobj: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while True:
        chunk = fileobj.read(size)
        if not chunk:
            return
        yield chunk


PR_SET_PDEATHSIG = 1
_pools = weakref.WeakSet()  # live worker pools, for terminate_workers()


def _die_with_parent(parent: int) -> None:
    """Worker initializer: ignore Ctrl-C (the parent stops everyone, with one message),
    take SIGTERM again, and die when the parent dies, even of SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP})
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: fall back on a watchdog thread
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    os._exit(1)


def terminate_workers() -> None:
    """Kill the worker processes of every pool at once (on a signal or a failure)."""
    for pool in list(_pools):
        _kill_processes(pool)


def _kill_processes(pool) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass


class BlockCompressor:
    """Feeds blocks to workers and collects their results in order, ``threads + 1`` at most in flight."""

    def __init__(self, params: CompressionParameters):
        self.params = params
        self._pool = None
        self._pending = deque()
        self._submitted = 0
        if params.threads > 1:
            import concurrent.futures

            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=params.threads, initializer=_die_with_parent, initargs=(os.getpid(),))
            _pools.add(self._pool)

    def submit(self, raw: bytes) -> Iterator[CompressedBlock]:
        """Queue ``raw``; yield the blocks that are done and must leave to bound memory."""
        self._submitted += 1
        if self._pool is None:
            yield compress_block(raw, self.params)
            return
        self._pending.append(self._pool.submit(compress_block, raw, self.params))
        while len(self._pending) > self.params.threads:
            yield self._pending.popleft().result()

    def drain(self) -> Iterator[CompressedBlock]:
        """Every block still queued, in order, once done; the workers stay."""
        while self._pending:
            yield self._pending.popleft().result()

    def finish(self, rest: bytes = b"") -> Iterator[CompressedBlock]:
        """Queue the last block ``rest`` (may be empty); yield every block left.

        An input that fits one block (HPC's 33.6 MB, 32 MiB blocks) would keep one worker
        busy and the others idle: when ``rest`` is the whole input, it is cut into one block
        per worker, each at least MIN_SPLIT bytes. On HPC, two blocks of 16.8 MB compress
        1-2% smaller than one: a block's templates and columns suit the half they serve."""
        pieces = min(self.params.threads, len(rest) // MIN_SPLIT) if not self._submitted else 1
        for raw in split_lines_evenly(rest, pieces) if pieces > 1 else [rest] if rest else []:
            yield from self.submit(raw)
        yield from self.drain()
        self.close()

    def close(self) -> None:
        """Stop the workers; blocks still being compressed are abandoned at once, not awaited."""
        if self._pool is not None:
            abandoned = any(not future.done() for future in self._pending)
            self._pending.clear()
            if abandoned:
                _kill_processes(self._pool)
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

