"""Grouping accuracy of the template miner on the 16 Loghub-2k systems; its speed on full logs.

    .venv/bin/python -m bench.grouping [--corpora DIR] [SYSTEM ...]
    .venv/bin/python -m bench.grouping --speed [--raw] [HPC Hadoop ...]

Each sample is split into header and content with its Loghub format (formats.tsv), the contents
are fitted and matched, and the grouping is scored against EventId in
``X_2k.log_structured_corrected.csv`` with the Loghub Grouping Accuracy: a line is correct when
the set of lines of its predicted group equals the set of lines of its true group.  A line left
without a template (-1) is a group of its own.

``--speed`` times fit and match (CPU seconds of this process) on full Loghub logs, on the contents
left by the system's Loghub format, or on whole lines with ``--raw``.
"""
import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence

from corpora.shared import corpora_dir, read_corpus
from logzip.cluster import MinerConfig, TemplateMiner

DRAIN_AVERAGE = 0.865


def grouping_accuracy(truth: Sequence, predicted: Sequence) -> float:
    """Loghub Grouping Accuracy of ``predicted`` group labels against ``truth`` labels."""
    if len(truth) != len(predicted):
        raise ValueError("truth and prediction differ in length")
    true_groups: Dict[object, List[int]] = defaultdict(list)
    predicted_groups: Dict[object, List[int]] = defaultdict(list)
    for i, (t, p) in enumerate(zip(truth, predicted)):
        true_groups[t].append(i)
        predicted_groups[p].append(i)
    correct = sum(len(lines) for lines in predicted_groups.values()
                  if len({truth[i] for i in lines}) == 1
                  and len(true_groups[truth[lines[0]]]) == len(lines))
    return correct / len(truth) if truth else 1.0


def load_system(corpora: Path, system: str):
    """(contents, event ids) of one Loghub-2k system."""
    root = corpora / "loghub-2k"
    structured = root / f"{system}_2k.log_structured_corrected.csv"
    with open(structured, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    events = [row["EventId"] for row in rows]
    contents = _split_contents(root, system)
    if contents is None or len(contents) != len(events):
        contents = [row["Content"].encode("utf-8") for row in rows]
    return contents, events


def _split_contents(root: Path, system: str):
    """Contents split off by the codec's HeaderFormat, or None while it is not available."""
    try:
        from logzip.codec.header import HeaderFormat
    except ImportError:
        return None
    lines = (root / f"{system}_2k.log").read_bytes().splitlines()
    split = HeaderFormat.parse(_formats(root.parent)[system]).split(lines)
    if split.misfits:
        return None
    return split.contents


def predicted_groups(tids: Sequence[int]) -> List[object]:
    """Group labels from template ids; every unmatched line is a group of its own."""
    return [tid if tid >= 0 else ("unmatched", i) for i, tid in enumerate(tids)]


def speed(corpora: Path, systems: Sequence[str], raw: bool) -> None:
    """Print fit and match throughput on full Loghub logs (lines/s and MB/s of the whole log,
    both for fit and match together)."""
    from logzip.codec.header import HeaderFormat
    from logzip.codec.lines import split_lines

    formats = _formats(corpora)
    print(f"{'log':<8} {'lines':>8} {'distinct':>8} {'templates':>9} {'unmatched':>9} "
          f"{'fit s':>6} {'match s':>7} {'lines/s':>10} {'log MB/s':>8}")
    for system in systems or ("HPC", "Hadoop"):
        data = read_corpus(corpora / "loghub-full" / f"{system}.log.zst")
        lines, _ = split_lines(data)
        contents = lines if raw else HeaderFormat.parse(formats[system]).split(lines).contents
        start = time.process_time()
        tset = TemplateMiner(MinerConfig()).fit(contents)
        fitted = time.process_time()
        matches = tset.match(contents)
        matched = time.process_time()
        total = matched - start
        print(f"{system:<8} {len(contents):8d} {len(set(contents)):8d} {len(tset):9d} "
              f"{len(matches.unmatched):9d} {fitted - start:6.2f} {matched - fitted:7.2f} "
              f"{len(contents) / total:10,.0f} {len(data) / total / 1e6:8.1f}")


def _formats(corpora: Path) -> Dict[str, str]:
    rows = (corpora / "loghub-2k" / "formats.tsv").read_text().splitlines()[1:]
    return dict(row.split("\t", 1) for row in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("systems", nargs="*")
    parser.add_argument("--corpora", type=Path, default=corpora_dir(),
                        help="the shared corpora (default: ../shared/corpora or $LOGZIP_CORPORA)")
    parser.add_argument("--speed", action="store_true", help="time fit and match on full logs")
    parser.add_argument("--raw", action="store_true", help="with --speed: whole lines")
    args = parser.parse_args(argv)
    if args.corpora is None or not (args.corpora / "loghub-2k" / "formats.tsv").is_file():
        print(f"no Loghub corpora under {args.corpora}", file=sys.stderr)
        return 1
    if args.speed:
        speed(args.corpora, args.systems, args.raw)
        return 0
    systems = args.systems or sorted(_formats(args.corpora))
    print(f"{'system':<12} {'GA':>6} {'templates':>9} {'truth':>6} {'unmatched':>9} {'ms':>7}")
    scores = []
    for system in systems:
        contents, events = load_system(args.corpora, system)
        start = time.perf_counter()
        tset = TemplateMiner(MinerConfig()).fit(contents)
        matches = tset.match(contents)
        elapsed = time.perf_counter() - start
        score = grouping_accuracy(events, predicted_groups(matches.tids))
        scores.append(score)
        print(f"{system:<12} {score:6.3f} {len(tset):9d} {len(set(events)):6d} "
              f"{len(matches.unmatched):9d} {elapsed * 1000:7.1f}")
    print(f"{'average':<12} {sum(scores) / len(scores):6.3f}   (Drain, published: {DRAIN_AVERAGE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
