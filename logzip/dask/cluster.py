"""The Dask client a job runs on, and what its workers need from logzip."""
from typing import Optional, Union

import distributed

from ..errors import LogzipError

_by_address = {}   # one client a scheduler address, for the life of the process


def client_for(scheduler: Union[str, distributed.Client, None]) -> distributed.Client:
    """``scheduler`` itself when it is a client; for an address such as ``tcp://10.0.0.5:8786``, a
    client connected to it (once a process, waiting as long as Dask's
    ``distributed.comm.timeouts.connect`` says); for None, the current default client."""
    if isinstance(scheduler, distributed.Client):
        return scheduler
    if scheduler is None:
        try:
            return distributed.get_client()
        except ValueError:
            raise LogzipError("no Dask client: pass client= or start a distributed.Client first") from None
    client = _by_address.get(scheduler)
    if client is None or client.status != "running":
        try:
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, ValueError) as error:
            raise LogzipError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        _by_address[scheduler] = client
    return client


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
    client_for(client).register_plugin(ImportLogzip())
