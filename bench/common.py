"""Pieces shared by the benchmarks: corpus files, timed subprocesses, peak memory, markdown tables.

    from bench.common import corpus_files, plain_copy, run_timed, markdown_table, save_results

    for path in corpus_files("loghub-full"):               # Paths under ../shared/corpora
        with tempfile.TemporaryDirectory() as work:
            log = plain_copy(path, work)                    # .zst decompressed to a temp file
            run = run_timed(["gzip", "-9", "-c", str(log)], stdout=Path(work, "out.gz"))
            print(run.seconds, run.peak_rss)                # wall time, peak RSS of the child in bytes

Times are wall-clock around one child process (its start-up included), so on inputs of a few
hundred kilobytes the start-up dominates.  Peak memory is the child's maximum resident set as GNU
time reports it (``/usr/bin/time -f %M``): the ``ru_maxrss`` of a direct child of this process is
no good, since at ``exec`` the kernel folds in the high-water mark of the forked parent.  Without
GNU time it falls back to that ``ru_maxrss`` (an upper bound).
"""
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from corpora.shared import corpora_dir, read_corpus

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
MB = 1_000_000
GNU_TIME = "/usr/bin/time"


@dataclass
class Run:
    """One finished child process."""

    seconds: float      # wall clock, from start to exit
    cpu_seconds: float  # user + system time of the child (and the children it waited for)
    peak_rss: int       # bytes: largest resident set of the child or one of its waited-for children
    returncode: int
    stderr: bytes

    def check(self, argv) -> "Run":
        """Raise CalledProcessError (with the child's error output) unless it exited with 0."""
        if self.returncode != 0:
            raise subprocess.CalledProcessError(self.returncode, list(map(str, argv)), stderr=self.stderr)
        return self


def run_timed(argv: Sequence, stdin: Optional[Path] = None, stdout: Optional[Path] = None,
              env: Optional[dict] = None) -> Run:
    """Run ``argv`` with stdin/stdout redirected from/to files; time it and take its peak memory."""
    argv = [str(a) for a in argv]
    with tempfile.NamedTemporaryFile(prefix="bench-rss-") as rss_file:
        if _has_gnu_time():  # -o: the report goes to a file, the child's stderr stays its own
            argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name] + argv
        stdin_file = open(stdin, "rb") if stdin is not None else subprocess.DEVNULL
        stdout_file = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            process = subprocess.Popen(argv, stdin=stdin_file, stdout=stdout_file, stderr=subprocess.PIPE, env=env)
            stderr = process.stderr.read()  # error output is small; reading it to the end cannot block the child
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            process.stderr.close()
        finally:
            for f in (stdin_file, stdout_file):
                if hasattr(f, "close"):
                    f.close()
        report = Path(rss_file.name).read_text().split()
    peak_kib = int(report[-1]) if report and report[-1].isdigit() else usage.ru_maxrss
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak_kib * 1024, process.returncode, stderr)


@functools.lru_cache(maxsize=None)
def _has_gnu_time() -> bool:
    try:
        probe = subprocess.run([GNU_TIME, "--version"], capture_output=True)
    except OSError:
        return False
    return b"GNU" in probe.stdout + probe.stderr


def tool_available(name: str) -> bool:
    return shutil.which(name) is not None


def python_tool(module: str, script: str) -> List[str]:
    """Command line of a console script of this project: the one beside the interpreter, else ``-m``."""
    installed = Path(sys.executable).with_name(script)
    return [str(installed)] if installed.exists() else [sys.executable, "-m", module]


def corpus_files(*subdirs: str, max_bytes: Optional[int] = None) -> List[Path]:
    """Sorted corpus files under ``subdirs`` of the shared corpora ([] when absent).

    Only logs and texts are listed (not READMEs, licences, ground-truth CSV or format tables);
    ``max_bytes`` keeps files whose decompressed size is at most that (from the corpora README).
    """
    root = corpora_dir()
    if root is None:
        return []
    sizes = corpus_sizes(root) if max_bytes is not None else {}
    files = []
    for subdir in subdirs:
        for path in sorted((root / subdir).rglob("*")):
            if not path.is_file() or path.name.startswith("LICENSE") or path.suffix in (".md", ".csv", ".tsv"):
                continue
            if max_bytes is not None and sizes.get(relative(path), path.stat().st_size) > max_bytes:
                continue
            files.append(path)
    return files


def loghub_full(name: str) -> bytes:
    """The full Loghub log ``name`` (HPC, Hadoop...), decompressed; exits if the corpora are absent."""
    root = corpora_dir()
    if root is None:
        raise SystemExit("the shared corpora are absent (../shared/corpora or $LOGZIP_CORPORA)")
    return read_corpus(root / "loghub-full" / f"{name}.log.zst")


def relative(path: Path) -> str:
    """``path`` relative to the shared corpora (as the corpora README names files), else as is."""
    root = corpora_dir()
    try:
        return str(Path(path).resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def corpus_sizes(root: Path) -> dict:
    """File (relative to the corpora) -> decompressed bytes, from the README's file table."""
    sizes = {}
    for row in markdown_rows(root / "README.md"):
        if len(row) >= 2 and row[1].isdigit():
            sizes[row[0]] = int(row[1])
    return sizes


def markdown_rows(path: Path) -> Iterable[List[str]]:
    """The cells of every markdown table row in the file at ``path`` (none when it is absent)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            yield [cell.strip() for cell in line.strip().strip("|").split("|")]


def plain_copy(path: Path, workdir) -> Path:
    """``path`` itself when it is not compressed, else its decompressed content in ``workdir``."""
    path = Path(path)
    if path.suffix != ".zst":
        return path
    target = Path(workdir) / path.stem
    target.write_bytes(read_corpus(path))
    return target


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mb_per_s(n_bytes: int, seconds: float) -> float:
    return n_bytes / MB / seconds if seconds > 0 else float("inf")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub markdown table; numeric columns are right-aligned, floats shown with 2 decimals."""
    cells = [[_cell(value) for value in row] for row in rows]
    numeric = [bool(cells) and all(_is_number(row[i]) or row[i] in ("", "-") for row in cells)
               for i in range(len(header))]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|"]
    for row in cells:
        lines.append("| " + " | ".join(c.rjust(w) if num else c.ljust(w)
                                       for c, w, num in zip(row, widths, numeric)) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 1000 else f"{value:.0f}"
    return str(value).replace("|", "\\|")


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("%"))
    except ValueError:
        return False
    return True


def save_results(name: str, text: str, directory: Path = RESULTS_DIR) -> Path:
    """Write ``text`` to DIRECTORY/NAME-<UTC time>.md (by default bench/results/, not versioned)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.md"
    path.write_text(text, encoding="utf-8")
    return path
