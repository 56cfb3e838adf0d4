"""logzip on Dask (``pip install logzip-toolkit[dask]``): read, compress and search archives on
a cluster. Importing ``logzip`` never imports Dask; this module does.

    import distributed, logzip.dask
    client = distributed.Client("tcp://scheduler:8786")      # workers with logzip installed
    lines = logzip.dask.read_text("logs/*.logz")             # a bag, a partition per block
    logzip.dask.compress(["a.log", "b.log"], "out/")          # out/a.log.logz, out/b.log.logz
    logzip.dask.count([b"ERROR", b"timeout"], "out/*.logz")   # [[n, n], [n, n]]: per archive
    logzip.dask.hits(b"timeout", "out/*.logz", limit=10)     # [[Hit, ...], [...]]: in offset order

Workers read the archives they search or read (a filesystem that they share with the
client); to compress, the client reads the inputs and writes the archives, and the workers
only receive blocks.
"""
try:
    import dask.bag  # noqa: F401
    import distributed  # noqa: F401
except ImportError as missing:
    from ..errors import MissingDependencyError

    raise MissingDependencyError(f"logzip.dask needs Dask ({missing}): pip install 'logzip-toolkit[dask]'") from None

from .archive import ClusterArchive
from .cluster import ImportLogzip, register_workers
from .compression import compress
from .query import count, hits
from .read import read_bytes, read_text

__all__ = ["read_text", "read_bytes", "compress", "count", "hits", "ClusterArchive", "register_workers",
           "ImportLogzip"]
