"""What ``make demo`` runs: compress a generated log with logzip, check it, compare with gzip and zstd,
then search the archive without decompressing it (in its streams, and through the FM-index
of an archive made with --index).

    python -m corpora.demo [--kind hdfs] [--size 20MB] [--seed 0] [-T 1] [--keep DIR]

The sample comes from the project's own generator (corpora/generate.py) and is compressed with
the Loghub header format of its kind; all tools run in this process, one after the other.
"""
import argparse
import hashlib
import re
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

import zstandard

import logzip
import logzip.search
from bench.fmindex import occurrences
from corpora.generate import FORMATS, KINDS, generate, parse_size


def timed(function, data):
    start = time.perf_counter()
    result = function(data)
    return result, time.perf_counter() - start


def baselines():
    """(name, compress, decompress) of the general-purpose compressors to compare with."""
    zstd_19 = zstandard.ZstdCompressor(level=19)
    return [
        ("gzip -6", lambda d: zlib.compress(d, 6), zlib.decompress),
        ("gzip -9", lambda d: zlib.compress(d, 9), zlib.decompress),
        ("zstd -19", zstd_19.compress, zstandard.ZstdDecompressor().decompress),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m corpora.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="hdfs", help="kind of log to generate (default: hdfs)")
    parser.add_argument("--size", type=parse_size, default="20MB", help="sample size (default: 20MB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-T", "--threads", type=int, default=1, help="logzip compression threads (default: 1)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="also write the sample and its archive to DIR")
    args = parser.parse_args(argv)

    log_format = FORMATS[args.kind]
    data = generate(args.kind, args.size, seed=args.seed)
    lines = data.count(b"\n")
    print(f"Sample: {len(data) / 1e6:.1f} MB of generated {args.kind} log, {lines} lines "
          f"(python -m corpora.generate {args.kind} --size {args.size} --seed {args.seed})")
    print(f"Format: {log_format}\n")

    archive, compress_seconds = timed(lambda d: logzip.compress(d, format=log_format, threads=args.threads), data)
    restored, decompress_seconds = timed(logzip.decompress, archive)
    exact = restored == data
    rows = [("logzip", len(archive), compress_seconds, decompress_seconds)]
    for name, compress, decompress in baselines():
        packed, c_seconds = timed(compress, data)
        _, d_seconds = timed(decompress, packed)
        rows.append((name, len(packed), c_seconds, d_seconds))
    zstd_archive = packed  # the last baseline, zstd -19: what search is compared with

    mb = len(data) / 1e6
    print(f"{'':10}{'ratio':>8}{'size MB':>10}{'compress MB/s':>16}{'decompress MB/s':>18}")
    for name, size, c_seconds, d_seconds in rows:
        print(f"{name:10}{len(data) / size:8.2f}{size / 1e6:10.2f}{mb / c_seconds:16.1f}{mb / d_seconds:18.1f}")
    best_other = min(rows[1:], key=lambda row: row[1])
    print(f"\nlogzip's archive is {rows[0][1] / best_other[1]:.0%} the size of {best_other[0]}'s.")
    digest = hashlib.sha256(data).hexdigest()[:16]
    print(f"Round trip: {'byte-exact' if exact else 'MISMATCH'} (sha256 {digest}...)"
          f"{'' if args.threads == 1 else f'; logzip ran with -T {args.threads}'}")

    found_all = search(data, log_format, archive, zstd_archive)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        sample = args.keep / f"{args.kind}.log"
        sample.write_bytes(data)
        sample.with_name(sample.name + ".logz").write_bytes(archive)
        print(f"Kept {sample} and {sample.name}.logz in {args.keep}")
    return 0 if exact and found_all else 1


def search(data: bytes, log_format: str, archive: bytes, zstd_archive: bytes) -> bool:
    """Count a few patterns in the archive itself (no index: the compressed streams are searched)
    and in one made with --index, against decompressing zstd -19 and scanning; whether every
    count equals the scan's."""
    middle = data.rfind(b"\n", 0, len(data) // 2) + 1
    line = data[middle: data.find(b"\n", middle)].rstrip(b"\r")
    word = max(re.findall(rb"[A-Za-z][\w.$]{2,}", line)[:6] or [line[:4]], key=len)  # a component, a level
    patterns, found_all = [line[-16:], word[:24], b"no such event"], True  # an id or value, a component
    with tempfile.TemporaryDirectory(prefix="logzip-demo-") as work:
        plain_path, indexed_path = Path(work) / "sample.log.logz", Path(work) / "indexed.log.logz"
        plain_path.write_bytes(archive)
        indexed = logzip.compress(data, format=log_format, index=True)
        indexed_path.write_bytes(indexed)
        print(f"\nSearch, answered from the archives alone: the archive above as it is, and one made with"
              f" --index ({len(indexed) / len(archive):.1f}x larger: a full-text FM-index).")
        with logzip.search.open(plain_path) as streams, logzip.search.open(indexed_path) as index:
            # A block's first query parses its streams and its third makes its templates' line
            # maps (byte pairs and 4-grams, a pass over the block): a one-time cost, timed apart.
            _, setup = timed(lambda head: [streams.count(head) for _ in range(3)], data[:2])
            print(f"(once per opened archive: its streams parsed and line maps made, {setup * 1e3:.0f} ms)")
            print(f"{'pattern':26}{'count':>8}{'archive':>12}{'--index':>12}{'zstd -d + scan':>18}")
            for pattern in patterns:
                found, stream_seconds = timed(streams.count, pattern)
                times = []
                for _ in range(200):
                    start = time.perf_counter()
                    in_index = index.count(pattern)
                    times.append(time.perf_counter() - start)
                start = time.perf_counter()
                expected = occurrences(zstandard.ZstdDecompressor().decompress(zstd_archive), pattern)
                scan = time.perf_counter() - start
                agree = found == expected == in_index
                status = "" if agree else f"  MISMATCH: the scan finds {expected}, the index {in_index}"
                found_all &= agree
                label = repr(pattern.decode("utf-8", "backslashreplace"))
                print(f"{label:26}{found:8}{stream_seconds * 1e3:9.1f} ms{statistics.median(times) * 1e6:9.1f} us"
                      f"{scan * 1e3:15.1f} ms{status}")
    return found_all


if __name__ == "__main__":
    sys.exit(main())
