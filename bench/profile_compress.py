"""Where compression spends its CPU time: a per-stage table of ``logzip.compress`` on logs.

Each stage is a function of the compress path wrapped with a CPU-time clock; time is charged
to the innermost stage running (exclusive), so the rows add up to the whole run. An *opaque*
stage (header inference, which compresses its sample through the whole block pipeline, and the
general coder's try) keeps what runs inside it. The zstd and LZMA runs of
``columns._compress`` are told apart: the coder trial on a sample, and the final run.

The GROUPED trial of the header table is timed apart, after the run: the header table of the
block encoded with its key and without (the difference is what GROUPED costs).

    python -m bench.profile_compress [--level 19] [--megabytes N] [--cprofile 25] [NAME ...]

NAME: a full Loghub log (HPC, Hadoop, ...), compressed with its Loghub format, or a path.
"""
import argparse
import cProfile
import functools
import pstats
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

import logzip
from logzip import pipeline
from logzip.cluster import miner, template
from logzip.codec import block, columns, header
from bench.common import loghub_full, markdown_table, mb_per_s
from corpora.shared import LOGHUB_FULL_FORMATS, read_corpus

OTHER = "other (container, checksums, glue)"


class StageClock:
    """CPU time per stage, exclusive: a stage's clock stops while an inner stage runs."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)
        self._stack = [OTHER]
        self._since = time.process_time()
        self._opaque = 0

    def _switch(self, stage):
        now = time.process_time()
        self.seconds[self._stack[-1]] += now - self._since
        self._since = now
        if stage is None:
            self._stack.pop()
        else:
            self._stack.append(stage)
            self.calls[stage] += 1

    def run(self, stage, opaque, function, *args, **kwargs):
        if self._opaque:
            return function(*args, **kwargs)
        self._switch(stage)
        self._opaque += opaque
        try:
            return function(*args, **kwargs)
        finally:
            self._opaque -= opaque
            self._switch(None)

    def wrap(self, owner, name, stage, opaque=False):
        """Replace ``owner.name`` by a timed call of it; returns an undo function."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            return self.run(stage, opaque, original, *args, **kwargs)

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)

    def total(self) -> float:
        return sum(self.seconds.values())


class _TimedZstd:
    """A zstd compressor whose runs inside ``columns._compress`` are charged as trial or final."""

    def __init__(self, clock, compressor, level, coder_payload):
        self._clock, self._compressor, self._level, self._payload = clock, compressor, level, coder_payload

    def compress(self, data):
        size = self._payload[-1] if self._payload else None
        if size is None:
            return self._compressor.compress(data)
        return self._clock.run(_coder_stage(f"zstd -{self._level}", len(data), size), False,
                               self._compressor.compress, data)


def _coder_stage(coder: str, n_bytes: int, payload: int) -> str:
    if payload <= 2 * columns._CODER_SAMPLE:
        return f"coder, small payload: {coder} (trial = final)"
    return f"coder trial on sample: {coder}" if n_bytes < payload else f"coder final: {coder}"


