"""``fmsearch``: build an FM-index of logs or texts and count, locate or show any string in it.

INDEX is an ``.fmi`` file (``fmsearch build``) or any ``.logz`` archive: one made with
``logzip compress --index`` is answered by its FM-index, any other in its compressed
streams (:mod:`logzip.search`); nothing is decompressed to answer.
"""
import json
import re
import sys

import click

import fmindex
import logzip.search
from fmindex.corpus import KINDS, SHARD_SIZE
from fmindex.errors import PatternError

from .common import run

HIGHLIGHT = ("\x1b[01;31m", "\x1b[m")
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|[\\tnr0]|.?)", re.S)
_SIMPLE = {b"\\": b"\\", b"t": b"\t", b"n": b"\n", b"r": b"\r", b"0": b"\x00"}


def decode_escapes(pattern: bytes) -> bytes:
    r"""Turn \t \n \r \0 \\ and \xNN into bytes; any other escape is an error."""
    def replace(match):
        code = match.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[:1] == b"x" and len(code) == 3:
            return bytes([int(code[1:], 16)])
        raise PatternError(f"unknown escape \\{code.decode('utf-8', 'replace')} in pattern "
                           "(known: \\t \\n \\r \\0 \\\\ \\xNN)")
    return _ESCAPE.sub(replace, pattern)


def _encode(pattern: str, escapes: bool) -> bytes:
    try:
        raw = pattern.encode("utf-8")
    except UnicodeEncodeError:
        raise PatternError("pattern is not valid UTF-8 (write raw bytes as \\xNN with --escapes)") from None
    return decode_escapes(raw) if escapes else raw


def _patterns(arguments, patterns_file, escapes: bool):
    """(shown text, bytes) of every pattern of the arguments and of --patterns FILE."""
    found = [(p, _encode(p, escapes)) for p in arguments]
    if patterns_file is not None:
        for line in patterns_file.read().split(b"\n"):
            line = line[:-1] if line.endswith(b"\r") else line
            if line:
                found.append((line.decode("utf-8", "backslashreplace"),
                              decode_escapes(line) if escapes else line))
    if not found:
        raise click.UsageError("no pattern given (PATTERN... or --patterns FILE)")
    return found


def _open(index: str):
    return logzip.search.open(index)


def _counts(corpus, patterns):
    """Every pattern's count; an archive searched in its streams reads each block once for all."""
    if isinstance(corpus, logzip.search.StreamArchive):
        return corpus.counts(patterns)
    return [corpus.count(p) for p in patterns]


def _out(data: bytes) -> None:
    click.echo(data, nl=False)  # bytes go to the binary stream as they are


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="logzip-toolkit", prog_name="fmsearch")
def fmsearch():
    """Count, locate and show strings in logs and texts through an FM-index."""


@fmsearch.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="NAME.fmi to write")
@click.option("--kind", type=click.Choice(KINDS), help="documents: lines of a log, files of a folder, "
              "records of JSONL (default: from SOURCE)")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text")
@click.option("--shard-size", default=SHARD_SIZE, show_default=True, type=click.IntRange(1 << 10, 2**31 - 1),
              help="bytes of text per independently built shard")
@click.option("--sa-rate", type=click.IntRange(1),
              help="suffix array sample rate, locate speed against size (default: the smallest index "
                   f"locating in {fmindex.index.LOCATE_STEPS} steps on average)")
@click.option("--line-anchors/--no-line-anchors", default=None,
              help="let locate stop at line starts (default: when it makes the index smaller)")
@click.option("--isa-rate", default=fmindex.index.ISA_RATE, show_default=True, type=click.IntRange(1),
              help="inverse suffix array sample rate (extract speed against size)")
def build(source, output, kind, text_field, shard_size, sa_rate, line_anchors, isa_rate):
    """Index a log FILE, a DIRectory of files or a JSONL file into NAME.fmi."""
    fmindex.build(source, output, kind=kind, text_field=text_field, shard_size=shard_size,
                  sa_rate=sa_rate, line_anchors=line_anchors, isa_rate=isa_rate)


@fmsearch.command()
@click.argument("index", type=click.Path(exists=True, dir_okay=False))
@click.argument("pattern", nargs=-1)
@click.option("--patterns", "patterns_file", type=click.File("rb"), help="more patterns, one a line")
@click.option("--json", "as_json", is_flag=True, help='one {"pattern": ..., "count": ...} a line')
@click.option("--escapes", is_flag=True, help=r"decode \t \n \r \0 \\ \xNN in patterns")
def count(index, pattern, patterns_file, as_json, escapes):
    """Count the occurrences of each PATTERN (overlapping ones included)."""
    patterns = _patterns(pattern, patterns_file, escapes)
    with _open(index) as corpus:
        for (shown, raw), number in zip(patterns, _counts(corpus, [raw for _, raw in patterns])):
            if as_json:
                click.echo(json.dumps({"pattern": shown, "count": number}, ensure_ascii=False))
            elif len(patterns) == 1:
                click.echo(number)
            else:
                click.echo(f"{number}\t{shown}")


first_option = click.option("--first", is_flag=True, help="with --limit: the first N by offset, not any N "
                            "(slower: locates every occurrence of the shards it reads)")


