"""Write a file so that it appears whole or not at all, without replacing what is not a regular file."""
import contextlib
import errno
import io
import os
import shutil
import stat
import tempfile
import threading

from .errors import LogzipError

TEMP_SUFFIX = ".tmp"
_RANDOM_PART = 8 + 1  # tempfile's random name and its dot

_live = set()  # temporary files being written, removed by remove_temporaries() on a signal
_live_lock = threading.Lock()


def remove_temporaries() -> None:
    """Remove every temporary file still being written (called when the process is told to stop)."""
    with _live_lock:
        for temporary in list(_live):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        _live.clear()


class _NamedWriter(io.BufferedWriter):
    """A buffered file whose write errors name ``shown_name`` (the real output, not the temporary)."""

    def __init__(self, raw, shown_name: str):
        super().__init__(raw)
        self.shown_name = shown_name

    def write(self, data):
        with _named(self.shown_name):
            return super().write(data)

    def flush(self):
        with _named(self.shown_name):
            return super().flush()

    def close(self):
        with _named(self.shown_name):
            return super().close()


@contextlib.contextmanager
def _named(path: str):
    """Report OSErrors as errors of ``path``."""
    try:
        yield
    except OSError as error:
        error.filename, error.filename2 = path, None
        raise


@contextlib.contextmanager
def atomic_output(path: str, force: bool = False, copy_stat_from: str = None):
    """Yield a binary file object that ends up as ``path``.

    A regular file (or a new one) is written to a temporary file in the same
    folder, renamed to ``path`` on success and removed on any failure. A
    device or a FIFO is written through: it is never replaced. A symbolic
    link is followed and its target written atomically. Without ``force`` an
    existing ``path`` is an error, also when it appears while we write.
    """
    target = os.path.realpath(path) if os.path.islink(path) else path
    existing = _stat_or_none(target)
    if (existing is not None or os.path.lexists(path)) and not force:
        raise LogzipError(f"{path} already exists; use -f to overwrite it")
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise LogzipError(f"{path}: is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _named(path):
            raw = io.FileIO(target, "wb")
        with _NamedWriter(raw, path) as output:
            yield output
        return
    with _temporary_beside(target, path) as (fd, temporary):
        output = _NamedWriter(io.FileIO(fd, "wb"), path)
        with output:
            yield output
        with _named(path):
            if copy_stat_from is not None:
                shutil.copystat(copy_stat_from, temporary)
            else:
                os.chmod(temporary, 0o666 & ~_umask())
            _commit(temporary, target, path, overwrite=force)


@contextlib.contextmanager
def _temporary_beside(target: str, shown: str):
    """A temporary file next to ``target``, registered for removal; removed unless committed."""
    directory = os.path.dirname(os.path.abspath(target))
    with _named(shown):
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=_temporary_prefix(target, directory),
                                         suffix=TEMP_SUFFIX)
    with _live_lock:
        _live.add(temporary)
    try:
        yield fd, temporary
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    finally:
        with _live_lock:
            _live.discard(temporary)


def _temporary_prefix(target: str, directory: str) -> str:
    """``.NAME.``, NAME shortened so that the whole temporary name fits in NAME_MAX bytes."""
    try:
        name_max = os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    room = name_max - len(TEMP_SUFFIX) - _RANDOM_PART - 1
    name = os.fsencode(os.path.basename(target))[:max(room, 1)]
    return "." + os.fsdecode(name.decode("utf-8", "ignore").encode("utf-8") or b"x")


def _commit(temporary: str, target: str, shown: str, overwrite: bool) -> None:
    """Move ``temporary`` to ``target``; without ``overwrite``, fail if ``target`` exists by now."""
    if overwrite:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise LogzipError(f"{shown} already exists; use -f to overwrite it") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        if os.path.lexists(target):  # no hard links here: the best we can do
            raise LogzipError(f"{shown} already exists; use -f to overwrite it") from None
        os.rename(temporary, target)
        return
    os.unlink(temporary)


def _stat_or_none(path: str):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
