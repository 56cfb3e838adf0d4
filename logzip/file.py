"""``LogzipFile`` and ``open``: archives as file objects, in the manner of :mod:`gzip`.

Writing is streaming: bytes are cut into blocks at line boundaries and each
block is compressed as soon as it is complete, so a log-pipeline job can feed
batches of lines for as long as it runs and memory stays bounded. Reading
decodes one block at a time.
"""
import builtins
import fcntl
import io
import os
import stat
import threading
import zlib
from typing import Iterator, Optional

from .container import ArchiveWriter, iter_members, prepare_append
from .errors import CorruptArchiveError, LogzipError
from .pipeline import BlockCompressor, BlockCutter, CompressionParameters, decompress_block

READ_BUFFER_SIZE = 1 << 20


def iter_decompressed(fileobj) -> Iterator[bytes]:
    """The decompressed bytes of the archive read from ``fileobj``, a block at a time."""
    for member in iter_members(fileobj):
        for block, payload in member.blocks():
            yield decompress_block(block, payload)


class _BlockReader(io.RawIOBase):
    """Raw stream of the decompressed bytes of an archive, one block at a time."""

    def __init__(self, fileobj):
        self._blocks = iter_decompressed(fileobj)
        self._data = memoryview(b"")

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._data:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._data = memoryview(block)
        size = min(len(buffer), len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size


class LogzipFile(io.BufferedIOBase):
    """A binary file object over a ``.logz`` archive.

    ``LogzipFile(path, "rb")`` reads the original bytes back;
    ``LogzipFile(path, "wb", params=CompressionParameters(...))`` compresses
    what is written. ``fileobj`` may be given instead of a path (a socket, stdout).

    ``"ab"`` adds a member at the end of an existing archive (or starts a new one), without
    rewriting what is there; a ``fileobj`` must then be readable and seekable too. A last
    member torn by a crash is closed first after its last sound block (see
    :func:`logzip.container.prepare_append`; ``repaired`` says what was done).
    A file opened by path for writing holds an exclusive ``flock`` until it is closed, so
    that nobody appends to an archive still being written.

    Writes are thread-safe: each ``write`` goes in whole. ``flush()`` makes everything
    written so far readable; ``flush()`` then ``os.fsync(f.fileno())`` makes it durable.
    """

    def __init__(self, filename=None, mode: str = "rb", *, fileobj=None,
                 params: Optional[CompressionParameters] = None):
        self._closed = True  # until the file is fully set up
        if mode not in ("r", "rb", "w", "wb", "x", "xb", "a", "ab"):
            raise ValueError(f"invalid mode: {mode!r}")
        self._mode = "r" if mode.startswith("r") else "w"
        self._lock = threading.RLock()  # writes from several threads go in whole, one at a time
        self._owns_file = fileobj is None
        if fileobj is None:  # "w" truncates only once the lock is held (_lock_for_writing)
            fileobj = builtins.open(filename, {"r": "rb", "w": "ab", "x": "xb", "a": "a+b"}[mode[0]])
        self.name = getattr(fileobj, "name", filename)
        self._file = fileobj
        self.repaired = ""
        self.member_offset = 0  # where the member written starts in the file
        try:
            if self._mode == "r":
                self._reader = io.BufferedReader(_BlockReader(fileobj), READ_BUFFER_SIZE)
            else:
                if self._owns_file:
                    _lock_for_writing(fileobj, self.name, truncate=mode.startswith("w"))
                if mode.startswith("a"):
                    self.repaired = _prepare_append(fileobj, self.name)
                    self.member_offset = fileobj.tell()
                self.params = params or CompressionParameters()
                self._archive = ArchiveWriter(fileobj, self.params.meta(), self.params.index)
                self._cutter = BlockCutter(self.params.block_size)
                self._compressor = BlockCompressor(self.params)
        except BaseException:
            self._release()
            raise
        self._closed = False

    @property
    def bytes_done(self) -> int:
        """Input bytes compressed and written so far (what a progress bar should show: with
        workers, reading runs ahead of the work)."""
        return self._archive.raw_len if self._mode == "w" and hasattr(self, "_archive") else 0

    @property
    def mode(self) -> str:
        return self._mode + "b"

    @property
    def closed(self) -> bool:
        return self._closed

    def readable(self) -> bool:
        return self._mode == "r"

    def writable(self) -> bool:
        return self._mode == "w"

    def seekable(self) -> bool:
        return False

    def _check(self, mode: str) -> None:
        if self._closed:
            raise ValueError("I/O operation on closed file")
        if self._mode != mode:
            raise io.UnsupportedOperation("not open for " + ("reading" if mode == "r" else "writing"))

    def read(self, size: int = -1) -> bytes:
        self._check("r")
        return self._reader.read(size)

    def read1(self, size: int = -1) -> bytes:
        self._check("r")
        return self._reader.read1(size)

    def readinto(self, buffer) -> int:
        self._check("r")
        return self._reader.readinto(buffer)

    def peek(self, size: int = 0) -> bytes:
        self._check("r")
        return self._reader.peek(size)

    def readline(self, size: int = -1) -> bytes:
        self._check("r")
        return self._reader.readline(size)

    def write(self, data) -> int:
        with self._lock, memoryview(data) as view:
            self._check("w")
            length = view.nbytes
            for raw in self._cutter.feed(view.cast("B")):
                self._store(self._compressor.submit(raw))
        return length

    def flush(self, whole_lines: bool = False) -> None:
        """End the current block and write it, with every block still being compressed, so
        that a reader sees all that was written; with ``whole_lines``, a line not yet ended
        waits for the next block. Each flush makes a block (a few lines cost ~100 bytes and
        a millisecond or two): flush when a reader needs it, not after every line."""
        with self._lock:
            if self._mode == "w" and not self._closed:
                self._end_block(self._cutter.flush(whole_lines))
                self._store(self._compressor.drain())
                self._file.flush()

    def fileno(self) -> int:
        """The descriptor of the underlying file (for ``os.fsync`` after ``flush``)."""
        return self._file.fileno()

    def _end_block(self, rest: bytes) -> None:
        if rest:
            self._store(self._compressor.submit(rest))

    def _store(self, blocks) -> None:
        for block in blocks:
            self._archive.write_block(block.raw_len, block.raw_crc, block.n_lines,
                                      block.payload, block.index)

    def close(self) -> None:
        """Finish the archive (compress the last block, write the end record) and close."""
        with self._lock:
            if self._closed:
                return
            try:
                if self._mode == "w":
                    self._store(self._compressor.finish(self._cutter.flush()))
                    self._archive.close()
                    self._file.flush()
            finally:
                self._closed = True
                self._release()

    def __exit__(self, exc_type, exc, traceback):
        """On an exception (Ctrl-C included) stop at once: the archive is left without its
        end record, which readers report as truncated, instead of compressing what remains."""
        if exc_type is None or self._mode == "r":
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        """Close without finishing the archive; workers still compressing are stopped."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._release()

    def _release(self) -> None:
        compressor = getattr(self, "_compressor", None)
        if compressor is not None:
            compressor.close()
        if self._owns_file:
            self._file.close()

    def __iter__(self):
        self._check("r")
        return self._lines()

    def _lines(self):
        """The reader's lines; the generator keeps this file open while a loop runs
        (``for line in logzip.open(path)`` holds no other reference to it)."""
        yield from self._reader


def _prepare_append(fileobj, name) -> str:
    try:
        return prepare_append(fileobj)
    except CorruptArchiveError as error:
        raise CorruptArchiveError(f"cannot append to {name}: {error}") from None


def archive_crc(path, offset: int = 0) -> int:
    """CRC32 of what the archive at ``path`` decompresses to, from the member at ``offset``
    (every block checked on the way): what a caller compares before removing an input."""
    crc = 0
    with builtins.open(path, "rb") as stream:
        stream.seek(offset)
        for block in iter_decompressed(stream):
            crc = zlib.crc32(block, crc)
    return crc


def _lock_for_writing(fileobj, name, truncate: bool) -> None:
    """Take an exclusive advisory lock on the archive being written; an appender takes it
    too, and fails at once, rather than sealing the tail of an archive that is still growing.
    With ``truncate``, a regular file is emptied once the lock is held (a FIFO or a device
    is written through)."""
    try:
        fcntl.flock(fileobj.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise LogzipError(f"{name}: the archive is being written by another process") from None
    if truncate and stat.S_ISREG(os.fstat(fileobj.fileno()).st_mode):
        fileobj.truncate(0)


def open(filename, mode: str = "rb", *, level=None, format=None, block_size=None,
         threads: int = 1, index: bool = False, encoding=None, errors=None, newline=None):
    """Open a ``.logz`` archive in binary or text mode, like :func:`gzip.open`.

    ``filename`` is a path or a file object. Compression options apply to
    the write modes only.
    """
    if "t" in mode:
        if "b" in mode:
            raise ValueError(f"invalid mode: {mode!r}")
    elif encoding is not None or errors is not None or newline is not None:
        raise ValueError("encoding, errors and newline are for text mode only")
    binary_mode = mode.replace("t", "")
    params = None
    if not binary_mode.startswith("r"):
        params = _parameters(level, format, block_size, threads, index)
    if isinstance(filename, (str, bytes, os.PathLike)):
        binary = LogzipFile(filename, binary_mode, params=params)
    elif hasattr(filename, "read") or hasattr(filename, "write"):
        binary = LogzipFile(None, binary_mode, fileobj=filename, params=params)
    else:
        raise TypeError("filename must be a str, bytes or os.PathLike object, or a file object")
    if "t" in mode:
        return io.TextIOWrapper(binary, encoding, errors, newline)
    return binary


def _parameters(level, format, block_size, threads, index) -> CompressionParameters:
    options = {"threads": threads, "index": index, "format": format}
    if level is not None:
        options["level"] = level
    if block_size is not None:
        options["block_size"] = block_size
    return CompressionParameters(**options)


def compress(data, *, level=None, format=None, block_size=None, threads: int = 1,
             index: bool = False) -> bytes:
    """Compress ``data`` (bytes-like) into a ``.logz`` archive held in memory."""
    output = io.BytesIO()
    with LogzipFile(None, "wb", fileobj=output,
                    params=_parameters(level, format, block_size, threads, index)) as archive:
        archive.write(data)
    return output.getvalue()


def decompress(data) -> bytes:
    """Decompress a whole ``.logz`` archive held in memory."""
    blocks = list(iter_decompressed(io.BytesIO(data)))
    return blocks[0] if len(blocks) == 1 else b"".join(blocks)


__all__ = ["LogzipFile", "open", "compress", "decompress", "iter_decompressed", "archive_crc", "LogzipError"]
