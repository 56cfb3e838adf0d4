"""``logzip``: compress, decompress and inspect log archives, with gzip's habits."""
import contextlib
import csv
import io
import os
import re
import select
import sys
import time
import zlib

import click

import logzip
from logzip.atomic import atomic_output
from logzip.errors import LogzipError
from logzip.container import iter_members
from logzip.file import archive_crc, iter_decompressed
from logzip.inputs import archive_name, decompressed
from logzip.pipeline import DEFAULT_BLOCK_SIZE, DEFAULT_LEVEL, CompressionParameters, read_chunks

from .common import EXIT_INTERRUPTED, interrupt_quietly, run

SUFFIX = ".logz"
STDIO = "-"
PROGRESS_THRESHOLD = 16 << 20


def _parse_size(text: str) -> int:
    """``32M``, ``512K``, ``1G`` or a number of bytes; anything else (``inf``, ``1e400``) is a usage error."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    number, unit = text.rstrip("KMGkmgBb"), text[len(text.rstrip("KMGkmgBb")):].upper().rstrip("B")
    try:
        return int(float(number) * units[unit])
    except (ValueError, KeyError, OverflowError):
        raise click.BadParameter(f"{text!r} is not a size such as 32M", param_hint="'--block-size'") from None


@contextlib.contextmanager
def _input(path: str):
    if path == STDIO:
        yield sys.stdin.buffer
    else:
        with open(path, "rb") as stream:
            yield stream


@contextlib.contextmanager
def _progress(path: str, stream, quiet: bool = False, done=None):
    """Yield a callable that shows how much of ``stream`` is done (``done()``, by default how
    far it has been read), on a progress bar when a person watches a long job (else it does
    nothing)."""
    size = os.fstat(stream.fileno()).st_size if path != STDIO else 0
    if quiet or size < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda: None
        return
    done = done or stream.tell
    with click.progressbar(length=size, label=os.path.basename(path), file=sys.stderr) as bar:
        yield lambda: bar.update(min(done(), size) - bar.pos)


def _check_outputs(files, output, to_stdout: bool) -> None:
    if output is not None and to_stdout and output != STDIO:
        raise click.UsageError(f"-c writes to standard output and -o to {output}: give one of them")
    if output is not None and len(files) > 1:
        raise click.UsageError("-o takes a single input file")


def _output_path(source: str, output: str, to_stdout: bool, suffix_change) -> str:
    if to_stdout or (output == STDIO):
        return STDIO
    if output is not None:
        return output
    if source == STDIO:
        return STDIO
    return suffix_change(source)


@contextlib.contextmanager
def _output(path: str, force: bool, source: str, binary_to_tty_ok: bool):
    if path == STDIO:
        if not binary_to_tty_ok and sys.stdout.isatty():
            raise LogzipError("compressed data not written to a terminal; use -o FILE or redirect")
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    _check_not_input(path, source)
    with atomic_output(path, force, copy_stat_from=source if source != STDIO else None) as stream:
        yield stream


def _check_not_input(path: str, source: str) -> None:
    if source != STDIO and os.path.exists(path) and os.path.samefile(source, path):
        raise LogzipError(f"{path}: output would overwrite the input")


def _each_file(files, action) -> None:
    """Run ``action`` on every file; report failures one line each and exit non-zero at the end."""
    failed = False
    for path in files:
        try:
            action(path)
        except BrokenPipeError:
            raise  # the reader went away: run() ends quietly
        except (LogzipError, OSError, ValueError) as error:
            if isinstance(error, OSError) and error.filename is not None:
                message = f"{error.filename}: {error.strerror or error}"
            else:
                message = f"{'stdin' if path == STDIO else path}: {error}"
            click.echo(f"logzip: {message}", err=True)
            failed = True
    if failed:
        sys.exit(1)


_MODES = {"-d": "decompress", "--decompress": "decompress", "--uncompress": "decompress",
          "-t": "test", "--test": "test", "-l": "list", "--list": "list"}
_SHORT_FLAGS = re.compile(r"-[cdfkqvtl]{2,}")  # -dc, -kv ... as gzip takes them
_LEVEL_FLAG = re.compile(r"-([1-9]|1[0-9])")
_GROUP_OPTIONS = ("-h", "--help", "--version")


def gzip_style(args: list, commands) -> list:
    """Rewrite gzip's command lines into subcommands: ``logzip FILE`` compresses,
    ``-d``/``-t``/``-l`` pick decompress/test/list, ``-1``..``-19``/``--fast``/``--best`` set the level."""
    if not args or args[0] in _GROUP_OPTIONS:
        return args
    if args[0] in commands:
        command, rest = args[0], args[1:]
    else:
        command, rest = "compress", []
        for arg in args:
            for flag in _split_flags(arg):
                if flag in _MODES:
                    command = _MODES[flag]
                else:
                    rest.append(flag)
    return [command, *(_level_flags(rest) if command == "compress" else rest)]


def _split_flags(arg: str) -> list:
    return ["-" + letter for letter in arg[1:]] if _SHORT_FLAGS.fullmatch(arg) else [arg]


def _level_flags(args: list) -> list:
    """``-N``, ``--fast`` and ``--best`` as ``--level N`` (arguments after ``--`` are files)."""
    rewritten = []
    for number, arg in enumerate(args):
        if arg == "--":
            return rewritten + args[number:]
        match = _LEVEL_FLAG.fullmatch(arg)
        if match or arg in ("--fast", "--best"):
            rewritten += ["--level", match.group(1) if match else {"--fast": "1", "--best": "19"}[arg]]
        else:
            rewritten.append(arg)
    return rewritten


class _GzipStyleGroup(click.Group):
    def parse_args(self, ctx, args):
        return super().parse_args(ctx, gzip_style(list(args), self.commands))


@click.group(cls=_GzipStyleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(logzip.__version__, prog_name="logzip")
def cli():
    """Lossless log compression that learns the templates of the lines.

    As with gzip, `logzip FILE...` compresses, `logzip -d FILE.logz` decompresses,
    `-t` tests and `-l` lists archives."""


def _files_and_outputs(command):
    """FILES and the output options that compress and decompress share, gzip's way."""
    for option in reversed([
            click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True)),
            click.option("-o", "--output", help="Write to OUTPUT (one input only)."),
            click.option("-c", "--stdout", "to_stdout", is_flag=True, help="Write to standard output."),
            click.option("-f", "--force", is_flag=True, help="Overwrite existing output files."),
            click.option("-k", "--keep", is_flag=True, expose_value=False,
                         help="Keep the inputs (the default; accepted for gzip's and zstd's users)."),
            click.option("--rm", "remove", is_flag=True, help="Remove each input once its output is verified."),
            click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
            click.option("-v", "--verbose", is_flag=True, help="A summary line per file on stderr.")]):
        command = option(command)
    return command


