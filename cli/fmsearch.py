"""``fmsearch``: build an FM-index of logs or texts and count, locate or show any string in it.

INDEX is an ``.fmi`` file (``fmsearch build``) or any ``.logz`` archive: one made with
``logzip compress --index`` is answered by its FM-index, any other in its compressed
streams (:mod:`logzip.search`); nothing is decompressed to answer.
"""
import contextlib
import glob
import itertools
import json
import os
import re
import sys
from pathlib import Path

import click

import fmindex
import logzip.search
from logzip.container import MAGIC as LOGZ_MAGIC
from fmindex.corpus import EXISTS, KINDS, SHARD_SIZE
from fmindex.errors import PatternError

from .common import run

EXIT_ERROR = 2  # grep's: 1 means "no match"

HIGHLIGHT = ("\x1b[01;31m", "\x1b[m")
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{0,2}|[\\tnr0]|.?)", re.S)
_SIMPLE = {b"\\": b"\\", b"t": b"\t", b"n": b"\n", b"r": b"\r", b"0": b"\x00"}


def decode_escapes(pattern: bytes) -> bytes:
    r"""Turn \t \n \r \0 \\ and \xNN into bytes; any other escape is an error."""
    def replace(match):
        code = match.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[:1] == b"x" and len(code) == 3:
            return bytes([int(code[1:], 16)])
        if code[:1] == b"x":
            raise PatternError(f"incomplete escape \\{code.decode()} in pattern: \\xNN takes two hex digits")
        if not code:
            raise PatternError("a lone \\ ends the pattern (write \\\\ for a backslash)")
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
    """(shown text, bytes) of every pattern of the arguments and of -f FILE."""
    found = [(p, _encode(p, escapes)) for p in arguments]
    if patterns_file is not None:
        for line in patterns_file.read().split(b"\n"):
            line = line[:-1] if line.endswith(b"\r") else line
            if line:
                found.append((line.decode("utf-8", "backslashreplace"),
                              decode_escapes(line) if escapes else line))
    if not found:
        raise click.UsageError("no pattern given (INDEX PATTERN..., or -e PATTERN / -f FILE with INDEX...)")
    return found


def _inputs_and_patterns(arguments, expressions, patterns_file, escapes):
    """grep's ways: with -e every argument is an index or archive (globs expanded), and with -f
    too when they all name files; otherwise the first argument is the index, the others patterns."""
    arguments = list(arguments)
    all_inputs = patterns_file is not None and len(arguments) > 1 and all(map(_names_files, arguments))
    if expressions or all_inputs:
        inputs, pattern_arguments = arguments, list(expressions)
    else:
        inputs, pattern_arguments = arguments[:1], arguments[1:]
    if not inputs:
        raise click.UsageError("no index or archive given")
    return _expand(inputs), _patterns(pattern_arguments, patterns_file, escapes)


def _names_files(name: str) -> bool:
    return os.path.isfile(name) or (glob.has_magic(name) and bool(glob.glob(name)))


def _expand(inputs):
    """The inputs, each glob that the shell did not expand replaced by its sorted matches."""
    found = []
    for name in inputs:
        if not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name))
            if not matches:
                raise click.UsageError(f"{name}: no file matches")
            found += matches
        elif os.path.isdir(name):
            raise click.UsageError(f"{name}: is a directory (index it with fmsearch build)")
        elif not os.path.exists(name):
            raise click.UsageError(f"{name}: no such file")
        else:
            found.append(name)
    return found


def _open(index: str, scheduler=None):
    """The index or archive; with ``scheduler``, an archive searched on that Dask cluster."""
    if scheduler is None:
        return logzip.search.open(index)
    from logzip.dask import ClusterArchive

    return ClusterArchive(index, scheduler)


def _out(data: bytes) -> None:
    """Bytes to standard output as they are, buffered (click.echo flushes every call)."""
    sys.stdout.buffer.write(data)   # click.echo flushes what it writes, so order holds


def _out_line(text: str) -> None:
    _out(text.encode("utf-8", "surrogateescape") + b"\n")


def _highlight(color: str) -> bool:
    if color == "auto":
        return sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return color == "always"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="logzip-toolkit", prog_name="fmsearch")
def fmsearch():
    """Count, locate and show byte strings in logs and texts, from an index or an archive.

    Patterns are literal byte strings (no regular expressions); counts include overlapping
    occurrences. Exit status: 0 when something matched, 1 when nothing did, 2 on error.
    """


_COMPRESSED = {LOGZ_MAGIC: "a .logz archive: fmsearch searches it as it is, no index needed",
               b"\x1f\x8b": "gzip-compressed: decompress it first",
               b"\x28\xb5\x2f\xfd": "zstd-compressed: decompress it first"}


