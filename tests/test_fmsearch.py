"""The fmsearch command: build, count, locate, show, info; one clear error line on bad input."""
import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from logzip.cli.fmsearch import decode_escapes, fmsearch

from .test_fmindex import occurrences

LOG = b"".join(b"2024-05-%02d host%d sshd[%d]: Failed password for user%d\r\n" % (i % 30 + 1, i % 4, 1000 + i, i % 9)
               for i in range(600)) + b"tail\twith tab and \xff byte, no end of line"


def invoke(*args, ok=True):
    result = CliRunner().invoke(fmsearch, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def fmsearch_process(*args):
    return subprocess.run([sys.executable, "-c", "from logzip.cli.fmsearch import main; main()", *args],
                          capture_output=True)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fmsearch")
    (folder / "auth.log").write_bytes(LOG)
    invoke("build", folder / "auth.log", "-o", folder / "auth.fmi", "--shard-size", 9000)
    return folder / "auth.fmi"


def grep_lines(text: bytes, pattern: bytes):
    lines = text.split(b"\n")
    return [(number, line) for number, line in enumerate(lines, 1) if pattern in line]


def test_count_one_and_many_patterns(index, tmp_path):
    assert invoke("count", index, "user3").output == f"{len(occurrences(LOG, b'user3'))}\n"
    patterns = tmp_path / "patterns.txt"
    patterns.write_bytes(b"host2\nabsent\n\n")
    output = invoke("count", index, "Failed", "--patterns", patterns).output
    assert output.splitlines() == [f"{LOG.count(b'Failed')}\tFailed", f"{LOG.count(b'host2')}\thost2", "0\tabsent"]


def test_count_json_and_escapes(index):
    lines = invoke("count", index, "--json", "--escapes", r"tail\twith", r"\xff byte", r"user1\r\n2024").output
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["pattern"] for r in records] == [r"tail\twith", r"\xff byte", r"user1\r\n2024"]
    assert [r["count"] for r in records] == [1, 1, len(occurrences(LOG, b"user1\r\n2024"))]
    assert decode_escapes(rb"a\\b\0\n") == b"a\\b\x00\n"


def test_locate_reports_offsets_docs_and_lines(index):
    rows = [line.split("\t") for line in invoke("locate", index, "sshd[1042]").output.splitlines()]
    (offset, doc, doc_offset, line), = rows
    assert int(offset) == LOG.index(b"sshd[1042]")
    assert int(line) == LOG[: int(offset)].count(b"\n") + 1 and int(doc) == int(line) - 1
    assert int(doc_offset) == int(offset) - (LOG.rindex(b"\n", 0, int(offset)) + 1)
    assert len(invoke("locate", index, "host1", "--limit", "7").output.splitlines()) == 7
    first = [int(row.split("\t")[0]) for row in invoke("locate", index, "host1", "--limit", 7, "--first")
             .output.splitlines()]
    assert first == occurrences(LOG, b"host1")[:7]
    shown = invoke("show", index, "user5", "--limit", 2, "--first", "--color", "never").output.splitlines()
    assert shown == ["%d:%s" % (n, line.rstrip(b"\r").decode()) for n, line in grep_lines(LOG, b"user5")[:2]]


def test_show_prints_the_lines_grep_prints(index):
    output = invoke("show", index, "user7", "--color", "never").output.encode()
    expected = b"".join(b"%d:%s\n" % (n, line.rstrip(b"\r")) for n, line in grep_lines(LOG, b"user7"))
    assert output == expected


def test_show_context_and_highlight(index):
    output = invoke("show", index, "sshd[1300]", "-C", "1", "--color", "always").output
    numbers = [line.split(":")[0].split("-")[0] for line in output.splitlines()]
    hit = LOG[: LOG.index(b"sshd[1300]")].count(b"\n") + 1
    assert numbers == [str(hit - 1), str(hit), str(hit + 1)]
    assert "\x1b[01;31msshd[1300]\x1b[m" in output
    two = invoke("show", index, "sshd[1100]: ", "-C", "1", "--color", "never").output
    assert two.count("\n") == 3


