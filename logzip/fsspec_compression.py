"""The ``logz`` compression of :mod:`fsspec`, registered by ``import logzip``.

Once it is registered, ``fsspec.open("app.logz", compression="infer")`` (or
``compression="logz"``) reads and writes archives, and so do the libraries that open
files through fsspec: ``dask.bag.read_text("logs/*.logz")``, pandas with an fsspec URL.

fsspec has no entry point for compressions, and importing it costs tens of
milliseconds, so ``import logzip`` never imports it: when fsspec is already imported
the compression is registered at once, otherwise a finder on ``sys.meta_path``
waits for fsspec's import and registers it right after (then leaves). Only the
finder's name check runs on other imports.
"""
import sys

NAME = "logz"
EXTENSION = "logz"


def open_logz(infile, mode: str = "rb", **kwargs):
    """fsspec's compression callback: the archive read from (or written to) ``infile``."""
    from .file import LogzipFile

    return LogzipFile(None, "rb" if "r" in mode else "wb", fileobj=infile)


def register() -> None:
    """Register the ``logz`` compression and the ``.logz`` extension with fsspec."""
    from fsspec.compression import register_compression

    register_compression(NAME, open_logz, EXTENSION, force=True)


class _LoaderThenRegister:
    """fsspec's own loader, then :func:`register` (no importlib.abc base: it costs 6 ms to import)."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        register()


class _WhenImported:
    """A finder of ``sys.meta_path`` that finds nothing itself; when fsspec is about to be
    imported, it wraps fsspec's loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "fsspec":
            return None
        import importlib.util

        sys.meta_path.remove(self)   # leave, and let the other finders find the real fsspec
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderThenRegister(spec.loader)
        return spec


def register_when_imported() -> None:
    """Register now if fsspec is imported, else as soon as it is."""
    if "fsspec" in sys.modules:
        register()
    elif not any(isinstance(finder, _WhenImported) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WhenImported())
