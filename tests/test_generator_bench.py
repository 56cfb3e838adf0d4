"""The shared benchmark helpers (bench/common.py) that bench.compression and bench.fmindex use."""
import sys

import pytest

from bench.common import corpus_files, markdown_table, mb_per_s, plain_copy, run_timed, sha256_file


def test_run_timed_reports_the_child_peak_memory_not_ours():
    ballast = bytearray(300_000_000)  # a large parent must not inflate the child's figure
    small = run_timed([sys.executable, "-c", "pass"])
    large = run_timed([sys.executable, "-c", "x = bytearray(150_000_000); x[::4096] = b'1' * len(x[::4096])"])
    del ballast
    assert small.returncode == large.returncode == 0
    assert small.peak_rss < 100_000_000
    assert small.peak_rss + 140_000_000 < large.peak_rss < 300_000_000
    assert large.seconds > 0


def test_run_timed_redirects_and_keeps_errors(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    source.write_bytes(b"abc\n" * 1000)
    run = run_timed(["sh", "-c", "cat; echo oops >&2; exit 3"], stdin=source, stdout=target)
    assert target.read_bytes() == source.read_bytes()
    assert (run.returncode, run.stderr) == (3, b"oops\n")
    with pytest.raises(Exception, match="exit status 3"):
        run.check(["sh"])


def test_markdown_table_aligns_numbers_right():
    table = markdown_table(["file", "ratio"], [["a.log", 12.345], ["b|c", None]]).splitlines()
    assert table[0] == "| file  | ratio |"
    assert table[1] == "|-------|------:|"
    assert table[2:] == ["| a.log | 12.35 |", "| b\\|c  |     - |"]


def test_mb_per_s():
    assert mb_per_s(50_000_000, 2.0) == 25.0


def test_corpus_files_lists_logs_only(corpora_dir, tmp_path):
    files = corpus_files("loghub-2k", "loghub-full")
    names = {path.name for path in files}
    assert "HDFS_2k.log" in names and "HPC.log.zst" in names
    assert not any(name.endswith((".csv", ".tsv", ".md")) or name.startswith("LICENSE") for name in names)
    small = corpus_files("loghub-full", max_bytes=3_000_000)
    assert {path.name for path in small} == {"Linux.log.zst", "Proxifier.log.zst"}
    plain = plain_copy(corpora_dir / "loghub-full" / "Linux.log.zst", tmp_path)
    assert sha256_file(plain).startswith("9ef66a377aa89f23")  # the corpora README's checksum


def test_compression_bench_on_a_generated_log(tmp_path, capsys):
    from bench import compression
    from corpora.generate import FORMATS, generate

    log = tmp_path / "hdfs.log"
    log.write_bytes(generate("hdfs", 300_000, seed=4))
    status = compression.main([str(log), "--tools", "logzip,gzip", "--format", FORMATS["hdfs"],
                               "--results", str(tmp_path / "results")])
    report = capsys.readouterr().out
    assert status == 0
    row = next(line for line in report.splitlines() if line.startswith(f"| {log}") and "Loghub" in line)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    logzip_ratio, gzip_ratio, verdict = float(cells[3]), float(cells[4]), cells[-1]
    assert verdict == "ok" and logzip_ratio > gzip_ratio > 3
    assert [p.read_text() for p in (tmp_path / "results").iterdir()] == [report.removesuffix("\n")]
