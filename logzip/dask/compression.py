"""Compress files on a Dask cluster: workers compress blocks, the client writes the archives.

The client cuts every input into blocks exactly as a local run does
(:class:`~logzip.pipeline.BlockCutter`), hands each block to the cluster as a task
(:func:`~logzip.pipeline.compress_block`) and writes the results in order, so the archive
is byte for byte the one ``logzip compress`` writes with the same parameters, and the
workers need no access to the files. Many small files are many tasks; one large file is
as many tasks as it has blocks. At most two blocks per worker thread are in flight, which
bounds the client's memory (blocks of ``block_size`` bytes).
"""
import contextlib
import os
from collections import deque
from typing import Iterator, List, Optional

from ..atomic import atomic_output
from ..container import ArchiveWriter
from ..errors import LogzipError
from ..pipeline import BlockCutter, CompressionParameters, compress_block, read_chunks
from .cluster import client_for, worker_threads
from .parts import expand

SUFFIX = ".logz"
IN_FLIGHT_PER_THREAD = 2


def compress(paths, out_dir=None, *, client=None, params: Optional[CompressionParameters] = None,
             force: bool = False, outputs: Optional[List[str]] = None) -> List[str]:
    """Compress each file of ``paths`` (paths or glob patterns) into ``out_dir/NAME.logz`` (beside
    it when ``out_dir`` is None, or into ``outputs``, one name per path); return the archives' paths.

    ``client``: a ``distributed.Client``, a scheduler address, or None for the default client.
    Without ``force`` an existing output is an error, found before any work starts."""
    paths = expand(paths)
    targets = outputs if outputs is not None else [_target(path, out_dir) for path in paths]
    if len(targets) != len(paths):
        raise ValueError("outputs must name one archive per path")
    _check(paths, targets, force, outputs is None)
    params = params or CompressionParameters()
    _run(client_for(client), paths, targets, params, force)
    return targets


def _target(path: str, out_dir) -> str:
    folder = os.path.dirname(path) if out_dir is None else os.fspath(out_dir)
    return os.path.join(folder, os.path.basename(path) + SUFFIX)


def _check(paths, targets, force: bool, named_by_suffix: bool) -> None:
    """The errors of a local run, before anything is sent to the cluster."""
    for path, target in zip(paths, targets):
        if os.path.exists(target) and os.path.samefile(path, target):
            raise LogzipError(f"{target}: output would overwrite the input")
        if named_by_suffix and path.endswith(SUFFIX):
            raise LogzipError(f"{path}: already has the {SUFFIX} suffix; unchanged")
        if not force and os.path.lexists(target):
            raise LogzipError(f"{target} already exists; use -f to overwrite it")


def _blocks(paths, block_size: int) -> Iterator[tuple]:
    """``(file number, block)`` for every block of every file, in order, and ``(number, None)``
    after each file's last one."""
    for number, path in enumerate(paths):
        cutter = BlockCutter(block_size)
        with open(path, "rb") as stream:
            for chunk in read_chunks(stream):
                for block in cutter.feed(chunk):
                    yield number, block
        rest = cutter.flush()
        if rest:
            yield number, rest
        yield number, None


def _run(client, paths, targets, params: CompressionParameters, force: bool) -> None:
    window = IN_FLIGHT_PER_THREAD * worker_threads(client)
    pending = deque()
    with _Archives(paths, targets, params, force) as archives:
        try:
            for number, block in _blocks(paths, params.block_size):
                future = None if block is None else client.submit(compress_block, block, params, pure=False)
                pending.append((number, future))
                while len(pending) > window:
                    archives.store(*pending.popleft())
            while pending:
                archives.store(*pending.popleft())
        except BaseException:
            client.cancel([future for _, future in pending if future is not None])
            raise


class _Archives:
    """Writes the archives one after another, each through a temporary file renamed when whole."""

    def __init__(self, paths, targets, params: CompressionParameters, force: bool):
        self._paths, self._targets, self._params, self._force = paths, targets, params, force
        self._stack = contextlib.ExitStack()
        self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return self._stack.__exit__(*exc_info)

    def store(self, number: int, future) -> None:
        """Write the block ``future`` computes to archive ``number`` (None: that archive is done)."""
        if self._writer is None:
            output = self._stack.enter_context(
                atomic_output(self._targets[number], self._force, copy_stat_from=self._paths[number]))
            self._writer = ArchiveWriter(output, self._params.meta(), self._params.index)
        if future is None:
            self._writer.close()
            self._writer = None
            self._stack.close()   # renames the temporary file
            return
        block = future.result()
        self._writer.write_block(block.raw_len, block.raw_crc, block.n_lines, block.payload, block.index)
