"""fmsearch behaves as grep does: -e/-f, several inputs, -c/-l/-m, context, exact lines, exit status."""
import gzip
import subprocess
import sys
import time

import pytest

import logzip
from tests.test_fmindex import occurrences

FIRST = b"".join(b"2024-05-%02d host%d sshd[%d]: Failed password for user%d\r\n" % (i % 28 + 1, i % 4, 900 + i, i % 9)
                 for i in range(300))
SECOND = b"".join(b"May %2d node%d kernel: link %s %s\n" % (i % 28 + 1, i % 3, b"up" if i % 2 else b"down",
                                                              b"x" * (500 if i == 7 else 3)) for i in range(200))


def fmsearch(*args, **kwargs):
    return subprocess.run([sys.executable, "-c", "from logzip.cli.fmsearch import main; main()",
                           *map(str, args)], capture_output=True, **kwargs)


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    folder = tmp_path_factory.mktemp("habits")
    (folder / "a.logz").write_bytes(logzip.compress(FIRST))
    (folder / "b.logz").write_bytes(logzip.compress(SECOND, index=True))
    return folder


def test_exit_status_is_grep_s(archives):
    a = archives / "a.logz"
    assert fmsearch("count", a, "Failed").returncode == 0
    for command in ("count", "show", "locate"):
        result = fmsearch(command, a, "no such thing")
        assert result.returncode == 1, (command, result.stderr)
    broken = archives / "broken.logz"
    broken.write_bytes(a.read_bytes()[:100])
    result = fmsearch("count", broken, "Failed")
    assert result.returncode == 2 and result.stderr.count(b"\n") == 1


def test_several_patterns_and_inputs(archives):
    a, b = archives / "a.logz", archives / "b.logz"
    result = fmsearch("count", "-e", "host1", "-e", "link up", a, b)
    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == [
        f"{a}:{FIRST.count(b'host1')}\thost1", f"{a}:0\tlink up",
        f"{b}:0\thost1", f"{b}:{SECOND.count(b'link up')}\tlink up"]
    patterns = archives / "patterns.txt"
    patterns.write_bytes(b"node2\nuser3\n")
    result = fmsearch("count", "-f", patterns, archives / "*.logz")          # a glob the shell left
    assert result.stdout.decode().splitlines() == [
        f"{a}:0\tnode2", f"{a}:{FIRST.count(b'user3')}\tuser3",
        f"{b}:{SECOND.count(b'node2')}\tnode2", f"{b}:0\tuser3"]


def test_show_prints_lines_exactly_with_counts_lists_and_limits(archives):
    a, b = archives / "a.logz", archives / "b.logz"
    shown = fmsearch("show", a, "sshd[905]").stdout
    assert shown == b"6:" + FIRST.split(b"\n")[5] + b"\n"                   # the CR of CRLF kept
    long_line = SECOND.split(b"\n")[7]
    assert fmsearch("show", b, "x" * 400).stdout == b"8:" + long_line + b"\n"  # not cut into a pipe
    matching = [line for line in SECOND.split(b"\n") if b"node1" in line]
    assert fmsearch("show", "-c", b, "node1").stdout == b"%d\n" % len(matching)
    assert fmsearch("show", "-l", "-e", "node1", a, b).stdout == str(b).encode() + b"\n"
    assert fmsearch("show", "-m", "2", b, "node1").stdout.count(b"\n") == 2
    colored = fmsearch("show", "--color=always", a, "sshd[905]").stdout
    assert b"\x1b[01;31msshd[905]\x1b[m" in colored
    assert fmsearch("show", a, "sshd[905]", env={"NO_COLOR": "1", "PATH": ""}).stdout == shown


def test_context_is_merged_and_bounded(archives):
    b = archives / "b.logz"
    lines = fmsearch("show", "-C", "1", b, "node1 kernel: link down").stdout.splitlines()
    numbers = [int(line.split(b":" if b":" in line[:4] else b"-")[0].split(b"-")[0]) for line in lines if line != b"--"]
    assert numbers == sorted(set(numbers))
    start = time.monotonic()
    result = fmsearch("show", "-C", "1000000000", b, "link")
    assert result.returncode == 0 and result.stdout.count(b"\n") == SECOND.count(b"\n")
    assert time.monotonic() - start < 20
    result = fmsearch("show", "-C", "99999999999999999999", b, "link")
    assert result.returncode == 2 and b"Traceback" not in result.stderr and result.stderr.count(b"\n") == 1


def test_locate_limit_gives_the_first_occurrences(archives):
    a = archives / "a.logz"
    rows = fmsearch("locate", "--limit", "3", a, "Failed").stdout.decode().splitlines()
    assert [int(row.split("\t")[0]) for row in rows] == occurrences(FIRST, b"Failed")[:3]


def test_build_keeps_outputs_and_refuses_archives(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(FIRST)
    index = tmp_path / "a.fmi"
    assert fmsearch("build", log, "-o", index).returncode == 0
    again = fmsearch("build", log, "-o", index)
    assert again.returncode == 2 and again.stderr.count(b"\n") == 1
    assert fmsearch("build", "-f", log, "-o", index).returncode == 0
    for name, data in (("a.logz", logzip.compress(FIRST)), ("a.log.gz", gzip.compress(FIRST))):
        (tmp_path / name).write_bytes(data)
        result = fmsearch("build", tmp_path / name, "-o", tmp_path / "x.fmi")
        assert result.returncode == 2 and result.stderr.count(b"\n") == 1 and not (tmp_path / "x.fmi").exists()


def test_ignore_case_and_whole_words(archives):
    a, b = archives / "a.logz", archives / "b.logz"
    lowered = FIRST.lower()
    assert fmsearch("count", "-i", a, "FAILED pass").stdout == b"%d\n" % lowered.count(b"failed pass")
    assert fmsearch("count", a, "FAILED pass").returncode == 1
    words = [at for at in occurrences(SECOND, b"node1") if SECOND[at + 5:at + 6] in b" \n"]
    assert fmsearch("count", "-w", b, "node1").stdout == b"%d\n" % len(words)
    assert fmsearch("count", "-w", b, "ode1").returncode == 1                 # inside a word
    rows = fmsearch("locate", "-i", "-w", b, "LINK").stdout.decode().splitlines()
    assert [int(r.split("\t")[0]) for r in rows] == occurrences(SECOND, b"link")
    assert fmsearch("show", "-i", a, "sshd[905]: failed").stdout == fmsearch("show", a, "sshd[905]").stdout
    too_many = fmsearch("count", "-i", a, "abcdefghijklmnop")
    assert too_many.returncode == 2 and too_many.stderr.count(b"\n") == 1
