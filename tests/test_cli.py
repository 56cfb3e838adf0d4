"""The logzip command: gzip's habits, one clear error line on bad input, nothing half-written."""
import csv
import io
import subprocess
import sys

import pytest

DATA = b"".join(b"081109 2036%02d %d INFO dfs.DataNode: Receiving block blk_%d src: /10.0.0.%d:50010\r\n"
                % (i % 60, 100 + i % 9, 7 ** (i % 23), i % 250) for i in range(3000))
FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"


def logzip(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "logzip.cli.main", *map(str, args)],
                          input=stdin, capture_output=True)


def assert_one_line_error(result, *words):
    assert result.returncode != 0
    err = result.stderr.decode()
    assert err.startswith("logzip: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(DATA)
    return path


def test_compress_keeps_input_and_decompress_restores(log, tmp_path):
    assert logzip("compress", "--format", FORMAT, log).returncode == 0
    archive = tmp_path / "app.log.logz"
    assert log.read_bytes() == DATA and archive.stat().st_size * 10 < len(DATA)
    log.unlink()
    assert logzip("decompress", archive).returncode == 0
    assert log.read_bytes() == DATA and archive.exists()


def test_keep_flag_of_gzip_users_is_accepted(log, tmp_path):
    """-k (gzip, zstd) asks for what logzip always does: the input stays."""
    assert logzip("compress", "-k", log).returncode == 0
    archive = tmp_path / "app.log.logz"
    assert logzip("decompress", "-k", "-c", archive).stdout == DATA == log.read_bytes()
    assert archive.exists()


def test_stdin_to_stdout_both_ways():
    packed = logzip("compress", "-", "-c", stdin=DATA)
    assert packed.returncode == 0
    assert logzip("decompress", "-c", "-", stdin=packed.stdout).stdout == DATA


def test_output_option_and_no_overwrite_without_force(log, tmp_path):
    out = tmp_path / "x.logz"
    assert logzip("compress", log, "-o", out).returncode == 0
    before = out.read_bytes()
    assert_one_line_error(logzip("compress", log, "-o", out), "already exists", "-f")
    assert out.read_bytes() == before
    assert logzip("compress", "-f", "--level", "3", log, "-o", out).returncode == 0
    restored = tmp_path / "restored.log"
    assert logzip("decompress", out, "-o", restored).returncode == 0
    assert restored.read_bytes() == DATA


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "empty"])
def test_bad_archives_fail_cleanly_and_leave_nothing(tmp_path, log, damage):
    assert logzip("compress", log).returncode == 0
    archive = tmp_path / "app.log.logz"
    data = archive.read_bytes()
    bad = {"truncate": data[:len(data) * 2 // 3], "flip": data[:200] + bytes([data[200] ^ 1]) + data[201:],
           "foreign": b"\x28\xb5\x2f\xfd not a logzip archive", "empty": b""}[damage]
    archive.write_bytes(bad)
    log.unlink()
    assert_one_line_error(logzip("decompress", archive))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log.logz"]


def test_user_errors_are_one_line(tmp_path, log):
    assert_one_line_error(logzip("compress", tmp_path / "missing.log"), "missing.log")
    assert_one_line_error(logzip("compress", "--format", "<Date> <Content", log), "format")
    assert_one_line_error(logzip("decompress", log), "suffix")
    assert logzip("compress", "--level", "99", log).returncode != 0


def test_info_reports_streams_and_templates(log, tmp_path):
    logzip("compress", "--format", FORMAT, log)
    result = logzip("info", tmp_path / "app.log.logz")
    assert result.returncode == 0
    text = result.stdout.decode()
    for word in ("blocks", "templates", "ratio", "contents: parameters and unmatched", "header fields"):
        assert word in text


def test_templates_csv_has_a_row_per_line(log, tmp_path):
    result = logzip("templates", "--format", FORMAT, "--csv", log)
    rows = list(csv.reader(io.StringIO(result.stdout.decode())))
    assert rows[0] == ["LineId", "EventId", "EventTemplate"]
    assert len(rows) == 3001
    assert any("Receiving block" in row[2] for row in rows[1:])
    logzip("compress", "--format", FORMAT, log)
    from_archive = logzip("templates", "--csv", tmp_path / "app.log.logz")
    assert from_archive.stdout == result.stdout


@pytest.mark.parametrize("threads", [1, 2])
def test_interrupt_leaves_no_partial_archive(tmp_path, threads):
    import signal
    import time

    from corpora.generate import generate

    big = tmp_path / "big.log"
    big.write_bytes(generate("hadoop", 12 << 20, seed=1))
    process = subprocess.Popen([sys.executable, "-m", "logzip.cli.main", "compress", "-T", str(threads),
                                "--block-size", "2M", str(big)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.decode().strip().splitlines() == ["logzip: interrupted"]
    assert [p.name for p in tmp_path.iterdir()] == ["big.log"]


def test_tiny_input_is_stored_whole_and_still_inspectable(tmp_path):
    tiny = tmp_path / "tiny.log"
    tiny.write_bytes(b"2024-01-01 INFO started\r\n2024-01-01 WARN odd \xff\n")
    assert logzip("compress", tiny).returncode == 0
    archive = tmp_path / "tiny.log.logz"
    assert "whole block" in logzip("info", archive).stdout.decode()
    rows = list(csv.reader(io.StringIO(logzip("templates", "--csv", archive).stdout.decode())))
    assert [row[1] for row in rows[1:]] == ["E0", "E0"]
    assert logzip("decompress", "-c", archive).stdout == tiny.read_bytes()


def test_concatenated_archives_decompress_whole(tmp_path, log):
    """`compress -c a b > ab.logz` holds two archives; all of both comes back, as with gzip."""
    other = tmp_path / "other.log"
    other.write_bytes(b"second file\nno final newline")
    both = logzip("compress", "-c", log, other)
    assert both.returncode == 0
    archive = tmp_path / "both.logz"
    archive.write_bytes(both.stdout)
    assert logzip("decompress", "-c", archive).stdout == DATA + other.read_bytes()
    assert "2 concatenated archives" in logzip("info", archive).stdout.decode()
    archive.write_bytes(both.stdout + b"LOGZ trailing garbage")
    assert_one_line_error(logzip("decompress", "-c", archive))
