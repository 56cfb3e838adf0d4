"""Search in archives without --index (the stream tier) against the baselines, in one run.

    python -m bench.search [--quick] [--patterns N]

For each log of 20 MB and more (the full Loghub logs with their formats, the large Mozilla CI
logs without one): the ratio of the default archive and of the ``--index`` one, then count
latency per pattern kind (median and p99, in process, after the archive is open), the time per
pattern of one ``fmsearch count --patterns FILE`` call (opening included), and the same
patterns through ``zstdcat | grep -c -F`` on the ``zstd -19 --long`` file, ``logzip
decompress -c | grep -c -F``, and the ``--index`` tier. Every count is checked against a scan
of the text. Pattern kinds: substrings of 8, 16 and 32 bytes at random offsets, 16 bytes
across a line break, whole tokens (ids, numbers, words), and absent strings (one byte of a
16-byte substring changed).
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import logzip
import logzip.search
from bench.common import markdown_table, python_tool, relative, run_timed, save_results
from bench.fmindex import corpus_text, occurrences, sample
from corpora.shared import LOGHUB_FULL_FORMATS, corpora_dir

LOGS = [(f"loghub-full/{name}.log.zst", spec) for name, spec in LOGHUB_FULL_FORMATS.items()] + [
    (f"ci-logs/mozilla/{name}.zst", None) for name in (
        "build-fail.log", "timeout-crash.log", "android-opt-build.txt", "win-aarch64-build.txt")]
MIN_BYTES = 20_000_000
KINDS = ("8 B", "16 B", "32 B", "across a line", "token", "absent")
_TOKEN = re.compile(rb"[A-Za-z0-9_.:/-]{6,40}")


def patterns_of(text: bytes, n: int, rng) -> dict:
    """``n`` patterns of each kind, taken from the text."""
    kinds = {f"{length} B": sample(text, length, n, rng) for length in (8, 16, 32)}
    across = []
    while len(across) < n:
        end = text.find(b"\n", int(rng.integers(0, len(text) - 64)))
        if 8 <= end < len(text) - 8:
            across.append(text[end - 8:end + 8])
    kinds["across a line"] = across
    tokens = []
    while len(tokens) < n:
        start = int(rng.integers(0, len(text) - 200))
        found = _TOKEN.search(text, start, start + 200)
        if found:
            tokens.append(found.group())
    kinds["token"] = tokens
    absent = []
    for pattern in sample(text, 16, 50 * n, rng):
        changed = pattern[:8] + bytes([pattern[8] ^ 0x41]) + pattern[9:]
        if changed not in text:
            absent.append(changed)
        if len(absent) == n:
            break
    kinds["absent"] = absent
    return kinds


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def per_pattern_ms(corpus, patterns):
    times = []
    for pattern in patterns:
        _, seconds = timed(corpus.count, pattern)
        times.append(seconds * 1e3)
    return statistics.median(times), float(np.percentile(times, 99))


def pipe_ms(command: str, source: Path, patterns) -> float:
    """Median wall time of ``command "$1" | grep -c -F "$2"`` per pattern, in ms."""
    times = []
    for pattern in patterns:
        text = pattern.decode("utf-8", "surrogateescape")
        times.append(run_timed(["bash", "-c", command + ' "$1" | grep -c -F -- "$2"', "_", source, text]).seconds)
    return statistics.median(times) * 1e3


def bench_log(relpath, spec, work: Path, args, rng):
    text = corpus_text([relpath])
    name = Path(relpath).name.removesuffix(".zst")
    raw = work / name
    raw.write_bytes(text)
    plain, seconds = timed(logzip.compress, text, format=spec)
    plain_path = work / (name + ".logz")
    plain_path.write_bytes(plain)
    indexed = logzip.compress(text, format=spec, index=True)
    indexed_path = work / (name + ".index.logz")
    indexed_path.write_bytes(indexed)
    zst = work / (name + ".zst")
    run_timed(["zstd", "-19", "--long", "-q", "-f", raw, "-o", zst]).check(["zstd"])
    kinds = patterns_of(text, args.patterns, rng)
    every = [p for kind in KINDS for p in kinds[kind]]
    pattern_file = work / "patterns.txt"
    pattern_file.write_bytes(b"".join(_escaped(p) + b"\n" for p in every))
    cli = run_timed(python_tool("logzip.cli.fmsearch", "fmsearch") + ["count", "--escapes", "--patterns",
                                                                    pattern_file, plain_path])
    with logzip.search.open(plain_path) as corpus:
        _, open_seconds = timed(corpus.counts, [b"\n"])   # parses every block (no summary rules it out)
        counts = corpus.counts(every)
        expected = [occurrences(text, p) for p in every]
        wrong = sum(c != e for c, e in zip(counts, expected))
        streams = {kind: per_pattern_ms(corpus, kinds[kind]) for kind in KINDS}
        token = kinds["token"][0]
        _, locate_seconds = timed(corpus.hits, token, 10)
    show = run_timed(python_tool("logzip.cli.fmsearch", "fmsearch") + ["show", "--limit", "10", plain_path,
                                                                   token.decode("utf-8", "surrogateescape")])
    with logzip.search.open(indexed_path) as corpus:
        index_ms = {kind: per_pattern_ms(corpus, kinds[kind])[0] for kind in KINDS}
    plain_kinds = [k for k in KINDS if k != "across a line"]
    subset = [p for k in plain_kinds for p in kinds[k][:args.baseline]]
    grep_ms = pipe_ms("zstdcat --", zst, subset)
    decompress_ms = pipe_ms(" ".join(python_tool("logzip.cli.main", "logzip")) + " decompress -c --", plain_path,
                            subset[:2])
    rows = [[name, kind, f"{streams[kind][0]:.2f}", f"{streams[kind][1]:.2f}", f"{index_ms[kind] * 1e3:.1f}",
             f"{grep_ms:.0f}" if kind in plain_kinds else "-",
             f"{grep_ms / streams[kind][0]:.1f}x" if kind in plain_kinds else "-"]
            for kind in KINDS]
    summary = [name, f"{len(text) / 1e6:.1f}", f"{len(text) / len(plain):.2f}", f"{len(text) / len(indexed):.2f}",
               f"{seconds:.1f}", f"{open_seconds:.2f}", f"{cli.seconds / len(every) * 1e3:.2f}",
               f"{grep_ms:.0f}", f"{decompress_ms:.0f}", f"{locate_seconds * 1e3:.1f}", f"{show.seconds:.2f}",
               f"{len(every) - wrong}/{len(every)}"]
    return summary, rows


def _escaped(pattern: bytes) -> bytes:
    return b"".join(bytes([c]) if 0x21 <= c < 0x7F and c != 0x5C else b"\\x%02x" % c for c in pattern)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="HPC and one CI log only")
    parser.add_argument("--patterns", type=int, default=20, help="patterns of each kind (default 20)")
    parser.add_argument("--baseline", type=int, default=2, help="patterns of each kind run through the pipes")
    args = parser.parse_args(argv)
    if corpora_dir() is None:
        print("bench.search: ../shared/corpora is absent; nothing to measure")
        return 0
    logs = LOGS[:1] + LOGS[5:6] if args.quick else LOGS
    rng = np.random.default_rng(7)
    summaries, kind_rows = [], []
    for relpath, spec in logs:
        with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
            text_size = len(corpus_text([relpath]))
            if text_size < MIN_BYTES:
                continue
            summary, rows = bench_log(relpath, spec, Path(work), args, rng)
            summaries.append(summary)
            kind_rows += rows
            print(" | ".join(summary), flush=True)
    report = "\n\n".join([
        "# Search without --index: the stream tier\n\n" + f"`python -m bench.search {' '.join(argv or sys.argv[1:])}`",
        markdown_table(["log", "MB", "ratio", "ratio --index", "compress s", "open s", "ms/pattern (fmsearch call)",
                        "zstdcat|grep ms", "logzip -dc|grep ms", "locate 10 ms", "show 10 s", "exact"], summaries),
        markdown_table(["log", "pattern", "median ms", "p99 ms", "--index µs", "zstdcat|grep ms",
                        "speed-up (median)"], kind_rows),
    ])
    print(report)
    print(f"saved {relative(save_results('search', report))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
