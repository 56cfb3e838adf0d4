"""The log generator (corpora.generate) and the lossless edge cases (corpora.edge_cases)."""
import hashlib
import os
import re
import subprocess
import sys
from datetime import datetime
from itertools import islice
from pathlib import Path

import pytest

from corpora.edge_cases import FORMAT as EDGE_CASE_FORMAT
from corpora.edge_cases import edge_cases
from corpora.generate import FORMATS, KINDS, generate, iter_lines, parse_size

try:
    from logzip.codec.header import HeaderFormat
except ImportError:  # the codec is built beside this generator; the Loghub regex check stands alone
    HeaderFormat = None

REPO = Path(__file__).resolve().parents[1]
SAMPLE_LINES = 5000

# How each kind writes its timestamp: the fields that hold it and their strptime layout.
TIMESTAMPS = {
    "hdfs": (("Date", "Time"), "%y%m%d %H%M%S"),
    "hadoop": (("Date", "Time"), "%Y-%m-%d %H:%M:%S,%f"),
    "syslog": (("Month", "Date", "Time"), "%b %d %H:%M:%S"),
    "apache": (("Time",), "%a %b %d %H:%M:%S.%f %Y"),
    "json": (("Time",), "%Y-%m-%dT%H:%M:%S.%fZ"),
}


def loghub_regex(log_format):
    """The line regex the Loghub benchmarks build from a format (logparser's generate_logformat_regex)."""
    parts = re.split(r"(<[^<>]+>)", log_format)
    pattern = "".join(f"(?P<{part[1:-1]}>.*?)" if k % 2 else re.sub(" +", r"\\s+", part)
                      for k, part in enumerate(parts))
    return re.compile("^" + pattern + "$")


def sample(kind, seed=0):
    return list(islice(iter_lines(kind, seed), SAMPLE_LINES))


@pytest.mark.parametrize("kind", KINDS)
def test_same_arguments_same_bytes(kind):
    assert generate(kind, 100_000, seed=7) == generate(kind, 100_000, seed=7)
    assert generate(kind, 100_000, seed=7) != generate(kind, 100_000, seed=8)


