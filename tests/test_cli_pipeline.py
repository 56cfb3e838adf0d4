"""logzip in a log pipeline: --flush-interval on a real pipe, --append, cat --follow, and
inputs compressed by gzip, zstd, xz or bzip2."""
import bz2
import gzip
import lzma
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import zstandard

import logzip

from .test_cli import DATA, assert_one_line_error, logzip as run_logzip
from .test_file_pipeline import readable_blocks

COMMAND = [sys.executable, "-m", "logzip.cli.main"]
LINES = DATA.splitlines(keepends=True)


def wait_for(condition, seconds=10.0):
    """Poll ``condition`` until it holds; the time it took, or None if it never did."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_flush_interval_on_a_pipe_shows_complete_lines_in_time(tmp_path):
    path = tmp_path / "live.logz"
    writer = subprocess.Popen([*COMMAND, "compress", "--flush-interval", "0.3", "-o", path],
                              stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sent, allowed = b"", 20.0   # the first time, the start-up of the process too
        for batch in (LINES[:40], LINES[40:41], LINES[41:400]):
            half_line = batch[-1][:20]
            writer.stdin.write(b"".join(batch[:-1]) + half_line)
            writer.stdin.flush()
            sent += b"".join(batch[:-1])
            # every complete line, and not the half line, within the interval (and slack for a busy machine)
            assert wait_for(lambda: path.exists() and readable_blocks(path)[0] == sent, allowed) is not None
            allowed = 3.0
            time.sleep(0.4)   # another interval: the half line still waits for its end
            assert readable_blocks(path)[0] == sent
            writer.stdin.write(batch[-1][20:])
            sent += batch[-1]
        writer.stdin.write(b"last line without newline")
        writer.stdin.close()
        assert writer.wait(30) == 0, writer.stderr.read()
    finally:
        writer.kill()
    assert logzip.decompress(path.read_bytes()) == sent + b"last line without newline"


def test_append_adds_members_and_refuses_what_is_not_an_archive(tmp_path):
    log, archive = tmp_path / "app.log", tmp_path / "app.logz"
    log.write_bytes(DATA)
    assert run_logzip("compress", "-o", archive, log).returncode == 0
    before = archive.read_bytes()
    result = run_logzip("compress", "--append", "-o", archive, "-", stdin=b"one more line\n")
    assert result.returncode == 0, result.stderr
    assert archive.read_bytes().startswith(before)
    assert run_logzip("cat", archive).stdout == DATA + b"one more line\n"
    assert_one_line_error(run_logzip("compress", "--append", "-o", log, "-", stdin=b"x\n"),
                          "cannot append", "not a logzip archive")
    assert log.read_bytes() == DATA
    assert_one_line_error(run_logzip("compress", "-o", archive, log), "already exists")


def test_a_torn_archive_is_read_up_to_the_damage_and_repaired_by_append(tmp_path):
    archive = tmp_path / "torn.logz"
    archive.write_bytes(logzip.compress(DATA) + logzip.compress(b"flushed line\n")[:-3])   # a torn end record
    cat = run_logzip("cat", archive)
    assert cat.stdout == DATA + b"flushed line\n"   # every sound block, then one line on the damage
    assert_one_line_error(cat, "truncated")
    assert_one_line_error(run_logzip("-t", archive), "truncated")
    result = run_logzip("compress", "--append", "-o", archive, "-", stdin=b"next\n")
    assert result.returncode == 0 and b"repaired" in result.stderr
    assert run_logzip("cat", archive).stdout == DATA + b"flushed line\nnext\n"
    assert run_logzip("-t", archive).returncode == 0


def test_cat_follow_prints_blocks_as_they_come_and_ends_quietly_on_ctrl_c(tmp_path):
    path = tmp_path / "followed.logz"
    writer = logzip.open(path, "wb")
    follower = subprocess.Popen([*COMMAND, "cat", "--follow", path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    received = bytearray()
    reader = threading.Thread(target=lambda: [received.extend(chunk) for chunk in iter(
        lambda: follower.stdout.read1(1 << 16), b"")], daemon=True)
    reader.start()
    try:
        expected = b""
        for batch in (LINES[:10], LINES[10:500]):
            writer.write(b"".join(batch))
            writer.flush()
            expected += b"".join(batch)
            assert wait_for(lambda: bytes(received) == expected) is not None
        writer.close()
        result = run_logzip("compress", "--append", "-o", path, "-", stdin=b"appended member\n")
        assert result.returncode == 0, result.stderr
        assert wait_for(lambda: bytes(received) == expected + b"appended member\n") is not None
        follower.send_signal(signal.SIGINT)
        assert follower.wait(10) == 130
        assert follower.stderr.read() == b""
    finally:
        follower.kill()
    (tmp_path / "plain.log").write_bytes(b"a plain log\n")
    assert_one_line_error(run_logzip("cat", "--follow", tmp_path / "plain.log"), "plain.log", "not a logzip archive")


COMPRESSORS = {
    ".gz": gzip.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
    ".xz": lzma.compress,
    ".bz2": bz2.compress,
}


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_compressed_inputs_are_read_decompressed(tmp_path, suffix):
    rotated = tmp_path / f"app.log.1{suffix}"
    half = len(DATA) // 2
    rotated.write_bytes(COMPRESSORS[suffix](DATA[:half]) + COMPRESSORS[suffix](DATA[half:]))
    result = run_logzip("compress", "--rm", rotated)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["app.log.1.logz"]
    assert logzip.decompress((tmp_path / "app.log.1.logz").read_bytes()) == DATA


def test_compression_is_known_by_its_magic_not_its_name(tmp_path):
    (tmp_path / "gzip-inside.log").write_bytes(gzip.compress(DATA))
    (tmp_path / "plain.gz").write_bytes(DATA)
    assert run_logzip("compress", tmp_path / "gzip-inside.log", tmp_path / "plain.gz").returncode == 0
    assert logzip.decompress((tmp_path / "gzip-inside.log.logz").read_bytes()) == DATA
    assert logzip.decompress((tmp_path / "plain.gz.logz").read_bytes()) == DATA
    assert logzip.decompress(run_logzip("compress", "-c", "-", stdin=lzma.compress(DATA)).stdout) == DATA
    with logzip.open_input(tmp_path / "gzip-inside.log") as stream:
        assert stream.read() == DATA


def test_a_damaged_compressed_input_is_one_error_and_kept(tmp_path):
    damaged = tmp_path / "app.log.2.gz"
    damaged.write_bytes(gzip.compress(DATA)[:-100])
    assert_one_line_error(run_logzip("compress", "--rm", damaged), "damaged gzip input")
    assert sorted(os.listdir(tmp_path)) == ["app.log.2.gz"]
