"""The Dask client a job runs on, and what its workers need from logzip."""
import contextlib
from typing import Optional, Union

import distributed

from ..errors import LogzipError

@contextlib.contextmanager
def connected(scheduler: Union[str, distributed.Client, None]):
    """Yield a client: ``scheduler`` itself when it is one, a new one (closed on exit) when it is
    an address such as ``tcp://10.0.0.5:8786`` (waiting for it as long as Dask's
    ``distributed.comm.timeouts.connect`` says), else the current default client."""
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is None:
        try:
            yield distributed.get_client()
        except ValueError:
            raise LogzipError("no Dask client: pass client= or start a distributed.Client first") from None
        return
    try:
        client = distributed.Client(scheduler, set_as_default=False)
    except (OSError, ValueError) as error:
        raise LogzipError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        yield client


def worker_threads(client: distributed.Client) -> int:
    """Task slots of the cluster (at least 1, so that a job waits for workers rather than failing)."""
    return max(1, sum(client.nthreads().values()))


class ImportLogzip(distributed.WorkerPlugin):
    """Imports logzip on every worker, present and future, so that the ``logz`` compression of
    fsspec is known there: ``dask.bag.read_text("*.logz")`` ships only fsspec file objects,
    which name the compression without importing logzip."""

    name = "logzip-import"

    def setup(self, worker):
        import logzip  # noqa: F401 - registers the logz compression with fsspec


def register_workers(client: Optional[distributed.Client] = None) -> None:
    """Make every worker of ``client`` (the default one if None) import logzip."""
    with connected(client) as found:
        found.register_plugin(ImportLogzip())
