"""gzip's and zstd's habits: `logzip FILE`, -d, -t, -l, -N, --fast/--best, -T0, --rm, -q/-v, cat, logzcat."""
import subprocess
import sys

import pytest

import logzip
from logzip.cli.main import gzip_style

from .test_cli import DATA, assert_one_line_error, log, logzip as run_logzip  # noqa: F401 (log: a fixture)

COMMANDS = ("compress", "decompress", "info", "templates", "test", "list", "cat")


def test_bare_files_are_compressed(log, tmp_path):
    assert run_logzip(log).returncode == 0
    assert logzip.decompress((tmp_path / "app.log.logz").read_bytes()) == DATA


def test_dash_d_decompresses(log, tmp_path):
    run_logzip(log)
    log.unlink()
    assert run_logzip("-d", tmp_path / "app.log.logz").returncode == 0
    assert log.read_bytes() == DATA
    assert run_logzip("-dc", tmp_path / "app.log.logz").stdout == DATA


def test_dash_t_checks_every_block(log, tmp_path):
    run_logzip("compress", "--block-size", "16K", log)
    archive = tmp_path / "app.log.logz"
    assert run_logzip("-t", archive).returncode == 0
    data = bytearray(archive.read_bytes())
    data[-200] ^= 1  # inside the last block
    archive.write_bytes(bytes(data))
    assert_one_line_error(run_logzip("-t", archive), "app.log.logz")


def test_dash_l_lists_one_line_per_file(log, tmp_path):
    run_logzip(log)
    archive = tmp_path / "app.log.logz"
    lines = run_logzip("-l", archive).stdout.decode().splitlines()
    assert len(lines) == 2 and lines[0].split() == ["compressed", "uncompressed", "ratio", "uncompressed_name"]
    assert lines[1].split()[:2] == [str(archive.stat().st_size), str(len(DATA))]
    assert lines[1].endswith(str(log))


def test_level_flags_become_level():
    assert gzip_style(["-9", "a.log"], COMMANDS) == ["compress", "--level", "9", "a.log"]
    assert gzip_style(["--fast", "a.log"], COMMANDS) == ["compress", "--level", "1", "a.log"]
    assert gzip_style(["compress", "--best", "--", "-3"], COMMANDS) == ["compress", "--level", "19", "--", "-3"]
    assert gzip_style(["-dk", "a.logz"], COMMANDS) == ["decompress", "-k", "a.logz"]
    assert gzip_style(["compress", "-l", "3", "a"], COMMANDS) == ["compress", "-l", "3", "a"]


def test_level_flag_compresses(log, tmp_path):
    assert run_logzip("-3", "-c", log).returncode == 0
    fast = run_logzip("--fast", "-c", log).stdout
    assert logzip.decompress(fast) == DATA


def test_threads_zero_means_every_core(log):
    result = run_logzip("compress", "-T0", "-c", log)
    assert result.returncode == 0 and logzip.decompress(result.stdout) == DATA


def test_rm_removes_the_input_after_a_verified_output(log, tmp_path):
    assert run_logzip("--rm", log).returncode == 0
    archive = tmp_path / "app.log.logz"
    assert not log.exists() and logzip.decompress(archive.read_bytes()) == DATA
    assert run_logzip("-d", "--rm", archive).returncode == 0
    assert log.read_bytes() == DATA and not archive.exists()


def test_rm_keeps_the_input_when_the_output_fails(log, tmp_path):
    (tmp_path / "app.log.logz").write_bytes(b"in the way")
    assert_one_line_error(run_logzip("--rm", log), "already exists")
    assert log.read_bytes() == DATA


def test_verbose_prints_a_summary_and_quiet_nothing(log):
    err = run_logzip("-v", "-c", log).stderr.decode()
    assert err.startswith(f"{log}: ") and "x, " in err and " MB -> " in err and err.endswith(" MB/s\n")
    assert run_logzip("-q", "-c", log).stderr == b""


def test_cat_and_logzcat(log, tmp_path):
    run_logzip(log)
    archive = tmp_path / "app.log.logz"
    assert run_logzip("cat", archive, archive).stdout == DATA + DATA
    logzcat = subprocess.run([sys.executable, "-c", "import sys; from logzip.cli.main import logzcat; "
                              "sys.argv[0] = 'logzcat'; logzcat()", str(archive)], capture_output=True)
    assert logzcat.returncode == 0 and logzcat.stdout == DATA
