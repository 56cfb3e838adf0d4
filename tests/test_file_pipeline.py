"""The writer a log pipeline needs: thread-safe writes, flush, append (crash-safe), follow."""
import io
import os
import subprocess
import sys
import threading
import time

import pytest

import logzip
from logzip.container import iter_members
from logzip.errors import CorruptArchiveError, LogzipError, TruncatedArchiveError

LINE = b"2024-01-01 12:00:%02d INFO worker %d: took %d ms\n"


def lines(count, start=0):
    return b"".join(LINE % (i % 60, i % 7, i * 3) for i in range(start, start + count))


def readable_blocks(path):
    """The decompressed blocks a reader gets from ``path`` before it stops, and why it stopped."""
    blocks, error = [], None
    with open(path, "rb") as stream:
        try:
            blocks.extend(logzip.file.iter_decompressed(stream))
        except CorruptArchiveError as exc:
            error = exc
    return b"".join(blocks), error


def test_many_threads_write_every_line_exactly_once(tmp_path):
    path = tmp_path / "t.logz"
    per_thread, threads = 1500, 8
    with logzip.open(path, "wb", block_size=8 << 10) as archive:
        def writer(number):
            for i in range(per_thread):
                archive.write(b"thread %d wrote line %d of the run\n" % (number, i))

        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    written = logzip.decompress(path.read_bytes()).splitlines()
    expected = {b"thread %d wrote line %d of the run" % (n, i) for n in range(threads) for i in range(per_thread)}
    assert len(written) == len(expected) and set(written) == expected
    for n in range(threads):  # each thread's lines in its order
        mine = [line for line in written if line.startswith(b"thread %d " % n)]
        assert mine == [b"thread %d wrote line %d of the run" % (n, i) for i in range(per_thread)]


def test_flush_makes_what_was_written_readable_then_close_completes(tmp_path):
    path = tmp_path / "f.logz"
    archive = logzip.open(path, "wb")
    archive.write(lines(3))
    archive.flush()
    os.fsync(archive.fileno())
    seen, error = readable_blocks(path)
    assert seen == lines(3) and isinstance(error, TruncatedArchiveError)  # still being written
    archive.write(lines(2, 3) + b"no newline yet")
    archive.flush(whole_lines=True)
    assert readable_blocks(path)[0] == lines(5)
    archive.write(b" and the end\n")
    archive.close()
    assert logzip.decompress(path.read_bytes()) == lines(5) + b"no newline yet and the end\n"


def test_flush_with_worker_processes_writes_the_blocks_in_flight(tmp_path):
    path = tmp_path / "w.logz"
    data = lines(3000)
    with logzip.open(path, "wb", threads=2, block_size=16 << 10) as archive:
        archive.write(data)
        archive.flush()
        assert readable_blocks(path)[0] == data


def test_append_adds_a_member_without_rewriting(tmp_path):
    path = tmp_path / "a.logz"
    path.write_bytes(logzip.compress(lines(100)))
    before = path.read_bytes()
    with logzip.open(path, "ab") as archive:
        archive.write(lines(50, 100))
    after = path.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert logzip.decompress(after) == lines(150)
    assert sum(1 for member in iter_members(io.BytesIO(after)) for _ in member.blocks(with_payload=False)) == 2
    with logzip.LogzipFile(tmp_path / "new.logz", "ab") as archive:  # appending to nothing creates
        archive.write(b"x\n")
    assert logzip.decompress((tmp_path / "new.logz").read_bytes()) == b"x\n"


@pytest.mark.parametrize("content", [b"plain text, not an archive\n", b"\x1f\x8b\x08\0gzip", b"LOGZ\x09\0\0\0\0\0\0\0"])
def test_append_refuses_what_is_not_an_archive_and_leaves_it(tmp_path, content):
    path = tmp_path / "x.logz"
    path.write_bytes(content)
    with pytest.raises(CorruptArchiveError):
        logzip.open(path, "ab")
    assert path.read_bytes() == content


def test_append_refuses_an_archive_still_being_written(tmp_path):
    path = tmp_path / "busy.logz"
    with logzip.open(path, "wb") as writer:
        writer.write(b"a\n")
        writer.flush()
        for mode in ("ab", "wb"):
            with pytest.raises(LogzipError, match="being written"):
                logzip.open(path, mode)
    with logzip.open(path, "ab") as archive:
        archive.write(b"b\n")
    assert logzip.decompress(path.read_bytes()) == b"a\nb\n"


WRITER = """
import os, sys, logzip
archive = logzip.open(sys.argv[1], "ab", block_size=4096)
for i in range(10 ** 9):
    archive.write(b"appended line %d of a writer that will be killed\\n" % i)
    if i % 200 == 199:
        archive.flush()
        if i == 199:
            os.write(1, b"flushed\\n")
"""


def test_kill_while_appending_keeps_old_content_and_next_append_repairs(tmp_path):
    path = tmp_path / "k.logz"
    old = lines(400)
    path.write_bytes(logzip.compress(old))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    assert writer.stdout.readline() == b"flushed\n"
    time.sleep(0.3)
    writer.kill()
    writer.wait()
    with open(path, "ab") as torn:   # as if the kill came in the middle of a block
        torn.write(b"BLK1\x10\0\0")
    seen, error = readable_blocks(path)   # the reader: old members whole, then the damage
    assert seen.startswith(old) and len(seen) > len(old)
    assert isinstance(error, TruncatedArchiveError)
    flushed = seen[len(old):]
    assert flushed.startswith(b"appended line 0 of") and flushed.endswith(b"killed\n")
    with logzip.open(path, "ab") as archive:
        assert "torn member" in archive.repaired
        archive.write(b"after the crash\n")
    assert logzip.decompress(path.read_bytes()) == seen + b"after the crash\n"


def test_a_torn_file_header_is_cut_away_by_the_next_append(tmp_path):
    path = tmp_path / "h.logz"
    complete = logzip.compress(b"first\n")
    path.write_bytes(complete + logzip.compress(b"second\n")[:7])
    with logzip.open(path, "ab") as archive:
        archive.write(b"third\n")
    assert logzip.decompress(path.read_bytes()) == b"first\nthird\n"
    assert path.read_bytes().startswith(complete)


def test_follow_sees_flushed_blocks_and_appended_members(tmp_path):
    path = tmp_path / "g.logz"
    seen = []
    writer = logzip.open(path, "wb")
    follower = threading.Thread(target=lambda: seen.extend(logzip.follow(path, poll=0.02, idle=1.5)))
    follower.start()
    for i in range(4):
        writer.write(lines(3, 3 * i))
        writer.flush()
        deadline = time.monotonic() + 5
        while len(seen) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert b"".join(seen) == lines(3 * (i + 1))   # each flush seen before the next write
    writer.close()
    with logzip.open(path, "ab") as appender:
        appender.write(b"appended\n")
    follower.join(10)
    assert not follower.is_alive()
    assert b"".join(seen) == lines(12) + b"appended\n"
