"""Compression benchmark: logzip beside gzip, bzip2, xz and zstd on the shared corpora.

    .venv/bin/python -m bench.compression [--quick] [--tools logzip,xz] [--format FMT] [FILES...]

For every file under ../shared/corpora (loghub-full and loghub-2k with their Loghub header formats;
the Mozilla CI logs, the JSON-lines logs and the texts without one), or for the FILES given, each tool compresses the file and
decompresses the result in a child process of its own; the tables give the ratio (original /
compressed), the speeds in MB/s of original data, logzip's peak memory, the round-trip check
(sha256 of the decompressed output against the original) and, for the full Loghub files, the
ratios published by Logzip, LogReducer, LogShrink, Denum (from the corpora README) and DeLog (2026,
as issue 9 quotes them).  Every tool runs on one core
(``xz -T1``, ``zstd -T1``); logzip also with ``-T 2``.  The tables are printed as markdown and
saved under bench/results/.  ``--quick`` keeps the files of at most 3 MB.
"""
import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from bench.common import (MB, RESULTS_DIR, Run, corpus_files, markdown_rows, markdown_table, mb_per_s, plain_copy,
                          python_tool, relative, run_timed, save_results, sha256_file, tool_available)
from corpora.shared import corpora_dir, loghub_2k_formats

DEFAULT_SETS = ("loghub-full", "loghub-2k", "ci-logs", "json-logs", "text")
QUICK_MAX_BYTES = 3 * MB
PUBLISHED_TOOLS = ("Logzip", "LogReducer", "LogShrink", "Denum")
# DeLog (2026) on the same full Loghub files: not in the corpora README's table.
DELOG = {"HPC": 46.84, "Hadoop": 79.63, "Apache": 59.65, "Linux": 30.63, "Proxifier": 30.78}


@dataclass(frozen=True)
class Tool:
    """A compressor run as ``compress + [FILE] > archive`` and ``decompress < archive > output``."""

    name: str
    compress: tuple
    decompress: tuple


BASELINES = (
    Tool("gzip -9", ("gzip", "-9", "-c"), ("gzip", "-d", "-c")),
    Tool("bzip2 -9", ("bzip2", "-9", "-c"), ("bzip2", "-d", "-c")),
    Tool("xz -9e", ("xz", "-9e", "-T1", "-c"), ("xz", "-d", "-c")),
    Tool("zstd -19 --long", ("zstd", "-19", "--long", "-T1", "-q", "-c"), ("zstd", "-d", "--long", "-q", "-c")),
)


def logzip_tool(threads: int, log_format: Optional[str]) -> Tool:
    cli = tuple(python_tool("logzip.cli.main", "logzip"))
    options = ("-T", str(threads)) + (("--format", log_format) if log_format else ())
    return Tool(f"logzip -T{threads}", cli + ("compress", "-c") + options, cli + ("decompress", "-c", "-"))


@dataclass
class Measure:
    """One tool on one file: both runs, or the error that stopped it."""

    tool: str
    original_bytes: int
    archive_bytes: int = 0
    compression: Optional[Run] = None
    decompression: Optional[Run] = None
    round_trip_ok: bool = False
    error: str = ""

    @property
    def ratio(self):
        return self.original_bytes / self.archive_bytes if self.archive_bytes and not self.error else None

    def speeds(self):
        """'compression / decompression' MB/s."""
        if self.error:
            return "FAIL"
        return (f"{mb_per_s(self.original_bytes, self.compression.seconds):.1f} / "
                f"{mb_per_s(self.original_bytes, self.decompression.seconds):.1f}")


def measure(tool: Tool, original: Path, original_sha: str, work: Path) -> Measure:
    archive, restored = work / "archive", work / "restored"
    result = Measure(tool.name, original.stat().st_size)
    result.compression = run_timed(tool.compress + (original,), stdout=archive)
    if result.compression.returncode == 0:
        result.archive_bytes = archive.stat().st_size
        result.decompression = run_timed(tool.decompress, stdin=archive, stdout=restored)
    failed = next((run for run in (result.compression, result.decompression) if run and run.returncode), None)
    if failed:
        lines = failed.stderr.decode(errors="replace").strip().splitlines()
        result.error = lines[-1] if lines else f"exit status {failed.returncode}"
    else:
        result.round_trip_ok = sha256_file(restored) == original_sha
    for path in (archive, restored):
        path.unlink(missing_ok=True)
    return result


