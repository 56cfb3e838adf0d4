"""FM-index benchmark: build speed and memory, index size, count and locate latency, against grep.

    .venv/bin/python -m bench.fmindex [--quick] [--corpora hpc,ci,text] [--verify] [--sa-rate N] ...

Corpora: the full HPC log, the Mozilla CI logs concatenated (193 MB), the text corpora concatenated.
``--quick`` takes the first 8 MB of each. Per corpus: ``fmsearch build`` in a child process (wall
time, peak resident memory per input byte, through GNU time), the index size over the corpus size,
count latency (median and p99 of one ``Corpus.count`` call on the memory-mapped index, Python call
included) for patterns of 4, 8, 16 and 32 bytes taken at random places of the corpus and for absent
ones (a taken pattern with one byte changed, kept when absent), locate time per occurrence, and
``grep -c -F`` on the raw text and ``zstdcat | grep -c -F`` on the zstd file for the same 16-byte
patterns. ``--verify`` also checks every count against a scan of the text, on each corpus and on
every file of the shared corpora. Results are printed and saved under bench/results/.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import fmindex
from bench.common import (MB, corpora_dir, corpus_files, markdown_table, mb_per_s, python_tool, read_corpus,
                          run_timed, save_results)

CORPORA = {
    "hpc": ("HPC log", ["loghub-full/HPC.log.zst"]),
    "ci": ("CI logs", ["ci-logs/mozilla"]),
    "text": ("text", ["text"]),
}
QUICK_BYTES = 8 * MB
LENGTHS = (4, 8, 16, 32)
GREP_QUERIES = 5


def corpus_text(paths, limit=None) -> bytes:
    """The files under ``paths`` (relative to the corpora) concatenated, cut at a line end past ``limit``."""
    root, parts = corpora_dir(), []
    for relpath in paths if root else ():
        files = [root / relpath] if (root / relpath).is_file() else corpus_files(relpath)
        parts += [read_corpus(f) for f in files]
    text = b"".join(parts)
    if limit is not None and len(text) > limit:
        text = text[: text.rfind(b"\n", 0, limit) + 1 or limit]
    return text


def occurrences(text: bytes, pattern: bytes) -> int:
    count, start = 0, text.find(pattern)
    while start >= 0:
        count += 1
        start = text.find(pattern, start + 1)
    return count


def sample(text: bytes, length: int, count: int, rng, plain: bool = False):
    """``count`` substrings of ``length`` bytes at random offsets (``plain``: no line end nor NUL, for grep)."""
    found = []
    while len(found) < count:
        start = int(rng.integers(0, len(text) - length))
        pattern = text[start: start + length]
        if plain and (b"\n" in pattern or b"\r" in pattern or b"\x00" in pattern):
            continue
        found.append(pattern)
    return found


def latencies(function, patterns):
    times = []
    for pattern in patterns:
        start = time.perf_counter_ns()
        function(pattern)
        times.append(time.perf_counter_ns() - start)
    return times


def median_p99(times_ns):
    return statistics.median(times_ns) / 1e3, float(np.percentile(times_ns, 99)) / 1e3


def absent_patterns(corpus, text, count, rng):
    found = []
    for pattern in sample(text, 16, 4 * count, rng):
        changed = pattern[:8] + bytes([pattern[8] ^ 0x20]) + pattern[9:]
        if corpus.count(changed) == 0:
            found.append(changed)
        if len(found) == count:
            break
    return found


def grep_seconds(raw: Path, zst: Path, patterns):
    """Median wall time of grep -c -F on the raw file and of zstdcat | grep -c -F."""
    direct, piped = [], []
    for pattern in patterns:
        text = pattern.decode("utf-8", "surrogateescape")
        direct.append(run_timed(["grep", "-c", "-F", "--", text, raw]).seconds)
        piped.append(run_timed(["bash", "-c", 'zstdcat -- "$1" | grep -c -F -- "$2"', "_", zst, text]).seconds)
    return statistics.median(direct), statistics.median(piped)


def bench_corpus(name, text, work: Path, args, rng):
    raw, zst, index_path = work / f"{name}.txt", work / f"{name}.txt.zst", work / f"{name}.fmi"
    raw.write_bytes(text)
    run_timed(["zstd", "-q", "-19" if len(text) < 64 * MB else "-9", "-T0", "-f", raw, "-o", zst]).check(["zstd"])
    build_argv = python_tool("logzip.cli.fmsearch", "fmsearch") + [
        "build", raw, "-o", index_path, "--isa-rate", args.isa_rate]
    if args.sa_rate:
        build_argv += ["--sa-rate", args.sa_rate]
    build = run_timed(build_argv).check(build_argv)
    row = {"corpus": name, "MB": len(text) / MB, "build MB/s": mb_per_s(len(text), build.seconds),
           "peak B/B": build.peak_rss / len(text),
           "index/corpus": f"{index_path.stat().st_size / len(text):.3f}"}
    with fmindex.open(index_path) as corpus:
        n = args.queries
        for length in LENGTHS:
            patterns = sample(text, length, n, rng)
            latencies(corpus.count, patterns[: n // 10])  # warm the code paths, not the data
            row[f"{length}B med/p99 us"] = "%.1f / %.1f" % median_p99(latencies(corpus.count, patterns))
            if args.verify:
                for pattern in patterns[:50]:
                    assert corpus.count(pattern) == occurrences(text, pattern), (name, pattern)
        absent = absent_patterns(corpus, text, n, rng)
        row["absent med/p99 us"] = "%.1f / %.1f" % median_p99(latencies(corpus.count, absent))
        if args.verify:
            assert all(occurrences(text, p) == 0 for p in absent[:50])
        located, start = 0, time.perf_counter()
        for pattern in sample(text, 16, n // 5, rng):
            located += len(corpus.locate(pattern, limit=args.locate_limit))
        row["locate us/occ"] = (time.perf_counter() - start) / max(1, located) * 1e6
        grep_patterns = sample(text, 16, GREP_QUERIES, rng, plain=True)
        count_16 = statistics.median(latencies(corpus.count, grep_patterns * 20)) / 1e9
        direct, piped = grep_seconds(raw, zst, grep_patterns)
        row["grep -c ms"] = direct * 1e3
        row["zstdcat+grep ms"] = piped * 1e3
        row["speedup vs zstdcat+grep"] = piped / count_16
        shares, first = {}, corpus.shards[0].index
        sampling = f"SA every {first.params['sa_rate']} rows" + (", line anchors" if len(first.tables["feeds"]) else "")
        for shard in corpus.shards:
            for key, size in shard.index.stats().items():
                shares[key] = shares.get(key, 0) + size
    parts = ", ".join(f"{k} {v / len(text):.4f}" for k, v in shares.items() if v / len(text) >= 0.0005)
    return row, f"{name}: {sampling}; index/corpus by table: {parts}"


def verify_every_file(rng) -> str:
    """Counts against a scan on every file of the shared corpora, one index per file."""
    checked = 0
    for path in corpus_files("loghub-2k", "loghub-full", "ci-logs", "text"):
        text = read_corpus(path)
        if not text:
            continue
        index = fmindex.FMIndex.build(text)
        for length in (1, 3, 8, 16, 32):
            for pattern in sample(text, min(length, len(text) - 1), 4, rng) if len(text) > length else []:
                assert index.count(pattern) == occurrences(text, pattern), (path, pattern)
                checked += 1
        print(f"verified {path.name}", file=sys.stderr)
    return f"verify: {checked} counts equal to a scan of the text, on every corpus file"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.fmindex", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_BYTES // MB} MB of each corpus")
    parser.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated: " + ",".join(CORPORA))
    parser.add_argument("--queries", type=int, default=1000, help="patterns per length")
    parser.add_argument("--locate-limit", type=int, default=1000, help="occurrences located per pattern at most")
    parser.add_argument("--sa-rate", type=int, help="SA sample rate (default: chosen per corpus, with line anchors)")
    parser.add_argument("--isa-rate", type=int, default=fmindex.index.ISA_RATE)
    parser.add_argument("--verify", action="store_true", help="check counts against a scan of the text")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2024)
    rows, notes = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-fmindex-") as work:
        for key in args.corpora.split(","):
            label, paths = CORPORA[key]
            text = corpus_text(paths, QUICK_BYTES if args.quick else None)
            if not text:
                print(f"{label}: corpus absent, skipped", file=sys.stderr)
                continue
            print(f"{label}: {len(text) / MB:.1f} MB ...", file=sys.stderr)
            row, note = bench_corpus(label, text, Path(work), args, rng)
            rows.append(row)
            notes.append(note)
            del text
    if args.verify:
        notes.append(verify_every_file(rng))
    if not rows:
        print("no corpus found (../shared/corpora)", file=sys.stderr)
        return 1
    header = list(rows[0])
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores"
    report = "\n".join([
        f"# FM-index (sa_rate {args.sa_rate or 'auto'}, isa_rate {args.isa_rate}{', quick' if args.quick else ''})",
        "", markdown_table(header, [[row[h] for h in header] for row in rows]), "", *notes,
        f"{load} (latencies are memory-bound: other jobs' cache use shows in them)", ""])
    print(report)
    print(f"saved to {save_results('fmindex', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