@cli.command()
@_files_and_outputs
@click.option("-l", "--level", type=click.IntRange(1, 22), default=DEFAULT_LEVEL, show_default=True,
              help="zstd level of the streams.")
@click.option("-T", "--threads", type=click.IntRange(0, 256), default=1, show_default=True,
              help="Compress blocks on N processes (0: one per core).")
@click.option("--format", "log_format", metavar="FMT",
              help="Loghub header format, e.g. '<Date> <Time> <Level> <Component>: <Content>'.")
@click.option("--block-size", default=f"{DEFAULT_BLOCK_SIZE >> 20}M", show_default=True,
              help="Input bytes per independently decodable block.")
@click.option("--index", is_flag=True, help="Store an FM-index with each block, for fmsearch.")
@click.option("--append", is_flag=True,
              help="Add to the end of the existing archive (a new member; nothing is rewritten).")
@click.option("--flush-interval", type=click.FloatRange(0.01, None), metavar="SECONDS",
              help="For pipes (tail -f app.log | logzip compress --flush-interval 10 -o app.logz): "
                   "write every complete line within SECONDS; the archive is written in place.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Compress the blocks on a Dask cluster (tcp://HOST:8786); the archives are the same.")
def compress(files, output, to_stdout, force, remove, quiet, verbose, level, threads, log_format,
             block_size, index, append, flush_interval, scheduler):
    """Compress FILES (or standard input) into FILE.logz, keeping the inputs.

    A gzip, zstd, xz or bzip2 input (by its magic bytes) is read decompressed:
    app.log.1.gz becomes app.log.1.logz."""
    files = files or (STDIO,)
    _check_outputs(files, output, to_stdout)
    params = CompressionParameters(level=level, format=log_format, threads=threads or os.cpu_count() or 1,
                                   block_size=_parse_size(block_size), index=index)
    if scheduler is not None:
        if to_stdout or remove or append or flush_interval is not None or output == STDIO or STDIO in files:
            raise click.UsageError("--scheduler compresses FILES into archives "
                                   "(no -c, --rm, --append, --flush-interval or standard input)")
        from logzip.dask import compress as compress_on_cluster

        compress_on_cluster(files, client=scheduler, params=params, force=force,
                            outputs=[output] if output is not None else None)
        return
    in_place = append or flush_interval is not None

    def compress_one(source):
        if source != STDIO and source.endswith(SUFFIX) and output is None and not to_stdout:
            raise LogzipError(f"already has the {SUFFIX} suffix; unchanged")
        started, crc, total_in = time.monotonic(), 0, 0
        with _input(source) as raw, _log_reader(raw, flush_interval) as stream:
            target = _output_path(source, output, to_stdout,
                                  lambda path: archive_name(path, SUFFIX, getattr(stream, "compression", None)))
            if append and target == STDIO:
                raise click.UsageError("--append needs an archive file (-o FILE)")
            with _archive_output(target, force, source, params, in_place, append) as (archive, written):
                if archive.repaired:
                    click.echo(f"logzip: {target}: repaired {archive.repaired}", err=True)
                done = raw.tell if stream is not raw else lambda: archive.bytes_done
                with _progress(source, raw, quiet, done) as advance:
                    with archive:
                        for chunk in _chunks(stream, flush_interval):
                            if chunk is None:
                                archive.flush(whole_lines=True)
                                continue
                            archive.write(chunk)
                            crc = zlib.crc32(chunk, crc)
                            total_in += len(chunk)
                            advance()
                    advance()   # the last blocks are written as the archive closes
        if verbose:
            _summary(source, total_in, written(), time.monotonic() - started)
        if remove:
            _remove_verified(source, target, lambda: archive_crc(target, archive.member_offset) == crc)

    _each_file(files, compress_one)


