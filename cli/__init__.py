"""The command-line tools ``logzip``, ``logzcat`` and ``fmsearch``.

A one-off command uses no BLAS (logzip's array arithmetic is integer, which numpy never hands
to BLAS), yet numpy's OpenBLAS starts one thread per core when it is imported: half of
``import numpy``'s cost (0.15 -> 0.08 s of CPU here). The tools ask for one thread unless the
user chose otherwise; this package is imported before anything that imports numpy.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
