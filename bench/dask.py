"""logzip on Dask: the speed-up of 2 workers over 1, and the cost of the cluster against a local run.

Each job runs locally in this process (one core, then ``threads=2`` where logzip has it) and on
``distributed.LocalCluster``\ s of 1 and 2 worker processes of one thread each, started before
the clock runs, the four taking turns in every round; the answers are checked equal to the
local ones. Jobs: compress the 16 Loghub
2k samples (many small files), compress the full HPC log cut into small blocks (one large
file), read the HPC archive's lines with ``logzip.dask.read_text``, and count patterns over
~1,000 small archives (a fan-out: slices of the Loghub 2k samples). Best of ``--repeat``.

    python -m bench.dask [--repeat 2] [--block-size 4M] [--archives 1024]
"""
import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

import distributed

import logzip
import logzip.dask
import logzip.search
from bench.common import markdown_table, save_results
from bench.throughput import best_time as best
from corpora.shared import corpora_dir, read_corpus

PATTERNS = [b"error", b"ERROR", b"failed", b"Connection", b"session opened for user", b"\nA"]


@contextlib.contextmanager
def cluster(workers: int):
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local, distributed.Client(local) as client:
        logzip.dask.register_workers(client)
        yield client


def compress_locally(sources, out: Path, params) -> list:
    made = []
    for source in sources:
        target = out / (source.name + ".logz")
        with open(source, "rb") as stream, logzip.LogzipFile(target, "wb", params=params) as archive:
            archive.write(stream.read())
        made.append(target)
    return made


def fresh(folder: Path) -> Path:
    for old in folder.glob("*"):
        old.unlink()
    return folder


class Job:
    """A named piece of work, run locally and on a client; ``check`` compares the answers."""

    def __init__(self, name, mb, local, on_cluster, local_two=None):
        self.name, self.mb, self.local, self.on_cluster, self.local_two = name, mb, local, on_cluster, local_two


def jobs(work: Path, block_size: int, n_archives: int) -> list:
    root = corpora_dir()
    samples = sorted((root / "loghub-2k").glob("*_2k.log"))
    hpc = work / "HPC.log"
    hpc.write_bytes(read_corpus(root / "loghub-full" / "HPC.log.zst"))
    small = logzip.CompressionParameters()
    split = logzip.CompressionParameters(block_size=block_size)
    out = work / "out"
    out.mkdir()

    def compress_job(name, sources, params):
        size = sum(s.stat().st_size for s in sources) / 1e6
        two = logzip.CompressionParameters(level=params.level, block_size=params.block_size, threads=2)
        return Job(name, size,
                   lambda: [p.read_bytes() for p in compress_locally(sources, fresh(out), params)],
                   lambda client: [Path(p).read_bytes() for p in logzip.dask.compress(
                       sources, fresh(out), client=client, params=params)],
                   lambda: [p.read_bytes() for p in compress_locally(sources, fresh(out), two)])

    archive = work / "HPC.log.logz"
    compress_locally([hpc], work, split)
    fanout = make_fanout(work / "fanout", samples, n_archives)
    return [
        compress_job("compress 16 Loghub 2k files", samples, small),
        compress_job(f"compress HPC, {block_size >> 20} MiB blocks", [hpc], split),
        Job("read_text HPC archive (lines)", hpc.stat().st_size / 1e6,
            lambda: count_lines(archive),
            lambda client: logzip.dask.read_text(str(archive), encoding=None).count().compute()),
        Job(f"count {len(PATTERNS)} patterns, {len(fanout)} archives",
            sum(os.path.getsize(p) for p in fanout) / 1e6,
            lambda: [count_locally(p) for p in fanout],
            lambda client: logzip.dask.count(PATTERNS, fanout, client=client)),
    ]


def count_lines(path) -> int:
    with logzip.open(path) as lines:
        return sum(1 for _ in lines)


def count_locally(path: str) -> list:
    with logzip.search.open(path) as archive:
        return archive.counts(PATTERNS)


def make_fanout(folder: Path, samples, n_archives: int) -> list:
    """~``n_archives`` small archives: every sample cut into equal runs of lines."""
    folder.mkdir()
    per_sample = max(1, n_archives // len(samples))
    made = []
    for sample in samples:
        lines = sample.read_bytes().splitlines(keepends=True)
        step = -(-len(lines) // per_sample)
        for k in range(0, len(lines), step):
            path = folder / f"{sample.stem}-{k:05d}.logz"
            path.write_bytes(logzip.compress(b"".join(lines[k:k + step]), level=3))
            made.append(str(path))
    return made


def interleaved(job: Job, one, two, repeat: int) -> tuple:
    """Best seconds of the job locally, locally on 2 processes, on 1 and on 2 workers, the four
    taking turns in every round so that a change of the machine's load hits them alike; every
    answer is checked against the local one."""
    runs = [job.local, job.local_two, lambda: job.on_cluster(one), lambda: job.on_cluster(two)]
    fastest, expected = [float("inf")] * len(runs), None
    for _ in range(repeat):
        for k, run in enumerate(runs):
            if run is None:
                continue
            seconds, answer = best(run, 1, time.perf_counter)   # wall time: the work is in other processes
            expected = answer if expected is None else expected
            if answer != expected:
                raise SystemExit(f"{job.name}: the answers differ")
            fastest[k] = min(fastest[k], seconds)
    return tuple(None if t == float("inf") else t for t in fastest)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--block-size", default="4M", help="block size of the one-large-file job")
    parser.add_argument("--archives", type=int, default=1024, help="archives of the fan-out count")
    args = parser.parse_args(argv)
    if corpora_dir() is None:
        raise SystemExit("the shared corpora are absent (../shared/corpora or $LOGZIP_CORPORA)")
    block_size = int(args.block_size.rstrip("Mm")) << 20
    with tempfile.TemporaryDirectory() as work, cluster(1) as one, cluster(2) as two:
        todo = jobs(Path(work), block_size, args.archives)
        times = [interleaved(job, one, two, args.repeat) for job in todo]
    rows = []
    for job, (local, local_two, on_one, on_two) in zip(todo, times):
        reference = local_two or local
        rows.append([job.name, round(job.mb, 1), round(local, 2), round(local_two, 2) if local_two else "-",
                     round(on_one, 2), round(on_two, 2), round(on_one / on_two, 2), round(on_two / reference, 2)])
        print(*rows[-1], flush=True)
    table = markdown_table(["job", "MB", "local s", "local -T 2 s", "dask 1 worker s", "dask 2 workers s",
                            "speed-up 2/1", "dask 2 / local best"], rows)
    table += f"\n\nLoad average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n"
    print(table)
    save_results("dask", table)


if __name__ == "__main__":
    main()