@contextlib.contextmanager
def _log_reader(raw, flush_interval):
    """The log in ``raw``, decompressed if it is compressed; as it comes (a pipe) with
    --flush-interval, which reads the descriptor itself."""
    stream = raw if flush_interval is not None else decompressed(raw)
    try:
        yield stream
    finally:
        if stream is not raw:
            stream.close()


def _chunks(stream, flush_interval):
    """The chunks of ``stream``; with ``flush_interval``, as they arrive, and None each time
    that many seconds have passed (time to flush)."""
    if flush_interval is None:
        yield from read_chunks(stream)
        return
    descriptor, deadline = stream.fileno(), time.monotonic() + flush_interval
    while True:
        ready, _, _ = select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                return
            yield chunk
        if time.monotonic() >= deadline:
            yield None
            deadline = time.monotonic() + flush_interval


@contextlib.contextmanager
def _archive_output(target, force, source, params, in_place, append):
    """Yield the LogzipFile writing ``target`` and a function giving the bytes it wrote.

    In place (--append, --flush-interval) the archive is written where readers see it
    grow; otherwise through a temporary file renamed at the end, as every output."""
    if not in_place or target == STDIO:
        with _output(target, force, source, False) as sink:
            counted = _CountingWriter(sink)
            yield logzip.LogzipFile(None, "wb", fileobj=counted, params=params), lambda: counted.written
        return
    _check_not_input(target, source)
    if not (append or force) and os.path.lexists(target):
        raise LogzipError(f"{target} already exists; use -f to overwrite it or --append")
    archive = logzip.LogzipFile(target, "ab" if append else "wb", params=params)
    yield archive, lambda: os.path.getsize(target) - archive.member_offset


class _CountingWriter:
    """A write-only stream that counts what passes through, for -v."""

    def __init__(self, sink):
        self._sink, self.written = sink, 0
        self.name = getattr(sink, "name", None)

    def write(self, data) -> int:
        self.written += len(data)
        return self._sink.write(data)

    def flush(self) -> None:
        self._sink.flush()


def _summary(source: str, raw: int, packed: int, seconds: float, unpacking: bool = False) -> None:
    """``app.log: 41.2x, 33.6 MB -> 0.81 MB, 15.3 MB/s`` (speed in original bytes), as zstd -v says it."""
    ratio = raw / packed if packed else 0.0
    speed = raw / 1e6 / seconds if seconds > 0 else 0.0
    sizes = (_megabytes(packed), _megabytes(raw)) if unpacking else (_megabytes(raw), _megabytes(packed))
    name = "stdin" if source == STDIO else source
    click.echo(f"{name}: {ratio:.1f}x, {sizes[0]} -> {sizes[1]}, {speed:.1f} MB/s", err=True)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size < 1e7 else f"{size / 1e6:.1f} MB"


def _remove_verified(source: str, target: str, verified) -> None:
    """--rm: remove ``source`` only when it is a file, the output is a regular file and ``verified()``."""
    if source == STDIO or target == STDIO or not os.path.isfile(target):
        return
    if not verified():
        raise LogzipError(f"{target} does not restore the input; {source} kept")
    os.unlink(source)


def _strip_suffix(path: str) -> str:
    if not path.endswith(SUFFIX) or len(path) == len(SUFFIX):
        raise LogzipError(f"unknown suffix (expected {SUFFIX}); use -o or -c")
    return path[:-len(SUFFIX)]


@cli.command()
@_files_and_outputs
def decompress(files, output, to_stdout, force, remove, quiet, verbose):
    """Decompress FILE.logz (or standard input) into FILE, checking every block."""
    files = files or (STDIO,)
    _check_outputs(files, output, to_stdout)
    _decompress_files(files, output, to_stdout, force, remove, quiet, verbose)


