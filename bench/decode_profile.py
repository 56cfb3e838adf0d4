"""Where decompression spends its CPU time: one table a log, time per stage.

Each full Loghub log is compressed once with its Loghub format, then decompressed
``--repeat`` times in this process: the best CPU time gives the speed, and one run under
cProfile splits it into stages by the function that spent it (its own time, callees
excluded), so the stages add up to the whole (the profiler inflates stages of many small
Python calls, such as the column tree of a log of many templates)::

    python -m bench.decode_profile [--repeat 5] [--top 12] [NAME ...]

A stage is the first pattern of ``STAGES`` that the function's ``file:name`` contains;
``--top`` also lists the costliest functions themselves.
"""
import argparse
import cProfile
import pstats
import time

import logzip
from bench.common import markdown_table, mb_per_s
from bench.throughput import best_time
from corpora.shared import LOGHUB_FULL_FORMATS, corpora_dir, read_corpus

STAGES = [      # (stage, patterns of "file:function" it takes)
    ("LZMA", ["_lzma.LZMADecompressor"]),
    ("zstd", ["zstd", "ZstdDecompressor", "stream_reader"]),
    ("checks: crc32", ["zlib.crc32"]),
    ("checks: newline count", ["method 'count' of 'bytes'", "count_newlines"]),
    ("lines: fill/assemble", ["_strings.fill", "_strings.assemble", "strings.py:"]),
    ("integers (arrays, spelling)", ["int_array", "unsigned", "_unzigzag", "_decode_ints", "numpy", "cumsum"]),
    ("fused digits", ["_decode_fused", "divmod"]),
    ("column tree (Python)", ["columns.py:", "varint.py:", "builtins.len"]),
    ("joining blocks", ["method 'join' of 'bytes'"]),
    ("templates", ["template.py:"]),
    ("block", ["block.py:", "header.py:", "lines.py:"]),
]


def stage_of(key: str) -> str:
    for stage, patterns in STAGES:
        if any(pattern in key for pattern in patterns):
            return stage
    return "other"


def profile(archive: bytes, top: int):
    """``(seconds per stage, the top functions)`` of one decompression under cProfile."""
    profiler = cProfile.Profile(timer=time.process_time)
    profiler.enable()
    logzip.decompress(archive)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    stages, functions = {}, []
    for (filename, line, function), (_, _, own, _, _) in stats.items():
        key = f"{filename.rsplit('/', 1)[-1]}:{function}"
        stages[stage_of(key)] = stages.get(stage_of(key), 0.0) + own
        functions.append((own, key))
    return stages, sorted(functions, reverse=True)[:top]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["HPC", "Hadoop"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    root = corpora_dir()
    if root is None:
        raise SystemExit("the shared corpora are absent (../shared/corpora or $LOGZIP_CORPORA)")
    for name in args.names:
        data = read_corpus(root / "loghub-full" / f"{name}.log.zst")
        archive = logzip.compress(data, format=LOGHUB_FULL_FORMATS[name])
        seconds, restored = best_time(lambda: logzip.decompress(archive), args.repeat)
        if restored != data:
            raise SystemExit(f"{name}: round trip differs")
        stages, functions = profile(archive, args.top)
        total = sum(stages.values())
        print(f"\n{name}: {len(data) / 1e6:.1f} MB, best of {args.repeat}: {seconds:.3f} s CPU, "
              f"{mb_per_s(len(data), seconds):.1f} MB/s (profiled run: {total:.3f} s)")
        rows = [[stage, round(own * 1000, 1), f"{100 * own / total:.0f}%"]
                for stage, own in sorted(stages.items(), key=lambda item: -item[1])]
        print(markdown_table(["stage", "ms", "share"], rows))
        print(markdown_table(["function", "ms"], [[key, round(own * 1000, 1)] for own, key in functions]))


if __name__ == "__main__":
    main()