@fmsearch.command()
@click.argument("index", type=click.Path(exists=True, dir_okay=False))
@click.argument("pattern")
@click.option("--limit", type=click.IntRange(0), help="report at most N occurrences")
@first_option
@click.option("--escapes", is_flag=True, help=r"decode \t \n \r \0 \\ \xNN in the pattern")
@click.option("--json", "as_json", is_flag=True, help="one JSON object an occurrence")
def locate(index, pattern, limit, first, escapes, as_json):
    """Print offset, document, offset in document and line of each occurrence."""
    raw = _encode(pattern, escapes)
    with _open(index) as corpus:
        for hit in corpus.hits(raw, limit, first):
            name = corpus.doc_name(hit.doc)
            if as_json:
                record = {"offset": hit.offset, "doc": hit.doc, "doc_offset": hit.doc_offset, "line": hit.line}
                if name:
                    record["name"] = name
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                click.echo("\t".join(map(str, (hit.offset, hit.doc, hit.doc_offset, hit.line)))
                           + (f"\t{name}" if name else ""))


@fmsearch.command()
@click.argument("index", type=click.Path(exists=True, dir_okay=False))
@click.argument("pattern")
@click.option("-C", "--context", default=0, type=click.IntRange(0), help="lines of context around each line")
@click.option("--limit", type=click.IntRange(0), help="show at most N occurrences")
@first_option
@click.option("--width", default=400, show_default=True, type=click.IntRange(0),
              help="longer lines are shown as a window of this many bytes around the match (0: whole)")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--escapes", is_flag=True, help=r"decode \t \n \r \0 \\ \xNN in the pattern")
def show(index, pattern, context, limit, first, width, color, escapes):
    """Print every line holding PATTERN, grep-like, extracted from the index itself."""
    raw = _encode(pattern, escapes)
    highlight = color == "always" or (color == "auto" and sys.stdout.isatty())
    with _open(index) as corpus:
        hits = corpus.hits(raw, limit, first)
        lines = corpus.lines_of([h.offset for h in hits])
        wanted = sorted({k + d for k in lines for d in range(-context, context + 1)
                         if 0 <= k + d < corpus.n_lines})
        matched = {}
        for hit, line in zip(hits, lines):
            matched.setdefault(int(line), []).append(hit)
        previous = None
        for line in wanted:
            if context and previous is not None and line != previous + 1:
                _out(b"--\n")
            previous = line
            _out(_format_line(corpus, line, matched.get(line, ()), len(raw), width, highlight))


def _format_line(corpus, line: int, hits, pattern_len: int, width: int, highlight: bool) -> bytes:
    start = corpus.line_start(line)
    end = corpus.line_start(line + 1)
    text_end = end
    prefix = b""
    if corpus.kind == "lines":
        number = line + 1
    else:
        doc = int(corpus.doc_starts.searchsorted(start, side="right")) - 1
        number = line - int(corpus.lines_of([corpus.doc_starts[doc]])[0]) + 1
        name = corpus.doc_name(doc) if corpus.kind == "files" else str(doc)
        prefix = name.encode("utf-8", "surrogateescape") + b":"
    separator = b":" if hits else b"-"
    lo, hi = start, text_end
    if width and hi - lo > width:
        anchor = hits[0].offset if hits else lo
        lo = max(start, anchor - width // 2)
        hi = min(text_end, lo + width)
    text = corpus.extract(lo, hi).rstrip(b"\n").rstrip(b"\r")
    if highlight:
        for hit in sorted(hits, key=lambda h: -h.offset):
            a, b = hit.offset - lo, min(hit.offset - lo + pattern_len, len(text))
            if 0 <= a < len(text):
                text = text[:a] + HIGHLIGHT[0].encode() + text[a:b] + HIGHLIGHT[1].encode() + text[b:]
    ellipsis_before = b"..." if lo > start else b""
    ellipsis_after = b"..." if hi < text_end and corpus.extract(hi, text_end).strip(b"\r\n") else b""
    return prefix + str(number).encode() + separator + ellipsis_before + text + ellipsis_after + b"\n"


@fmsearch.command()
@click.argument("index", type=click.Path(exists=True, dir_okay=False))
@click.option("--verify", is_flag=True, help="also check every table checksum (reads the whole index)")
def info(index, verify):
    """Describe an index: corpus, shards, sizes, parameters."""
    with _open(index) as corpus:
        if verify:
            corpus.verify()
        size, text = corpus.nbytes, len(corpus)
        click.echo(f"source:        {index}")
        click.echo(f"tier:          {getattr(corpus, 'tier', 'full-text FM-index (.fmi)')}")
        click.echo(f"documents:     {corpus.n_docs} ({corpus.kind})")
        click.echo(f"text:          {text} bytes, {corpus.n_lines} lines")
        if isinstance(corpus, logzip.search.StreamArchive):
            click.echo(f"blocks:        {len(corpus.blocks)}")
            if verify:
                click.echo("checksums:     ok (every block decoded and checked)")
            return
        click.echo(f"shards:        {len(corpus.shards)}")
        click.echo(f"index:         {size} bytes ({size / text if text else 0:.4f} of the text)")
        if corpus.shards:
            params = corpus.shards[0].index.params
            anchors = ", line anchors" if len(corpus.shards[0].index.tables["feeds"]) else ""
            click.echo(f"sampling:      SA every {params['sa_rate']} rows{anchors}, ISA every "
                       f"{params['isa_rate']} bytes, rank directory every {params['sample_words']} words")
            totals = {}
            for shard in corpus.shards:
                for key, value in shard.index.stats().items():
                    totals[key] = totals.get(key, 0) + value
            click.echo("tables:        " + ", ".join(f"{k} {v}" for k, v in totals.items()))
        if verify:
            click.echo("checksums:     ok")


def main():
    run(fmsearch, "fmsearch")


if __name__ == "__main__":
    main()
