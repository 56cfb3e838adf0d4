"""The command line never damages what it writes over, never leaves a temporary file, stops cleanly."""
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

import logzip
from corpora.generate import FORMATS, generate
from logzip.atomic import atomic_output
from logzip.errors import LogzipError

LOGZIP = [sys.executable, "-c", "from logzip.cli.main import main; main()"]
LOG = generate("hdfs", 60_000, seed=1)


def logzip_process(*args, **kwargs):
    return subprocess.run(LOGZIP + [str(a) for a in args], capture_output=True, **kwargs)


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(LOG)
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_forced_output_to_a_device_writes_through(tmp_path, log_file):
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))       # a /dev/null of the test's own
    result = logzip_process("compress", "-f", "-o", device, log_file)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == sorted(["null", "a.log"]) or len(list(tmp_path.iterdir())) == 2


def test_forced_output_to_a_fifo_feeds_its_reader(tmp_path, log_file):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    result = logzip_process("compress", "-f", "-o", fifo, log_file, timeout=60)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert logzip.decompress(received[0]) == LOG


def test_forced_output_through_a_symlink_writes_its_target(tmp_path, log_file):
    target = tmp_path / "real.logz"
    target.write_bytes(b"old")
    link = tmp_path / "link.logz"
    link.symlink_to(target)
    result = logzip_process("compress", "-f", "-o", link, log_file)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert logzip.decompress(target.read_bytes()) == LOG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log", "link.logz", "real.logz"]


def test_an_output_that_appears_meanwhile_is_kept(tmp_path):
    path = tmp_path / "out.logz"
    with pytest.raises(LogzipError, match="appeared"):
        with atomic_output(str(path)) as stream:
            stream.write(b"mine")
            path.write_bytes(b"theirs")          # another process got there first
    assert path.read_bytes() == b"theirs" and os.listdir(tmp_path) == ["out.logz"]


def test_long_file_names_and_errors_that_name_the_output(tmp_path):
    name = "x" * 246 + ".log"                  # as gzip: FILE.logz fits, the temporary file too
    (tmp_path / name).write_bytes(LOG)
    result = logzip_process("compress", tmp_path / name)
    assert result.returncode == 0, result.stderr
    assert logzip.decompress((tmp_path / (name + ".logz")).read_bytes()) == LOG
    missing = tmp_path / "no" / "such" / "dir.logz"
    result = logzip_process("compress", "-o", missing, tmp_path / name)
    assert result.returncode != 0 and b".tmp" not in result.stderr and str(missing).encode() in result.stderr


def test_threads_writing_one_archive_lose_and_repeat_nothing(tmp_path):
    path = tmp_path / "threads.logz"
    lines_per_thread, n_threads = 4000, 8
    with logzip.open(path, "wb", block_size=1 << 16) as archive:
        def writer(k):
            for i in range(lines_per_thread):
                archive.write(b"thread %d line %d\n" % (k, i))
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = logzip.decompress(path.read_bytes()).splitlines()
    assert sorted(lines) == sorted(b"thread %d line %d" % (k, i)
                                   for k in range(n_threads) for i in range(lines_per_thread))


def test_broken_pipe_is_quiet(tmp_path):
    archive = tmp_path / "big.logz"
    archive.write_bytes(logzip.compress(generate("hdfs", 3_000_000, seed=2), format=FORMATS["hdfs"]))
    result = subprocess.run(["bash", "-c", " ".join(f"'{a}'" for a in LOGZIP) + f" decompress -c '{archive}' | head -c 10"],
                            capture_output=True)
    assert result.stdout and result.stderr == b""


@pytest.mark.parametrize("size", ["infM", "1e400", "nanK", "-5M", "0"])
def test_absurd_block_sizes_are_one_error_line(log_file, size):
    result = logzip_process("compress", "-c", "--block-size", size, log_file)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"is not a size" in result.stderr.strip().splitlines()[-1]


def test_info_reads_standard_input(tmp_path, log_file):
    archive = logzip.compress(LOG)
    result = logzip_process("info", "-", input=archive)
    assert result.returncode == 0, result.stderr
    assert f"{len(LOG):,} bytes".encode() in result.stdout


@pytest.mark.parametrize("threads", [1, 2])
def test_sigterm_stops_fast_and_leaves_nothing(tmp_path, threads):
    big = tmp_path / "big.log"
    big.write_bytes(generate("hdfs", 24_000_000, seed=3))
    process = subprocess.Popen(LOGZIP + ["compress", "-T", str(threads), "--block-size", "2M", str(big)],
                               stderr=subprocess.PIPE)
    time.sleep(1.5)
    children = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    start = time.monotonic()
    process.wait(timeout=30)
    assert time.monotonic() - start < 5
    assert process.returncode == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.log"]
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]


def _children(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(p) for p in listing.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
