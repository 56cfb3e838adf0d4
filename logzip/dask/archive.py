"""An archive searched on a Dask cluster, with the interface ``fmsearch`` uses."""
from ..search.archive import StreamArchive
from . import query


class ClusterArchive(StreamArchive):
    """A :class:`StreamArchive` whose counts and hits are computed on the cluster of ``client``
    (a ``distributed.Client`` or a scheduler address), block by block; the lines that ``show``
    prints are rendered here, from the blocks that hold them."""

    def __init__(self, path, client, task_bytes: int = query.TASK_BYTES):
        super().__init__(path)
        self._client, self._task_bytes = client, task_bytes

    def counts(self, patterns, blocks=None):
        if blocks is not None:
            return super().counts(patterns, blocks)
        return query.count(patterns, [self.source], client=self._client, task_bytes=self._task_bytes)[0]

    def hits(self, pattern, limit=None, first: bool = True):
        return query.hits(pattern, [self.source], client=self._client, limit=limit,
                          task_bytes=self._task_bytes)[0]