def test_show_folder_names_files(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.log").write_bytes(b"one\nneedle two\n")
    (folder / "b.log").write_bytes(b"needle\n")
    invoke("build", folder, "-o", tmp_path / "logs.fmi")
    assert invoke("show", tmp_path / "logs.fmi", "needle", "--color", "never").output == \
        "a.log:2:needle two\nb.log:1:needle\n"


def test_info(index):
    output = invoke("info", index, "--verify").output
    lines = LOG.count(b"\n") + 1
    assert f"{len(LOG)} bytes, {lines} lines" in output
    assert "checksums:     ok" in output and "shards:        " in output


def test_build_sampling_options(index, tmp_path):
    """By default a log of ~60-byte lines gets line anchors and rare samples; the options override."""
    assert "line anchors" in invoke("info", index).output
    (tmp_path / "auth.log").write_bytes(LOG)
    invoke("build", tmp_path / "auth.log", "-o", tmp_path / "dense.fmi", "--sa-rate", 16, "--no-line-anchors")
    output = invoke("info", tmp_path / "dense.fmi").output
    assert "SA every 16 rows, ISA" in output and "line anchors" not in output
    for built in (index, tmp_path / "dense.fmi"):
        rows = [line.split("\t") for line in invoke("locate", built, "user7\r").output.splitlines()]
        assert [int(row[0]) for row in rows] == occurrences(LOG, b"user7\r")


def test_logz_archive(tmp_path):
    logzip = pytest.importorskip("logzip")
    archive = tmp_path / "auth.logz"
    archive.write_bytes(logzip.compress(LOG, index=True, block_size=10_000))
    assert invoke("count", archive, "Failed password").output == f"{LOG.count(b'Failed password')}\n"
    output = invoke("show", archive, "sshd[1555]", "--color", "never").output.encode()
    assert output == b"".join(b"%d:%s\n" % (n, line.rstrip(b"\r")) for n, line in grep_lines(LOG, b"sshd[1555]"))


def assert_one_line_error(result, *words):
    assert result.returncode != 0
    err = result.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_bad_input_gives_one_error_line(index, tmp_path):
    assert_one_line_error(fmsearch_process("count", str(index), ""), "empty pattern")
    longer = fmsearch_process("count", str(index), "x" * (len(LOG) + 1), "user")
    assert longer.stdout.split()[0] == b"0" and longer.stdout.count(b"\n") == 2   # counted 0, the next one too
    assert_one_line_error(fmsearch_process("count", str(index), "\\q", "--escapes"), "unknown escape")
    broken = tmp_path / "broken.fmi"
    broken.write_bytes(index.read_bytes()[:5000])
    assert_one_line_error(fmsearch_process("count", str(broken), "user"), "truncated")
    foreign = tmp_path / "foreign.fmi"
    foreign.write_bytes(b"PK\x03\x04" + bytes(200))
    assert_one_line_error(fmsearch_process("locate", str(foreign), "user"), "not an fmsearch index")


def test_non_utf8_argument_is_refused(index):
    result = subprocess.run([sys.executable, "-c", "from logzip.cli.fmsearch import main; main()",
                             b"count", str(index).encode(), b"user\xff"], capture_output=True)
    assert_one_line_error(result, "not valid UTF-8")


@pytest.mark.parametrize("pattern, words", [("a\\x4", ["incomplete escape \\x4", "two hex digits"]),
                                            ("a\\x", ["incomplete escape \\x"]),
                                            ("a\\", ["lone \\"]),
                                            ("\\q", ["unknown escape \\q"])])
def test_bad_escapes_say_what_is_wrong(index, pattern, words):
    assert_one_line_error(fmsearch_process("count", "--escapes", str(index), pattern), *words)


def test_build_never_replaces_what_is_not_a_regular_file(index, tmp_path):
    source = tmp_path / "s.log"
    source.write_bytes(LOG[:2000])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.fmi"
    os.symlink(index, link)
    before = index.read_bytes()
    for target in (fifo, link):
        assert_one_line_error(fmsearch_process("build", "-f", str(source), "-o", str(target)),
                              str(target), "not a regular file")
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        assert_one_line_error(fmsearch_process("build", "-f", str(source), "-o", str(device)), "not a regular file")
        assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.path.islink(link) and index.read_bytes() == before
    existing = tmp_path / "old.fmi"
    existing.write_bytes(b"keep")
    assert_one_line_error(fmsearch_process("build", str(source), "-o", str(existing)),
                          f"{existing}: already exists (-f replaces it)")
    assert existing.read_bytes() == b"keep"


def test_a_write_error_names_the_index(tmp_path, monkeypatch):
    import errno
    import fmindex.corpus

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(fmindex.corpus, "_write_corpus", full)
    source, output = tmp_path / "s.log", tmp_path / "s.fmi"
    source.write_bytes(LOG[:2000])
    with pytest.raises(OSError) as raised:
        fmindex.corpus.build(source, output)
    assert raised.value.filename == str(output) and raised.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.log"]