def instrument(clock: StageClock) -> list:
    """Wrap the stages of the compress path; returns the undo functions."""
    undo = [
        clock.wrap(pipeline.BlockCutter, "feed", "block cut"),
        clock.wrap(pipeline.BlockCutter, "flush", "block cut"),
        clock.wrap(block, "templates_hopeless", "triage"),
        clock.wrap(block, "split_lines", "split lines"),
        clock.wrap(block, "infer_format", "header inference (whole pipeline on a 2000-line sample)", opaque=True),
        clock.wrap(header.HeaderFormat, "split", "header split"),
        clock.wrap(miner.TemplateMiner, "fit", "template mining"),
        clock.wrap(template.TemplateSet, "match", "matching"),
        clock.wrap(columns, "_table_payload", "column modelling (Python, numpy)"),
        clock.wrap(columns, "_put_int_array", "column modelling (Python, numpy)"),
        clock.wrap(columns, "_trial_size", "column candidate trials (zstd -3)"),
        clock.wrap(columns, "_gather", "GROUPED gather"),
        clock.wrap(columns, "stream_level", "level probe"),
        clock.wrap(block, "compress_stream", "zstd of small streams (templates, misfit rows)"),
        clock.wrap(block, "summarize", "search summary"),
        clock.wrap(block.general, "general_payload", "general coder try (sample, maybe whole)", opaque=True),
    ]
    payloads = []       # sizes of the payloads columns._compress is coding (a stack)
    original_compress, original_lzma, original_compressor = columns._compress, columns._lzma, columns.zstd_compressor

    def compress(payload, *args, **kwargs):
        payloads.append(len(payload))
        try:
            return original_compress(payload, *args, **kwargs)
        finally:
            payloads.pop()

    def lzma(payload, *args, **kwargs):
        if not payloads:
            return original_lzma(payload, *args, **kwargs)
        stage = _coder_stage("LZMA", len(payload), payloads[-1])
        return clock.run(stage, False, original_lzma, payload, *args, **kwargs)

    def compressor(level):
        return _TimedZstd(clock, original_compressor(level), level, payloads)

    columns._compress, columns._lzma, columns.zstd_compressor = compress, lzma, compressor
    undo.append(lambda: setattr(columns, "_compress", original_compress))
    undo.append(lambda: setattr(columns, "_lzma", original_lzma))
    undo.append(lambda: setattr(columns, "zstd_compressor", original_compressor))
    return undo


def stage_table(data: bytes, log_format, level: int):
    """(rows of the per-stage table, CPU seconds of the plain run, archive)."""
    start = time.process_time()
    archive = logzip.compress(data, format=log_format, level=level)
    plain = time.process_time() - start
    clock = StageClock()
    undo = instrument(clock)
    try:
        clock._since = time.process_time()
        logzip.compress(data, format=log_format, level=level)
        clock._switch(None)
    finally:
        for function in undo:
            function()
    total = clock.total()
    rows = [[stage, clock.calls[stage], round(seconds, 3), f"{100 * seconds / total:.1f}%"]
            for stage, seconds in sorted(clock.seconds.items(), key=lambda item: -item[1])]
    rows.append(["total (instrumented)", "", round(total, 3), "100.0%"])
    return rows, plain, archive


def grouped_cost(data: bytes, log_format, level: int):
    """CPU seconds of the block's header table encoded with its key (GROUPED tried) and without."""
    fmt = header.HeaderFormat.parse(log_format) if log_format else None
    model = block.analyze_block(data, fmt)
    if not model.header_columns:
        return None
    key = np.asarray(model.contents.ids)
    times = []
    for table_key in (key, None):
        start = time.process_time()
        columns.encode_table(model.header_columns, level, table_key)
        times.append(time.process_time() - start)
    return times


def load(name: str, megabytes: float):
    if name in LOGHUB_FULL_FORMATS:
        data, log_format = loghub_full(name), LOGHUB_FULL_FORMATS[name]
    else:
        data, log_format = read_corpus(Path(name)), None
    if megabytes:
        cut = data.find(b"\n", int(megabytes * 1e6)) + 1
        data = data[:cut] if cut else data
    return data, log_format


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["HPC", "Hadoop"])
    parser.add_argument("--level", type=int, default=pipeline.DEFAULT_LEVEL)
    parser.add_argument("--megabytes", type=float, default=0, help="only the first N MB of each log")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print cProfile's top N by cumulative and by internal time")
    args = parser.parse_args(argv)
    logzip.compress(b"warm up the imports\n" * 100)
    for name in args.names:
        data, log_format = load(name, args.megabytes)
        rows, plain, archive = stage_table(data, log_format, args.level)
        print(f"## {name}: {len(data) / 1e6:.1f} MB, ratio {len(data) / len(archive):.2f}, "
              f"{plain:.2f} s CPU uninstrumented = {mb_per_s(len(data), plain):.1f} MB/s\n")
        print(markdown_table(["stage", "calls", "CPU s", "share"], rows))
        grouped = grouped_cost(data, log_format, args.level)
        if grouped:
            print(f"\nheader table: {grouped[0]:.2f} s CPU with its key (GROUPED tried), "
                  f"{grouped[1]:.2f} s without\n")
        if args.cprofile:
            profile = cProfile.Profile()
            profile.runcall(logzip.compress, data, format=log_format, level=args.level)
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(args.cprofile)
            stats.sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