def _decompress_files(files, output, to_stdout, force, remove=False, quiet=False, verbose=False):
    def decompress_one(source):
        target = _output_path(source, output, to_stdout, _strip_suffix)
        started, size_out = time.monotonic(), 0
        with _input(source) as stream, _output(target, force, source, True) as sink:
            with _progress(source, stream, quiet) as advance:
                for block in iter_decompressed(stream):
                    sink.write(block)
                    size_out += len(block)
                    advance()
            size_in = stream.tell() if source != STDIO else 0
        if verbose:
            _summary(source, size_out, size_in, time.monotonic() - started, unpacking=True)
        if remove:  # every block was checked against its CRC while it was written out
            _remove_verified(source, target, lambda: True)

    _each_file(files, decompress_one)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-F", "--follow", is_flag=True,
              help="Like tail -f: keep printing the blocks of the growing archive FILE as they are "
                   "flushed or appended, until Ctrl-C.")
def cat(files, follow):
    """Write the decompressed FILES (or standard input) to standard output, like zcat."""
    if not follow:
        _decompress_files(files or (STDIO,), None, True, False, quiet=True)
        return
    if len(files) != 1 or files[0] == STDIO:
        raise click.UsageError("--follow takes one archive file")
    interrupt_quietly()

    def follow_one(path):
        for block in logzip.follow(path):
            sys.stdout.buffer.write(block)
            sys.stdout.buffer.flush()

    try:
        _each_file(files, follow_one)
    except KeyboardInterrupt:  # Ctrl-C reached the main thread, not the signal watcher
        sys.exit(EXIT_INTERRUPTED)


@cli.command("test")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-v", "--verbose", is_flag=True, help="Say OK for every good archive.")
def test_command(files, verbose):
    """Check the integrity of every block of FILES, writing nothing."""

    def test_one(path):
        with _input(path) as stream:
            for _ in iter_decompressed(stream):
                pass
        if verbose:
            click.echo(f"{'stdin' if path == STDIO else path}: OK", err=True)

    _each_file(files or (STDIO,), test_one)


@cli.command("list")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
def list_command(files):
    """One line per archive, as gzip -l: compressed and original sizes, ratio, name."""
    click.echo(f"{'compressed':>15} {'uncompressed':>15}  ratio uncompressed_name")

    def list_one(path):
        with _input(path) as stream:
            size_out = sum(reader.end_record["raw_len"] for reader in _read_members(stream))
            size_in = stream.tell() if path != STDIO else 0
        saved = 100.0 * (1 - size_in / size_out) if size_out else 0.0
        name = "stdout" if path == STDIO else (path[:-len(SUFFIX)] if path.endswith(SUFFIX) else path)
        click.echo(f"{size_in:>15} {size_out:>15} {saved:5.1f}% {name}")

    _each_file(files or (STDIO,), list_one)


def _read_members(stream):
    """Every member of an archive, its blocks walked (payloads skipped), so that end records are known."""
    for reader in iter_members(stream):
        for _ in reader.blocks(with_payload=False):
            pass
        yield reader


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--columns", is_flag=True,
              help="Every stream of every block, header columns one by one: coder, raw and stored bytes.")
def info(files, columns):
    """Show the blocks, streams, templates and ratio of archives."""
    from logzip.archive_info import describe_archive, describe_columns  # the codecs: imported when used
    describe = describe_columns if columns else describe_archive

    def info_one(path):
        if path == STDIO:
            click.echo(describe("stdin", sys.stdin.buffer))
        else:
            click.echo(describe(path))

    _each_file(files, info_one)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "log_format", metavar="FMT", help="Loghub header format of a plain log.")
@click.option("--csv", "as_csv", is_flag=True, help="Write Loghub's structured CSV: LineId,EventId,EventTemplate.")
@click.option("-o", "--output", default=STDIO, help="Write to OUTPUT instead of standard output.")
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing output file.")
def templates(file, log_format, as_csv, output, force):
    """Print the templates learned from FILE (a log or a .logz archive) with their counts."""
    from logzip.templates import TemplateCatalog  # the codecs and the miner: imported when used
    catalog = TemplateCatalog()
    with _input(file) as stream, _output(output, force, file, True) as sink:
        text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
        events = catalog.events_of_lines(stream, log_format)
        if as_csv:
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(["LineId", "EventId", "EventTemplate"])
            for line_id, event in enumerate(events, 1):
                writer.writerow([line_id, event.event_id, event.text])
        else:
            for _ in events:
                pass
            for event in catalog.by_count():
                text.write(f"{event.count:>10}  {event.event_id:<6} {event.text}\n")
        text.detach()


def main():
    run(cli, "logzip")


def logzcat():
    """The ``logzcat`` command: ``logzip cat``."""
    run(cat, "logzcat")


if __name__ == "__main__":
    main()
