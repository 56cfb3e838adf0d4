"""What flushing costs a pipeline: a log written through ``LogzipFile`` with ``flush()``
every N lines (each flush ends a block), beside gzip (zlib ``Z_SYNC_FLUSH``) and zstd
(``FLUSH_BLOCK``) flushed at the same lines, in the same run, in this process, one core.

    python -m bench.pipeline [--megabytes 4] [--every 100000 10000 1000 100] [NAME ...]

The first ``--megabytes`` of each full Loghub log (cut at a line), with its Loghub format;
ratio and MB/s of compression with the flushes; every archive is checked to round-trip.
"""
import argparse
import io
import time
import zlib

import zstandard

import logzip
from bench.common import loghub_full, markdown_table, mb_per_s, save_results
from corpora.shared import LOGHUB_FULL_FORMATS


def batches(lines: list, every: int):
    for start in range(0, len(lines), every):
        yield b"".join(lines[start:start + every])


def with_logzip(lines, every, log_format) -> bytes:
    sink = io.BytesIO()
    with logzip.LogzipFile(None, "wb", fileobj=sink,
                           params=logzip.CompressionParameters(format=log_format)) as archive:
        for batch in batches(lines, every):
            archive.write(batch)
            archive.flush()
    return sink.getvalue()


def with_gzip(lines, every) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    pieces = [compressor.compress(batch) + compressor.flush(zlib.Z_SYNC_FLUSH) for batch in batches(lines, every)]
    return b"".join(pieces) + compressor.flush()


def with_zstd(lines, every) -> bytes:
    compressor = zstandard.ZstdCompressor(level=19).compressobj()
    pieces = [compressor.compress(batch) + compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
              for batch in batches(lines, every)]
    return b"".join(pieces) + compressor.flush()


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure(name: str, data: bytes, every: int) -> list:
    lines = data.splitlines(keepends=True)
    row = [name, round(len(data) / 1e6, 2), every, -(-len(lines) // every)]
    l_time, archive = timed(lambda: with_logzip(lines, every, LOGHUB_FULL_FORMATS[name]))
    if logzip.decompress(archive) != data:
        raise SystemExit(f"{name}: round trip differs")
    g_time, gz = timed(lambda: with_gzip(lines, every))
    z_time, zst = timed(lambda: with_zstd(lines, every))
    for seconds, packed in ((l_time, archive), (g_time, gz), (z_time, zst)):
        row += [round(len(data) / len(packed), 2), round(mb_per_s(len(data), seconds), 1)]
    return row


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["HPC", "Hadoop"])
    parser.add_argument("--megabytes", type=float, default=4)
    parser.add_argument("--every", type=int, nargs="+", default=[100000, 10000, 1000, 100])
    args = parser.parse_args(argv)
    rows = []
    for name in args.names:
        data = loghub_full(name)
        data = data[:data.rfind(b"\n", 0, int(args.megabytes * 1e6)) + 1]   # cut at a line
        for every in args.every:
            rows.append(measure(name, data, every))
            print(*rows[-1], flush=True)
    table = markdown_table(["log", "MB", "flush every N lines", "flushes", "logzip ratio", "logzip MB/s",
                            "gzip -9 ratio", "gzip -9 MB/s", "zstd -19 ratio", "zstd -19 MB/s"], rows)
    print(table)
    save_results("pipeline", table)


if __name__ == "__main__":
    main()
