"""Write a file so that it appears whole or not at all."""
import contextlib
import os
import shutil
import tempfile

from .errors import LogzipError


@contextlib.contextmanager
def atomic_output(path: str, force: bool = False, copy_stat_from: str = None):
    """Yield a binary file object; on success it is renamed to ``path``.

    On any failure (including Ctrl-C) the temporary file is removed and
    ``path`` is left as it was. Without ``force`` an existing ``path`` is an error.
    """
    if os.path.lexists(path) and not force:
        raise LogzipError(f"{path} already exists; use -f to overwrite it")
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as output:
            yield output
        if copy_stat_from is not None:
            shutil.copystat(copy_stat_from, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