def _refuse_compressed(source: str) -> None:
    if os.path.isfile(source):
        with open(source, "rb") as stream:
            magic = stream.read(4)
        for prefix, why in _COMPRESSED.items():
            if magic.startswith(prefix):
                raise click.UsageError(f"{source} is {why}")


@fmsearch.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="NAME.fmi to write")
@click.option("-f", "--force", is_flag=True, help="overwrite an existing output")
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
def build(source, output, force, kind, text_field, shard_size, sa_rate, line_anchors, isa_rate):
    """Index a log FILE, a DIRectory of files or a JSONL file into NAME.fmi."""
    _refuse_compressed(source)
    try:
        with _build_progress(source) as progress:
            fmindex.build(source, output, kind=kind, text_field=text_field, shard_size=shard_size, overwrite=force,
                          progress=progress, sa_rate=sa_rate, line_anchors=line_anchors, isa_rate=isa_rate)
    except fmindex.OutputExistsError as error:
        if error.strerror != EXISTS:
            raise
        raise fmindex.OutputExistsError(error.errno, f"{EXISTS} (-f replaces it)", error.filename) from None


PROGRESS_THRESHOLD = 16 << 20


@contextlib.contextmanager
def _build_progress(source: str):
    """A progress bar of the text indexed (shard by shard) when a person watches a long build."""
    path = Path(source)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    if size < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
        yield lambda done: bar.update(min(done, size) - bar.pos)


MAX_CASE_LETTERS = 10


def _options(*options):
    """A decorator that applies ``options`` in the order given (as they show in --help)."""
    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command
    return apply


_pattern_options = _options(  # what count, locate and show share, grep's way
    click.argument("arguments", nargs=-1, metavar="INDEX [PATTERN...] | -e PATTERN INDEX..."),
    click.option("-e", "--regexp", "expressions", multiple=True, metavar="PATTERN",
                 help="a pattern (repeatable; a literal string, not a regex)"),
    click.option("-f", "--patterns", "patterns_file", type=click.File("rb"),
                 help="patterns from FILE, one a line"),
    click.option("--escapes", is_flag=True, help=r"decode \t \n \r \0 \\ \xNN in patterns"),
    click.option("-i", "--ignore-case", is_flag=True,
                 help=f"ASCII letters in either case (every variant is searched: {MAX_CASE_LETTERS} letters at most)"),
    click.option("-w", "--word-regexp", "word", is_flag=True,
                 help="only matches not inside a word (letters, digits, _)"))


_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _case_variants(raw: bytes) -> list:
    """Every spelling of ``raw`` with its ASCII letters in either case."""
    letters = [i for i, byte in enumerate(raw) if bytes([byte]).isalpha() and byte < 128]
    if len(letters) > MAX_CASE_LETTERS:
        raise click.UsageError(f"-i: the pattern has {len(letters)} letters, at most {MAX_CASE_LETTERS} "
                               "(each spelling is searched)")
    variants = []
    for mask in range(1 << len(letters)):
        spelling = bytearray(raw.lower())
        for bit, at in enumerate(letters):
            if mask >> bit & 1:
                spelling[at:at + 1] = spelling[at:at + 1].upper()
        variants.append(bytes(spelling))
    return variants


def _pattern_counts(corpus, raws, ignore_case: bool, word: bool) -> list:
    """The count of each pattern, with -i (the sum over its spellings) and -w (located, filtered)."""
    if word:
        return [sum(1 for _ in _pattern_hits(corpus, raw, None, False, ignore_case, word)) for raw in raws]
    if ignore_case:
        return [sum(corpus.counts(_case_variants(raw))) for raw in raws]
    return corpus.counts(raws)


def _pattern_hits(corpus, raw: bytes, limit, any_n: bool, ignore_case: bool, word: bool):
    """The occurrences of ``raw``: :func:`_hits`, with -i (every spelling, merged by offset) and
    -w (only those with no word byte just before or just after)."""
    if not ignore_case and not word:
        return _hits(corpus, raw, limit, any_n)
    hits = []
    for spelling in (_case_variants(raw) if ignore_case else [raw]):
        hits += corpus.hits(spelling, None if word else limit, True)
    hits.sort(key=lambda hit: hit.offset)
    if word:
        hits = [hit for hit in hits if _stands_alone(corpus, hit.offset, len(raw))]
    return hits if limit is None else hits[:limit]


def _stands_alone(corpus, offset: int, length: int) -> bool:
    around = corpus.extract(offset - 1, offset)[:1], corpus.extract(offset + length, offset + length + 1)[:1]
    return not any(side and side[0] in _WORD_BYTES for side in around)


_scheduler_option = click.option("--scheduler", metavar="ADDRESS",
                                 help="search .logz archives on a Dask cluster (tcp://HOST:8786), block by block")

