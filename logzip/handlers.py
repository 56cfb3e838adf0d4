"""Logging handlers whose rotated logs become ``.logz`` archives, compressed in the background.

``RotatingFileHandler`` and ``TimedRotatingFileHandler`` are the standard library's, with
its options (``maxBytes``, ``backupCount``, ``when``, ``interval``...), plus
``compresslevel`` and ``log_format``; their backups are ``app.log.1.logz``... For a
handler that exists already, ``handler.rotator = logzip.handlers.rotator`` and
``handler.namer = logzip.handlers.namer``; for loguru, ``compression=logzip.handlers.compression``
(``logzip.handlers.wait()`` returns once their archives are done).

Rotation only renames the full log aside, at once; a thread compresses it. Nothing is lost
on a crash: the log stays, under a hidden name beside its archive-to-be
(``.app.log.1.logz.<ns>.pending``), until the archive is complete, renamed into place,
read back and verified (every block, and the CRC32 of the whole); only then is the log
removed. A handler finds the logs a crash left pending when it starts and compresses them
again (``recover``). The namer waits for the compression of the previous rotation, so
that the renaming of the backups sees every archive: logging waits only when logs fill
faster than they are compressed.
"""
import glob
import logging.handlers
import os
import queue
import sys
import threading
import time
import zlib

from .atomic import atomic_output
from .errors import LogzipError
from .file import LogzipFile, archive_crc
from .inputs import open_input
from .pipeline import DEFAULT_LEVEL, CompressionParameters, read_chunks

SUFFIX = ".logz"
PENDING = ".pending"


def compress_file(source: str, target: str, params: CompressionParameters) -> None:
    """Compress the log at ``source`` (compressed by gzip... or not) into ``target``; remove
    ``source`` once ``target`` is durable and restores it exactly."""
    crc = 0
    with open_input(source) as stream, atomic_output(target) as sink:
        with LogzipFile(None, "wb", fileobj=sink, params=params) as archive:
            for chunk in read_chunks(stream):
                archive.write(chunk)
                crc = zlib.crc32(chunk, crc)
    if archive_crc(target) != crc:
        raise LogzipError(f"{target} does not restore {source}; {source} kept")
    _fsync(target)
    _fsync(os.path.dirname(os.path.abspath(target)))
    os.unlink(source)


def _fsync(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def pending_name(target: str) -> str:
    """Where a rotated log waits for its compression into ``target``: hidden, beside it, unique."""
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{time.time_ns()}{PENDING}")


def _target_of_pending(pending: str) -> str:
    folder, name = os.path.split(pending)
    return os.path.join(folder, name[1:-len(PENDING)].rsplit(".", 1)[0])


class BackgroundCompressor:
    """Compresses logs into archives on a thread of its own, in the order given.

    The thread lives while there is work (it is not a daemon: the interpreter waits for
    the last archive before it exits). A failed compression keeps its log and is reported
    on stderr, as logging reports its own errors.
    """

    def __init__(self, params: CompressionParameters = None):
        self.params = params or CompressionParameters()
        self._jobs = queue.Queue()
        self._lock = threading.Lock()
        self._worker = None

    def submit(self, source: str, target: str, then=None) -> None:
        """Compress ``source`` into ``target``, then call ``then()`` (if given)."""
        with self._lock:
            self._jobs.put((source, target, then))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="logzip-compress")
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                try:
                    source, target, then = self._jobs.get_nowait()
                except queue.Empty:
                    self._worker = None
                    return
            try:
                compress_file(source, target, self.params)
                if then is not None:
                    then()
            except Exception as error:  # whatever fails, one log must not stop the thread
                sys.stderr.write(f"logzip: {source} kept uncompressed: {error}\n")
            finally:
                self._jobs.task_done()

    def wait(self) -> None:
        """Return once every log submitted so far is compressed (or kept, on failure)."""
        self._jobs.join()

    def rotator(self, source: str, dest: str, then=None) -> None:
        """A ``rotator`` for logging's rotating handlers: move ``source`` aside and compress
        it into ``dest`` in the background (then call ``then()``)."""
        if not os.path.exists(source):
            return
        pending = pending_name(dest)
        os.rename(source, pending)
        self.submit(pending, dest, then)

    def namer(self, default_name: str) -> str:
        """A ``namer`` for logging's rotating handlers: the archive's name of a backup."""
        self.wait()
        return default_name + SUFFIX

    def compression(self, path: str) -> None:
        """loguru's ``compression=``: compress the closed log at ``path`` into ``path.logz``."""
        self.rotator(path, path + SUFFIX)

    def recover(self, log_path: str) -> None:
        """Compress again the logs of ``log_path`` that a crash left pending (those whose
        archive does not exist; the others are kept and reported)."""
        folder, name = os.path.split(os.path.abspath(log_path))
        for pending in sorted(glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}*{PENDING}"))):
            self.submit(pending, _target_of_pending(pending))


_default = BackgroundCompressor()
rotator, namer, compression, recover, wait = (_default.rotator, _default.namer, _default.compression,
                                              _default.recover, _default.wait)


class _Compressing:
    """What the two handlers add to the standard library's: the rotator, the namer, the
    recovery at start, and ``close`` waiting for the archives."""

    def _start_compressing(self, compresslevel: int, log_format) -> None:
        self._compressor = BackgroundCompressor(CompressionParameters(level=compresslevel, format=log_format))
        self.rotator, self.namer = self._compressor.rotator, self._compressor.namer
        self._compressor.recover(self.baseFilename)

    def close(self) -> None:
        super().close()
        self._compressor.wait()


class RotatingFileHandler(_Compressing, logging.handlers.RotatingFileHandler):
    """logging's ``RotatingFileHandler`` (by size: ``maxBytes``, ``backupCount``) whose
    backups are ``.logz`` archives."""

    def __init__(self, filename, mode="a", maxBytes=0, backupCount=0, encoding=None, delay=False,
                 errors=None, compresslevel: int = DEFAULT_LEVEL, log_format=None):
        super().__init__(filename, mode, maxBytes, backupCount, encoding, delay, errors)
        self._start_compressing(compresslevel, log_format)


class TimedRotatingFileHandler(_Compressing, logging.handlers.TimedRotatingFileHandler):
    """logging's ``TimedRotatingFileHandler`` (``when``, ``interval``, ``backupCount``...)
    whose backups are ``.logz`` archives.

    The oldest archives beyond ``backupCount`` are removed once the new one is complete,
    on the compressing thread, so that the count includes it."""

    def __init__(self, filename, when="h", interval=1, backupCount=0, encoding=None, delay=False,
                 utc=False, atTime=None, errors=None, compresslevel: int = DEFAULT_LEVEL, log_format=None):
        super().__init__(filename, when, interval, backupCount, encoding, delay, utc, atTime, errors)
        self._start_compressing(compresslevel, log_format)
        self.rotator = lambda source, dest: self._compressor.rotator(source, dest, self._remove_expired)

    def getFilesToDelete(self):
        return []  # the rotation's own pass; _remove_expired runs once the archive exists

    def _remove_expired(self) -> None:
        for path in super().getFilesToDelete():
            os.remove(path)