def format_of(path: Path, formats: dict) -> Optional[str]:
    """The Loghub format of a Loghub file ('HPC.log.zst', 'HDFS_2k.log'); None for other logs."""
    return formats.get(path.name.split(".")[0].split("_")[0])


def published_ratios() -> dict:
    """File name ('HPC') -> {tool: ratio} from the corpora README's table of published ratios."""
    root = corpora_dir()
    rows = list(markdown_rows(root / "README.md")) if root else []
    header = next((row for row in rows if PUBLISHED_TOOLS[-1] in row), None)
    if header is None:
        return {}
    table = {}
    for row in rows[rows.index(header) + 1:]:
        if len(row) != len(header):
            break
        table[row[0]] = {tool: float(row[header.index(tool)]) for tool in PUBLISHED_TOOLS}
        if row[0] in DELOG:
            table[row[0]]["DeLog"] = DELOG[row[0]]
    return table


def benchmark_file(path: Path, tools: List[Tool], work: Path) -> List[Measure]:
    original = plain_copy(path, work)
    original_sha = sha256_file(original)
    results = []
    for tool in tools:
        print(f"  {tool.name} ...", end="", file=sys.stderr, flush=True)
        result = measure(tool, original, original_sha, work)
        print(f" {result.ratio or 0:.2f}x {result.speeds()} MB/s"
              f"{'' if result.round_trip_ok else ' ROUND TRIP FAILED ' + result.error}", file=sys.stderr)
        results.append(result)
    if original != path:
        original.unlink()
    return results


def tables(rows, baseline_names, with_logzip, published, startup_seconds) -> str:
    """Markdown: a ratio table and a speed table for each corpus set (loghub-full, loghub-2k, ...)."""
    groups = {}
    for row in rows:
        name = row[0]
        groups.setdefault(name.split("/")[0] if "/" in name and not name.startswith("/") else "files", []).append(row)
    sections = []
    for group, members in groups.items():
        with_published = any(name.startswith("loghub-full/") for name, _, _ in members)
        sections.append(f"### {group}: compression ratio (original / compressed, higher is better)\n\n"
                        + _ratio_table(members, baseline_names, with_logzip, published if with_published else None)
                        + f"\n\n### {group}: speed (MB/s of original data; c = compression, d = decompression)\n\n"
                        + _speed_table(members, baseline_names, with_logzip))
    notes = ["All tools on one core (xz -T1, zstd -T1) except logzip -T2. Times are wall clock and include "
             "starting the process" + (f" ({startup_seconds:.2f} s for `logzip --version`)." if with_logzip else ".")]
    if any(name.startswith("loghub-full/") for name, _, _ in rows):
        notes.append("(pub.): ratios published by the LogShrink and Denum authors, and by DeLog's (2026), "
                     "on the same Loghub files.")
    return "\n\n".join(sections + notes) + "\n"


def _ratio_table(rows, baseline_names, with_logzip, published) -> str:
    header = ["file", "size MB", "format"] + (["logzip"] if with_logzip else []) + list(baseline_names)
    if published is not None:
        header += [f"{tool} (pub.)" for tool in PUBLISHED_TOOLS + ("DeLog",)]
        header += ["logzip vs Denum", "logzip vs DeLog"] if with_logzip else []
    table = []
    for name, log_format, results in rows:
        by_tool = {r.tool: r for r in results}
        ratios = [by_tool[t].ratio for t in (["logzip -T1"] if with_logzip else []) + list(baseline_names)]
        row = [name, results[0].original_bytes / MB, "Loghub" if log_format else "none"] + ratios
        if published is not None:
            pub = published.get(Path(name).name.split(".")[0]) if name.startswith("loghub-full/") else None
            row += [pub.get(t) if pub else None for t in PUBLISHED_TOOLS + ("DeLog",)]
            row += [_gap(ratios[0], pub, "Denum"), _gap(ratios[0], pub, "DeLog")] if with_logzip else []
        failures = [r for r in results if not r.round_trip_ok]
        table.append(row + ["ok" if not failures else "; ".join(f"{r.tool}: {r.error or 'differs'}" for r in failures)])
    return markdown_table(header + ["round trip"], table)