def _all_counts(inputs, raws, ignore_case: bool, word: bool, scheduler):
    """``(input, counts)`` for every input, counted here or on the Dask cluster at ``scheduler``
    (all archives in one fan-out, but with -w, which filters located hits)."""
    if scheduler is None or word:
        for name in inputs:
            with _open(name, scheduler) as corpus:
                yield name, _pattern_counts(corpus, raws, ignore_case, word)
        return
    from logzip.dask import count as count_on_cluster

    spellings = [_case_variants(raw) if ignore_case else [raw] for raw in raws]
    counted = count_on_cluster([s for group in spellings for s in group], inputs, client=scheduler)
    for name, numbers in zip(inputs, counted):
        numbers = iter(numbers)
        yield name, [sum(itertools.islice(numbers, len(group))) for group in spellings]


@fmsearch.command()
@_pattern_options
@click.option("--json", "as_json", is_flag=True, help='one {"pattern": ..., "count": ...} a line')
@_scheduler_option
def count(arguments, expressions, patterns_file, escapes, ignore_case, word, as_json, scheduler):
    """Count the occurrences of each PATTERN (overlapping ones included) in each INDEX."""
    inputs, patterns = _inputs_and_patterns(arguments, expressions, patterns_file, escapes)
    total = 0
    for name, numbers in _all_counts(inputs, [raw for _, raw in patterns], ignore_case, word, scheduler):
        prefix = f"{name}:" if len(inputs) > 1 else ""
        for (shown, _), number in zip(patterns, numbers):
            total += number
            if as_json:
                record = {"pattern": shown, "count": number}
                if len(inputs) > 1:
                    record["file"] = name
                click.echo(json.dumps(record, ensure_ascii=False))
            elif len(patterns) == 1:
                click.echo(f"{prefix}{number}")
            else:
                click.echo(f"{prefix}{number}\t{shown}")
    return 0 if total else 1


_limits = _options(
    _scheduler_option,
    click.option("--limit", type=click.IntRange(0), help="at most N occurrences of each pattern, the first by offset"),
    click.option("--any", "any_n", is_flag=True, help="with --limit: any N (faster on the FM-index tier)"),
    click.option("--first", is_flag=True, hidden=True),   # the default now; kept for scripts
)


def _hits(corpus, raw: bytes, limit, any_n: bool):
    """The occurrences of ``raw``, in offset order unless ``any_n``; streamed when unlimited."""
    if limit is None:
        return corpus.iter_hits(raw)
    return corpus.hits(raw, limit, not any_n)


@fmsearch.command()
@_pattern_options
@_limits
@click.option("--json", "as_json", is_flag=True, help="one JSON object an occurrence")
def locate(arguments, expressions, patterns_file, escapes, ignore_case, word, scheduler, limit, any_n, first,
           as_json):
    """Print offset, document, offset in document and line of each occurrence."""
    inputs, patterns = _inputs_and_patterns(arguments, expressions, patterns_file, escapes)
    found = False
    for name in inputs:
        with _open(name, scheduler) as corpus:
            for shown, raw in patterns:
                for hit in _pattern_hits(corpus, raw, limit, any_n, ignore_case, word):
                    found = True
                    doc_name = corpus.doc_name(hit.doc)
                    if as_json:
                        record = {"offset": hit.offset, "doc": hit.doc, "doc_offset": hit.doc_offset,
                                  "line": hit.line}
                        if doc_name:
                            record["name"] = doc_name
                        if len(inputs) > 1:
                            record["file"] = name
                        if len(patterns) > 1:
                            record["pattern"] = shown
                        _out_line(json.dumps(record, ensure_ascii=False))
                    else:
                        fields = ([name] if len(inputs) > 1 else []) + [hit.offset, hit.doc, hit.doc_offset, hit.line]
                        fields += ([doc_name] if doc_name else []) + ([shown] if len(patterns) > 1 else [])
                        _out_line("\t".join(map(str, fields)))
    return 0 if found else 1


MAX_CONTEXT = 1 << 30


@fmsearch.command()
@_pattern_options
@_limits
@click.option("-A", "--after-context", "after", default=0, type=click.IntRange(0, MAX_CONTEXT), help="lines after")
@click.option("-B", "--before-context", "before", default=0, type=click.IntRange(0, MAX_CONTEXT), help="lines before")
@click.option("-C", "--context", default=None, type=click.IntRange(0, MAX_CONTEXT), help="lines before and after")
@click.option("-m", "--max-count", type=click.IntRange(0), help="stop after N matching lines")
@click.option("-c", "--count", "count_lines", is_flag=True, help="print the number of matching lines")
@click.option("-l", "--files-with-matches", "list_files", is_flag=True, help="print the inputs with a match")
@click.option("--width", default=0, type=click.IntRange(0),
              help="show longer lines as a window of this many bytes around the match (default: whole lines)")
