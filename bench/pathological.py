"""Throughput on inputs that templates cannot help: generated (:mod:`corpora.pathological`) and
the shared text corpora.

One giant line, lines of 100k tokens, 1000-digit numbers, lines of distinct random tokens, and
(``--texts``) every file of the shared corpora's ``text/`` (prose, markup, URLs, a Wikipedia
dump): logzip.compress / logzip.decompress in this process, on one core (CPU time), beside
zstd -19 and xz -9e on the same bytes in the same run. Best of ``--repeat`` runs.

    python -m bench.pathological [--size 16M] [--repeat 1] [--texts] [NAME ...]
"""
import argparse
import lzma

import zstandard

import logzip
from bench.common import corpus_files, markdown_table, mb_per_s, save_results
from bench.throughput import best_time
from corpora.pathological import KINDS, pathological
from corpora.shared import read_corpus


def measure(name: str, data: bytes, repeat: int) -> list:
    c_time, archive = best_time(lambda: logzip.compress(data), repeat)
    d_time, restored = best_time(lambda: logzip.decompress(archive), repeat)
    if restored != data:
        raise SystemExit(f"{name}: round trip differs")
    z_time, z_archive = best_time(lambda: zstandard.ZstdCompressor(level=19).compress(data), 1)
    x_time, x_archive = best_time(lambda: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME), 1)
    return [name, round(len(data) / 1e6, 2), round(len(data) / len(archive), 2),
            round(mb_per_s(len(data), c_time), 1), round(mb_per_s(len(data), d_time), 1),
            round(len(data) / len(z_archive), 2), round(mb_per_s(len(data), z_time), 1),
            round(len(data) / len(x_archive), 2), round(mb_per_s(len(data), x_time), 1)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(KINDS))
    parser.add_argument("--size", type=lambda text: int(float(text.rstrip("M")) * 1e6), default=16_000_000,
                        help="bytes of each input (16M: 16 MB)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--texts", action="store_true", help="also every file of the shared corpora's text/")
    args = parser.parse_args(argv)
    inputs = {name: data for name, data in pathological(args.size).items() if name in args.names}
    if args.texts:
        inputs.update((path.name.removesuffix(".zst"), read_corpus(path)) for path in corpus_files("text"))
    rows = []
    for name, data in inputs.items():
        rows.append(measure(name, data, args.repeat))
        print(*rows[-1], flush=True)
    table = markdown_table(["input", "MB", "logzip ratio", "logzip c MB/s", "logzip d MB/s",
                            "zstd -19 ratio", "zstd -19 c MB/s", "xz -9e ratio", "xz -9e c MB/s"], rows)
    print(table)
    save_results("pathological", table)


if __name__ == "__main__":
    main()
