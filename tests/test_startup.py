"""Start-up of the one-off commands: what ``logzip decompress`` and ``fmsearch count`` import.

Each command runs in a fresh interpreter, as from the shell, and reports the modules it loaded;
the encoder's template miner, Dask and the index writer's ``secrets`` must stay out of a reader's
start-up (issue 9 item 5: under 0.15 s of overhead each), and numpy's OpenBLAS must start one
thread (``OPENBLAS_NUM_THREADS``, half of ``import numpy``'s CPU time on two cores).
"""
import json
import subprocess
import sys

import pytest

from corpora.generate import generate

REPORT = """
import json, os, runpy, sys
sys.argv = [sys.argv[1], *sys.argv[2:]]
try:
    runpy.run_module(sys.argv[0], run_name="__main__")
except SystemExit as exit:
    status = exit.code
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump({"modules": sorted(sys.modules), "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
               "status": status}, out)
"""

NOT_FOR_READERS = ("logzip.cluster.miner", "logzip.cluster.json_lines", "logzip.dask", "dask", "distributed",
                   "secrets")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    work = tmp_path_factory.mktemp("startup")
    log = work / "small.log"
    log.write_bytes(generate("hdfs", 20_000))
    subprocess.run([sys.executable, "-m", "logzip.cli.main", "compress", str(log)], check=True)
    return log, work / "small.log.logz"


def loaded(tmp_path, module, *args):
    """(modules loaded, OPENBLAS_NUM_THREADS seen, stdout) of ``python -m module args`` run afresh."""
    out = tmp_path / "modules.json"
    env = {"PATH": "/usr/bin:/bin", "MODULES_OUT": str(out)}
    result = subprocess.run([sys.executable, "-c", REPORT, module, *map(str, args)], env=env,
                            capture_output=True, check=True)
    report = json.loads(out.read_text())
    assert report["status"] in (0, None), result.stderr
    return set(report["modules"]), report["blas"], result.stdout


def assert_lean(modules):
    heavy = sorted(name for name in modules if name.startswith(NOT_FOR_READERS))
    assert heavy == []


def test_decompress_imports_no_encoder(archive, tmp_path):
    log, logz = archive
    modules, blas, output = loaded(tmp_path, "logzip.cli.main", "decompress", "-c", logz)
    assert output == log.read_bytes()
    assert "logzip.codec.block" in modules and "numpy" in modules
    assert_lean(modules)
    assert blas == "1"


def test_fmsearch_count_imports_no_encoder(archive, tmp_path):
    log, logz = archive
    modules, blas, output = loaded(tmp_path, "logzip.cli.fmsearch", "count", logz, "blk_")
    assert int(output.split()[-1]) == log.read_bytes().count(b"blk_")
    assert_lean(modules)
    assert blas == "1"


def test_compress_still_finds_the_miner(tmp_path):
    log = tmp_path / "small.log"
    log.write_bytes(generate("hdfs", 20_000))
    modules, _, _ = loaded(tmp_path, "logzip.cli.main", "compress", log)
    assert "logzip.cluster.miner" in modules
    assert (tmp_path / "small.log.logz").exists()


def test_library_api_still_lists_the_miner():
    from logzip import cluster
    from logzip.cluster import miner
    assert (cluster.TemplateMiner, cluster.MinerConfig) == (miner.TemplateMiner, miner.MinerConfig)
    with pytest.raises(AttributeError):
        cluster.no_such_name