@click.option("--color", "--colour", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="highlight the matches (auto: on a terminal, unless NO_COLOR is set)")
def show(arguments, expressions, patterns_file, escapes, ignore_case, word, scheduler, limit, any_n, first, after,
         before, context, max_count, count_lines, list_files, width, color):
    """Print the lines holding a PATTERN, as grep does, from the index or archive itself."""
    inputs, patterns = _inputs_and_patterns(arguments, expressions, patterns_file, escapes)
    if context is not None:
        after = before = context
    highlight = _highlight(color)
    found = False
    for name in inputs:
        with _open(name, scheduler) as corpus:
            matched = _matched_lines(corpus, patterns, limit, any_n, max_count, ignore_case, word)
            found |= bool(matched)
            prefix = name.encode("utf-8", "surrogateescape") + b":" if len(inputs) > 1 else b""
            if list_files:
                if matched:
                    _out(name.encode("utf-8", "surrogateescape") + b"\n")
            elif count_lines:
                _out(prefix + str(len(matched)).encode() + b"\n")
            else:
                _print_lines(corpus, matched, before, after, prefix, width, highlight)
    return 0 if found else 1


SHOW_CHUNK = 4096   # lines fetched and written at once


def _print_lines(corpus, matched: dict, before: int, after: int, prefix: bytes, width: int, highlight: bool):
    previous, wanted = None, _with_context(sorted(matched), before, after, corpus.n_lines)
    while True:
        chunk = list(itertools.islice(wanted, SHOW_CHUNK))
        if not chunk:
            return
        texts = corpus.lines(chunk)
        out = []
        for line, text in zip(chunk, texts):
            if (before or after) and previous is not None and line != previous + 1:
                out.append(b"--\n")
            previous = line
            out.append(prefix + _format_line(corpus, line, text, matched.get(line, ()), width, highlight))
        _out(b"".join(out))


def _matched_lines(corpus, patterns, limit, any_n, max_count, ignore_case, word) -> dict:
    """Line -> [(offset, length)] of the matches in it, for every pattern."""
    matched = {}
    for _, raw in patterns:
        hits = list(_pattern_hits(corpus, raw, limit, any_n, ignore_case, word))
        lines = corpus.lines_of([h.offset for h in hits])
        for hit, line in zip(hits, lines.tolist()):
            matched.setdefault(line, []).append((hit.offset, len(raw)))
    if max_count is not None:
        matched = {line: matched[line] for line in sorted(matched)[:max_count]}
    return matched


def _with_context(lines, before: int, after: int, n_lines: int):
    """The lines and their context, in order, each once (merged intervals, not a set)."""
    start = end = None
    for line in lines:
        low, high = max(0, line - before), min(n_lines - 1, line + after)
        if end is not None and low <= end + 1:
            end = max(end, high)
            continue
        if end is not None:
            yield from range(start, end + 1)
        start, end = low, high
    if end is not None:
        yield from range(start, end + 1)


def _format_line(corpus, line: int, text: bytes, matches, width: int, highlight: bool) -> bytes:
    """``[name:]number:text`` (``-`` for context), the text as it is, CR included."""
    start = corpus.line_start(line) if matches or corpus.kind != "lines" else 0
    prefix = b""
    if corpus.kind == "lines":
        number = line + 1
    else:
        doc = int(corpus.doc_starts.searchsorted(start, side="right")) - 1
        number = line - int(corpus.lines_of([corpus.doc_starts[doc]])[0]) + 1
        name = corpus.doc_name(doc) if corpus.kind == "files" else str(doc)
        prefix = name.encode("utf-8", "surrogateescape") + b":"
    text = text[:-1] if text.endswith(b"\n") else text
    lo, hi = 0, len(text)
    if width and hi > width:
        anchor = matches[0][0] - start if matches else 0
        lo = max(0, anchor - width // 2)
        hi = min(len(text), lo + width)
    shown = text[lo:hi]
    if highlight:
        for offset, length in sorted(matches, reverse=True):
            a, b = offset - start - lo, min(offset - start - lo + length, len(shown))
            if 0 <= a < len(shown):
                shown = shown[:a] + HIGHLIGHT[0].encode() + shown[a:b] + HIGHLIGHT[1].encode() + shown[b:]
    ellipses = (b"..." if lo > 0 else b"", b"..." if hi < len(text) else b"")
    separator = b":" if matches else b"-"
    return prefix + str(number).encode() + separator + ellipses[0] + shown + ellipses[1] + b"\n"


@fmsearch.command()
@click.argument("index", type=click.Path(exists=True, dir_okay=False))
@click.option("--verify", is_flag=True, help="also check every table checksum (reads the whole index)")
def info(index, verify):
    """Describe an index or archive: its search tier, text, shards or blocks, sizes."""
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
    run(fmsearch, "fmsearch", error_code=EXIT_ERROR)


if __name__ == "__main__":
    main()