def test_cli_output_does_not_depend_on_hash_seed(tmp_path):
    digests = set()
    for hash_seed in ("1", "2"):
        out = tmp_path / f"hadoop-{hash_seed}.log"
        subprocess.run([sys.executable, "-m", "corpora.generate", "hadoop", "--size", "200kB", "--seed", "3",
                        "-o", str(out)], cwd=REPO, env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests == {hashlib.sha256(generate("hadoop", 200_000, seed=3)).hexdigest()}


@pytest.mark.parametrize("kind", KINDS)
def test_crlf_changes_only_the_terminators(kind):
    lf, crlf = generate(kind, 50_000, seed=1), generate(kind, 50_000, seed=1, crlf=True)
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 0
    assert lf.startswith(crlf.replace(b"\r\n", b"\n"))


@pytest.mark.parametrize("n_bytes", [0, 1, 150, 10_000, 1_234_567])
@pytest.mark.parametrize("kind", KINDS)
def test_size_is_whole_lines_up_to_n_bytes(kind, n_bytes):
    data = generate(kind, n_bytes, seed=2)
    assert len(data) <= n_bytes
    assert data == b"" or data.endswith(b"\n")
    next_line = next(islice(iter_lines(kind, 2), data.count(b"\n"), None)).text
    assert len(data) + len(next_line) + 1 > n_bytes  # the next line would not have fitted


@pytest.mark.parametrize("kind", KINDS)
def test_lines_fit_the_format_of_their_kind(kind):
    lines = sample(kind)
    line_regex = loghub_regex(FORMATS[kind])
    for line in lines:
        if line.fits_format:
            assert line_regex.match(line.text.decode()), line.text
    misfit_share = sum(not line.fits_format for line in lines) / len(lines)
    # Hadoop's Loghub log is 54% stack-trace and diagnostic lines; the others have only a few misfits.
    assert misfit_share < (0.6 if kind == "hadoop" else 0.02)


@pytest.mark.parametrize("kind", KINDS)
def test_some_lines_break_the_format(kind):
    line_regex = loghub_regex(FORMATS[kind])
    misfits = [line.text for line in islice(iter_lines(kind), 30_000) if not line.fits_format]
    assert any(not line_regex.match(text.decode(errors="surrogateescape")) for text in misfits)


@pytest.mark.skipif(HeaderFormat is None, reason="logzip.codec.header not importable yet")
@pytest.mark.parametrize("kind", KINDS)
def test_header_format_keeps_aside_only_the_deliberate_misfits(kind):
    lines = sample(kind)
    misfits = set(HeaderFormat.parse(FORMATS[kind]).split([line.text for line in lines]).misfits)
    assert {i for i, line in enumerate(lines) if line.fits_format}.isdisjoint(misfits)


@pytest.mark.parametrize("kind", KINDS)
def test_timestamps_never_go_back(kind):
    fields, layout = TIMESTAMPS[kind]
    line_regex = loghub_regex(FORMATS[kind])
    stamps = []
    for line in sample(kind):
        match = line.fits_format and line_regex.match(line.text.decode())
        if match:
            stamps.append(datetime.strptime(" ".join(match[f] for f in fields), layout))
    assert len(stamps) > SAMPLE_LINES // 3
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_template_frequencies_are_skewed(kind):
    """A few message kinds dominate, many are rare, as in real logs (Zipf-like)."""
    line_regex = loghub_regex(FORMATS[kind])
    counts = {}
    for line in sample(kind):
        match = line.fits_format and line_regex.match(line.text.decode())
        if match:
            key = re.sub(r"[\d.:/_-]+|blk_-?\d+|[0-9a-f]{8,}", "#", match["Content"])[:40]
            counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    assert len(ranked) >= 8
    assert ranked[0] > 4 * ranked[len(ranked) // 2]


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown log kind"):
        generate("nginx", 100)


@pytest.mark.parametrize("text, size", [("512", 512), ("10MB", 10_000_000), ("1.5kB", 1500), ("2MiB", 2 << 20),
                                        (" 3 gb ", 3_000_000_000)])
def test_parse_size(text, size):
    assert parse_size(text) == size


def test_parse_size_rejects_nonsense():
    with pytest.raises(ValueError, match="not a size"):
        parse_size("ten megabytes")


def test_edge_cases_cover_what_they_are_named_after():
    cases = edge_cases(giant_line_bytes=2_000_000)
    assert all(isinstance(data, bytes) for data in cases.values())
    assert cases == edge_cases(giant_line_bytes=2_000_000)
    assert cases["empty"] == b""
    assert set(cases["only_newlines"]) == {ord("\n")}
    assert cases["crlf"].count(b"\r\n") == cases["crlf"].count(b"\n") > 100
    mixed = cases["mixed_crlf_lf"]
    assert 0 < mixed.count(b"\r\n") < mixed.count(b"\n")
    assert not cases["no_final_newline"].endswith(b"\n") and cases["no_final_newline"].count(b"\n") > 100
    assert re.search(rb"\r[^\n]", cases["lone_cr"]) and cases["final_lone_cr"].endswith(b"\r")
    assert b"\n\n" in cases["empty_lines"]
    assert b"\t" in cases["tabs"] and b"   " in cases["runs_of_spaces"]
    with pytest.raises(UnicodeDecodeError):
        cases["non_utf8"].decode("utf-8")
    assert b"\x00" in cases["nul_bytes"]
    assert max(len(line) for line in cases["giant_line"].split(b"\n")) == 2_000_000
    matching = loghub_regex(EDGE_CASE_FORMAT)
    assert not any(matching.match(line.decode()) for line in cases["unmatched_lines"].splitlines())
    assert sum(map(bool, map(matching.match, cases["lf"].decode().splitlines()))) > 100


def test_demo_round_trips_and_compares(capsys, tmp_path):
    import logzip
    from corpora import demo

    assert demo.main(["--kind", "syslog", "--size", "300kB", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Round trip: byte-exact" in out
    ratios = {line[:10].strip(): float(line.split()[-4]) for line in out.splitlines()
              if line[:10].strip() in ("logzip", "gzip -6", "gzip -9", "zstd -19")}
    assert len(ratios) == 4 and min(ratios.values()) > 1
    sample = (tmp_path / "syslog.log").read_bytes()
    assert sample == generate("syslog", 300_000)
    assert logzip.decompress((tmp_path / "syslog.log.logz").read_bytes()) == sample
    counts = [int(line.split()[-7]) for line in out.splitlines() if line.startswith("'")]   # count, archive ms, index us, scan ms
    assert len(counts) == 3 and counts[0] > 0 and counts[1] > 100 and counts[2] == 0 and "MISMATCH" not in out
