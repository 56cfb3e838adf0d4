"""Library throughput: logzip.compress / logzip.decompress in this process, on one core.

`python -m bench.compression` times the command line, start-up (~0.2 s) and file I/O
included; this measures what a pipeline job calling the library gets, on the five full
Loghub logs with their Loghub formats, beside zstd -19 and xz -9e through their Python
bindings (zstandard, lzma) in the same run. Best of ``--repeat`` runs.

One-core speeds are CPU time of this process (on a machine shared with other jobs, wall
time measures the neighbours); ``-T N`` (``--threads``, 0 to skip) is wall time, since its
work runs in worker processes.

    python -m bench.throughput [--repeat 3] [--level 19] [--threads 2] [NAME ...]
"""
import argparse
import lzma
import time

import zstandard

import logzip
from bench.common import markdown_table, mb_per_s, save_results
from corpora.shared import LOGHUB_FULL_FORMATS, corpora_dir, read_corpus


def best_time(function, repeat: int, clock=time.process_time):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = clock()
        result = function()
        best = min(best, clock() - start)
    return best, result


def measure(name: str, data: bytes, level: int, repeat: int, threads: int) -> list:
    log_format = LOGHUB_FULL_FORMATS[name]
    c_time, archive = best_time(lambda: logzip.compress(data, format=log_format, level=level), repeat)
    d_time, restored = best_time(lambda: logzip.decompress(archive), repeat)
    if restored != data:
        raise SystemExit(f"{name}: round trip differs")
    zstd = zstandard.ZstdCompressor(level=19)
    z_time, z_archive = best_time(lambda: zstd.compress(data), 1)
    x_time, x_archive = best_time(lambda: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME), 1)
    parallel = [None, None]
    if threads > 1:
        t_time, t_archive = best_time(lambda: logzip.compress(data, format=log_format, level=level, threads=threads),
                                      repeat, time.perf_counter)
        parallel = [round(len(data) / len(t_archive), 2), round(mb_per_s(len(data), t_time), 1)]
    return [name, round(len(data) / 1e6, 2), round(len(data) / len(archive), 2),
            round(mb_per_s(len(data), c_time), 1), round(mb_per_s(len(data), d_time), 1)] + parallel + [
            round(len(data) / len(z_archive), 2), round(mb_per_s(len(data), z_time), 1),
            round(len(data) / len(x_archive), 2), round(mb_per_s(len(data), x_time), 1)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(LOGHUB_FULL_FORMATS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--level", type=int, default=19)
    parser.add_argument("--threads", type=int, default=2, help="also compress with -T N, wall time (0: skip)")
    args = parser.parse_args(argv)
    root = corpora_dir()
    if root is None:
        raise SystemExit("the shared corpora are absent (../shared/corpora or $LOGZIP_CORPORA)")
    rows = []
    for name in args.names:
        data = read_corpus(root / "loghub-full" / f"{name}.log.zst")
        rows.append(measure(name, data, args.level, args.repeat, args.threads))
        print(*rows[-1], flush=True)
    table = markdown_table(["log", "MB", "logzip ratio", "logzip c MB/s", "logzip d MB/s",
                            f"-T {args.threads} ratio", f"-T {args.threads} c MB/s (wall)",
                            "zstd -19 ratio", "zstd -19 c MB/s", "xz -9e ratio", "xz -9e c MB/s"], rows)
    print(table)
    save_results("throughput", table)


if __name__ == "__main__":
    main()
