"""The logzip command never replaces what is not a regular file, leaves nothing behind when
stopped, and fails with one line: devices, FIFOs, symlinks, signals, pipes, races."""
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

import logzip
from logzip.atomic import atomic_output
from logzip.errors import LogzipError

from .test_cli import DATA, assert_one_line_error, log, logzip as run_logzip  # noqa: F401 (log: a fixture)

COMMAND = [sys.executable, "-m", "logzip.cli.main"]


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    from corpora.generate import generate

    path = tmp_path_factory.mktemp("big") / "big.log"
    path.write_bytes(generate("hadoop", 6 << 20, seed=1))
    return path


def test_force_writes_through_a_fifo(log, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run_logzip("compress", "-f", log, "-o", fifo)
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert logzip.decompress(received[0]) == DATA
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "out.fifo"]


def test_force_writes_through_a_device_node(log, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert run_logzip("compress", "-f", log, "-o", null).returncode == 0
    archive = run_logzip("compress", "-c", log).stdout
    assert run_logzip("decompress", "-f", "-", "-o", null, stdin=archive).returncode == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "null"]


def test_a_full_disk_is_one_error_line_naming_the_output(log, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))     # a /dev/full of the test's own
    assert_one_line_error(run_logzip("compress", "-f", log, "-o", full), str(full), "No space left")
    archive = run_logzip("compress", "-c", log).stdout
    assert_one_line_error(run_logzip("decompress", "-f", "-", "-o", full, stdin=archive), "No space left")
    with open(full, "wb") as stdout:                              # standard output on a full disk
        result = subprocess.run(COMMAND + ["compress", "-c", str(log)], stdout=stdout, stderr=subprocess.PIPE)
    assert result.returncode != 0 and result.stderr.count(b"\n") == 1 and b"Traceback" not in result.stderr
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "full"]


def test_a_read_only_folder_is_one_error_line_and_nothing_left(log, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert_one_line_error(run_logzip("compress", log, "-o", folder / "out.logz"), "Permission denied")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_force_follows_a_symlink_and_keeps_it(log, tmp_path):
    real = tmp_path / "real.logz"
    real.write_bytes(b"old")
    link = tmp_path / "link.logz"
    link.symlink_to(real.name)
    assert run_logzip("compress", "-f", log, "-o", link).returncode == 0
    assert link.is_symlink() and logzip.decompress(real.read_bytes()) == DATA


def test_output_that_appears_meanwhile_is_not_overwritten(tmp_path):
    target = tmp_path / "out.logz"
    with pytest.raises(LogzipError, match="already exists"):
        with atomic_output(str(target)) as output:
            output.write(b"ours")
            target.write_bytes(b"theirs")  # another process got there first
    assert target.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.logz"]


def test_long_output_name_and_errors_name_the_real_output(log, tmp_path):
    long_name = tmp_path / ("x" * 241 + ".logz")  # 246 bytes: the temporary name must be shortened
    assert run_logzip("compress", log, "-o", long_name).returncode == 0
    assert logzip.decompress(long_name.read_bytes()) == DATA
    missing = tmp_path / "no-such-dir" / "out.logz"
    result = run_logzip("compress", log, "-o", missing)
    assert_one_line_error(result, str(missing))
    assert ".tmp" not in result.stderr.decode()


@pytest.mark.parametrize("size", ["infM", "1e400", "nanK"])
def test_absurd_block_sizes_are_one_line_errors(log, size):
    assert_one_line_error(run_logzip("compress", "--block-size", size, log), "block-size")


def test_info_reads_stdin(log):
    archive = run_logzip("compress", "-c", log).stdout
    result = run_logzip("info", "-", stdin=archive)
    assert result.returncode == 0, result.stderr
    assert "blocks" in result.stdout.decode()


def test_broken_pipe_exits_quietly(tmp_path):
    archive = tmp_path / "big.logz"
    archive.write_bytes(logzip.compress(DATA * 4, level=1, block_size=32 << 10))
    process = subprocess.Popen(COMMAND + ["decompress", "-c", str(archive)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(100)
    process.stdout.close()
    err = process.stderr.read()
    process.wait(30)
    assert err == b"" and process.returncode != 0


def test_threads_writing_one_file_each_line_once(tmp_path):
    path = tmp_path / "shared.logz"
    per_thread, batch, n_threads = 5000, 20, 8
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show at once
    try:
        with logzip.open(path, "wb", level=1, block_size=32 << 10) as archive:
            def work(number):
                for start in range(0, per_thread, batch):
                    archive.write(b"".join(b"thread %d line %d\n" % (number, i)
                                           for i in range(start, start + batch)))
            threads = [threading.Thread(target=work, args=(n,)) for n in range(n_threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(interval)
    lines = logzip.decompress(path.read_bytes()).splitlines()
    expected = [b"thread %d line %d" % (n, i) for n in range(n_threads) for i in range(per_thread)]
    assert sorted(lines) == sorted(expected)


def _children(pid: int) -> list:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            children += map(int, listing.read().split())
    return children


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _start_compressing(path, threads: int):
    """A running ``compress`` with its temporary file written and its workers started."""
    process = subprocess.Popen(COMMAND + ["compress", "-T", str(threads), "--block-size", "1M", str(path)],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = any(p.name.endswith(".tmp") for p in path.parent.iterdir())
        if busy and len(_children(process.pid)) >= (threads if threads > 1 else 0):
            break
        time.sleep(0.02)
    time.sleep(0.5)
    return process, _children(process.pid)


def _wait_gone(pids, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not any(map(_alive, pids))


@pytest.mark.parametrize("how, threads", [(signal.SIGTERM, 2), (signal.SIGINT, 1), (signal.SIGINT, 2)])
def test_signal_stops_at_once_and_leaves_nothing(big_log, how, threads):
    process, workers = _start_compressing(big_log, threads)
    sent = time.monotonic()
    process.send_signal(how)
    process.communicate(timeout=30)
    assert time.monotonic() - sent < 1.5
    assert process.returncode == 128 + how
    assert [p.name for p in big_log.parent.iterdir()] == ["big.log"]
    assert _wait_gone(workers, 2)


def test_workers_die_with_a_killed_parent(big_log):
    process, workers = _start_compressing(big_log, 2)
    assert workers
    process.kill()
    process.wait(10)
    assert _wait_gone(workers, 3)
    for leftover in big_log.parent.glob(".*.tmp"):  # SIGKILL cannot clean up: only the workers matter here
        leftover.unlink()


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_stdout_and_output_together_are_a_usage_error(log, tmp_path, command):
    source = log if command == "compress" else tmp_path / "app.log.logz"
    if command == "decompress":
        source.write_bytes(logzip.compress(DATA))
    out = tmp_path / "out"
    assert_one_line_error(run_logzip(command, "-c", "-o", out, source), "-c", "-o", "give one")
    assert not out.exists()
    assert run_logzip(command, "-c", "-o", "-", source).returncode == 0


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_a_compression_reading_a_pipe(big_log, tmp_path, how):
    """Blocked in a read of its input, the process still stops at once and leaves nothing: the
    stop signals are masked before any library starts a thread (numpy's OpenBLAS did)."""
    out = tmp_path / "out.logz"
    process = subprocess.Popen(COMMAND + ["compress", "-o", str(out)], stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdin.write(big_log.read_bytes()[:1 << 20])
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(how)
    process.wait(timeout=10)
    assert process.returncode == 128 + how
    assert list(tmp_path.iterdir()) == []
