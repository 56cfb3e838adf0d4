"""Write a file so that it appears whole or not at all, and never replace what is not a file.

* A regular file (or a new name) is written to a temporary file beside it, renamed over it
  on success; without ``force`` the rename never replaces a file that appeared meanwhile.
* A symbolic link is followed: its target is written that way, the link stays a link.
* A device, a FIFO or a socket is written through, as ``gzip -c > /dev/null`` would: no
  temporary file, no rename, its type unchanged.
"""
import contextlib
import os
import secrets
import shutil
import stat

from .errors import LogzipError

NAME_MAX = 255
_SUFFIX_BYTES = 2 + 8 + 4  # "." before, "." + 8 random + ".tmp" after


@contextlib.contextmanager
def atomic_output(path: str, force: bool = False, copy_stat_from: str = None):
    """Yield a binary file object for ``path``, written as the module says.

    On any failure (including Ctrl-C and SIGTERM, which the CLI turns into an exception)
    the temporary file is removed and ``path`` is left as it was. Without ``force`` an
    existing ``path`` is an error. Errors name ``path``, never the temporary file.
    """
    if os.path.lexists(path):
        if not force:
            raise LogzipError(f"{path} already exists; use -f to overwrite it")
        target = os.path.realpath(path)
        if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            with _named(path, target), open(target, "wb") as output:
                yield output
            return
        path = target
    temporary = _temporary_name(path)
    try:
        with _named(path, temporary):
            with open(temporary, "xb") as output:
                yield output
            if copy_stat_from is not None:
                shutil.copystat(copy_stat_from, temporary)
            else:
                os.chmod(temporary, 0o666 & ~_umask())
            _publish(temporary, path, force)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _publish(temporary: str, path: str, force: bool) -> None:
    """Rename ``temporary`` to ``path``; without ``force``, fail if ``path`` exists by now."""
    if force:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)     # fails if path exists, unlike a rename
    except FileExistsError:
        raise LogzipError(f"{path} appeared while it was being written; use -f to overwrite it") from None
    except OSError:                  # a file system without hard links
        if os.path.lexists(path):
            raise LogzipError(f"{path} appeared while it was being written; use -f to overwrite it") from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _temporary_name(path: str) -> str:
    """A hidden name beside ``path``, unique, and no longer than a file name may be."""
    directory, name = os.path.split(os.path.abspath(path))
    stem = os.fsencode(name)[:NAME_MAX - _SUFFIX_BYTES].decode(errors="ignore")
    return os.path.join(directory, f".{stem}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def _named(path: str, actual: str):
    """OSErrors about ``actual`` (a temporary file, a link's target) name ``path`` instead."""
    try:
        yield
    except OSError as error:
        if error.filename == actual:
            error.filename = path
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
