"""``import logzip`` registers the ``logz`` compression with fsspec, without importing fsspec."""
import subprocess
import sys

import pytest

import logzip

fsspec = pytest.importorskip("fsspec")

DATA = b"".join(b"2026-12-02 01:%02d:00 INFO worker %d: took %d ms\r\n" % (i % 60, i % 7, i * 13) for i in range(2000))


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True)


def test_import_logzip_imports_neither_fsspec_nor_dask():
    done = python("import sys, logzip; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                  "('fsspec', 'dask', 'distributed', 'pandas')))")
    assert done.returncode == 0 and done.stdout == b"[]\n", done.stderr


def test_fsspec_imported_after_logzip_infers_the_compression(tmp_path):
    """The registration waits for fsspec's import (the usual order: logzip first)."""
    path = tmp_path / "app.log.logz"
    path.write_bytes(logzip.compress(DATA))
    done = python("import sys, logzip, fsspec\n"
                  f"with fsspec.open({str(path)!r}, 'rb', compression='infer') as f:\n"
                  "    sys.stdout.buffer.write(f.read())")
    assert done.returncode == 0 and done.stdout == DATA, done.stderr


def test_fsspec_reads_and_writes_archives(tmp_path):
    path = tmp_path / "app.logz"
    with fsspec.open(str(path), "wb", compression="logz") as f:
        f.write(DATA)
    assert logzip.decompress(path.read_bytes()) == DATA
    with fsspec.open(str(path), "rt", compression="infer", newline="") as f:
        assert f.read() == DATA.decode()


def test_pandas_reads_a_csv_archive(tmp_path, read_corpus):
    pandas = pytest.importorskip("pandas")
    csv = read_corpus("loghub-2k/Apache_2k.log_structured_corrected.csv")
    (tmp_path / "events.csv").write_bytes(csv)
    (tmp_path / "events.csv.logz").write_bytes(logzip.compress(csv))
    expected = pandas.read_csv(tmp_path / "events.csv")
    with logzip.open(tmp_path / "events.csv.logz") as f:
        assert pandas.read_csv(f).equals(expected)
    with fsspec.open(str(tmp_path / "events.csv.logz"), compression="infer") as f:
        assert pandas.read_csv(f).equals(expected)


def test_the_smart_open_recipe_of_the_readme(tmp_path):
    smart_open = pytest.importorskip("smart_open")
    from logzip.fsspec_compression import open_logz

    smart_open.register_compressor(".logz", open_logz)
    path = str(tmp_path / "app.logz")
    with smart_open.open(path, "wb") as f:
        f.write(DATA)
    assert logzip.decompress(open(path, "rb").read()) == DATA
    with smart_open.open(path, "r", newline="") as f:
        assert f.read() == DATA.decode()