def _speed_table(rows, baseline_names, with_logzip) -> str:
    header = ["file"] + (["logzip c", "logzip c -T2", "logzip d", "logzip peak MB c / d"] if with_logzip else [])
    table = []
    for name, _, results in rows:
        by_tool = {r.tool: r for r in results}
        row = [name]
        if with_logzip:
            single, double = by_tool["logzip -T1"], by_tool["logzip -T2"]
            row += [_speed(single, "compression"), _speed(double, "compression"), _speed(single, "decompression"),
                    " / ".join(f"{run.peak_rss / MB:.0f}" if run else "-"
                               for run in (single.compression, single.decompression))]
        table.append(row + [by_tool[n].speeds() for n in baseline_names])
    return markdown_table(header + [f"{n} c / d" for n in baseline_names], table)


def _gap(ratio, published_row, tool):
    """logzip's ratio relative to ``tool``'s published one, as a signed percentage."""
    if ratio is None or not published_row or tool not in published_row:
        return None
    return f"{100 * (ratio / published_row[tool] - 1):+.1f}%"


def _speed(result: Measure, phase: str):
    run = getattr(result, phase)
    return None if result.error or run is None else mb_per_s(result.original_bytes, run.seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.compression", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="logs to measure (default: the shared corpora)")
    parser.add_argument("--quick", action="store_true", help=f"only files of at most {QUICK_MAX_BYTES // MB} MB")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS),
                        help="corpora subdirectories to measure (default: %(default)s)")
    parser.add_argument("--tools", default="logzip," + ",".join(t.name.split()[0] for t in BASELINES),
                        help="comma-separated: logzip,gzip,bzip2,xz,zstd (default: all)")
    parser.add_argument("--format", help="Loghub header format for the FILES given (default: by file name)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where to save the tables (default: %(default)s)")
    args = parser.parse_args(argv)

    wanted = set(args.tools.split(","))
    baselines = [t for t in BASELINES if t.name.split()[0] in wanted]
    missing = [t.compress[0] for t in baselines if not tool_available(t.compress[0])]
    if missing:
        parser.error(f"not installed: {', '.join(missing)}")
    if args.files:
        files = args.files
    else:
        files = corpus_files(*args.sets.split(","), max_bytes=QUICK_MAX_BYTES if args.quick else None)
        if not files:
            parser.error("no corpus files: ../shared/corpora is absent (set LOGZIP_CORPORA) or --sets is empty")

    formats = loghub_2k_formats()  # formats.tsv covers the systems of loghub-full too
    rows = []
    with tempfile.TemporaryDirectory(prefix="logzip-bench-") as work:
        for path in files:
            log_format = args.format if args.files and args.format else format_of(path, formats)
            name = relative(path).removesuffix(".zst")
            print(f"{name}{'  [' + log_format + ']' if log_format else ''}", file=sys.stderr)
            tools = [logzip_tool(n, log_format) for n in (1, 2)] if "logzip" in wanted else []
            rows.append((name, log_format, benchmark_file(path, tools + baselines, Path(work))))

    startup = run_timed(python_tool("logzip.cli.main", "logzip") + ["--version"]).seconds if "logzip" in wanted else 0
    report = tables(rows, [t.name for t in baselines], "logzip" in wanted, published_ratios(), startup)
    print(report)
    print(f"saved to {save_results('compression', report, args.results)}", file=sys.stderr)
    failed = sum(not all(r.round_trip_ok for r in results) for _, _, results in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
