"""``logzip``: compress, decompress and inspect log archives, with gzip's habits."""
import contextlib
import csv
import io
import os
import sys

import click

import logzip
from logzip.archive_info import describe_archive
from logzip.atomic import atomic_output
from logzip.errors import LogzipError
from logzip.file import iter_decompressed
from logzip.pipeline import DEFAULT_BLOCK_SIZE, DEFAULT_LEVEL, CompressionParameters, read_chunks
from logzip.templates import TemplateCatalog

from .common import run

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
def _progress(path: str, stream):
    """Yield a callable that shows how far ``stream`` has been consumed, on a
    progress bar when a person watches a long job (else it does nothing)."""
    size = os.fstat(stream.fileno()).st_size if path != STDIO else 0
    if size < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield lambda: None
        return
    with click.progressbar(length=size, label=os.path.basename(path), file=sys.stderr) as bar:
        yield lambda: bar.update(stream.tell() - bar.pos)


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
    if source != STDIO and os.path.exists(path) and os.path.samefile(source, path):
        raise LogzipError(f"{path}: output would overwrite the input")
    with atomic_output(path, force, copy_stat_from=source if source != STDIO else None) as stream:
        yield stream


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(logzip.__version__, prog_name="logzip")
def cli():
    """Lossless log compression that learns the templates of the lines."""


def _files_and_outputs(command):
    """FILES and the output options that compress and decompress share, gzip's way."""
    for option in reversed([
            click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True)),
            click.option("-o", "--output", help="Write to OUTPUT (one input only)."),
            click.option("-c", "--stdout", "to_stdout", is_flag=True, help="Write to standard output."),
            click.option("-f", "--force", is_flag=True, help="Overwrite existing output files."),
            click.option("-k", "--keep", is_flag=True, expose_value=False,
                         help="Keep the inputs (always done; accepted for gzip's and zstd's users).")]):
        command = option(command)
    return command


@cli.command()
@_files_and_outputs
@click.option("-l", "--level", type=click.IntRange(1, 22), default=DEFAULT_LEVEL, show_default=True,
              help="zstd level of the streams.")
@click.option("-T", "--threads", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Compress blocks on N processes.")
@click.option("--format", "log_format", metavar="FMT",
              help="Loghub header format, e.g. '<Date> <Time> <Level> <Component>: <Content>'.")
@click.option("--block-size", default=f"{DEFAULT_BLOCK_SIZE >> 20}M", show_default=True,
              help="Input bytes per independently decodable block.")
@click.option("--index", is_flag=True, help="Store an FM-index with each block, for fmsearch.")
def compress(files, output, to_stdout, force, level, threads, log_format, block_size, index):
    """Compress FILES (or standard input) into FILE.logz, keeping the inputs."""
    files = files or (STDIO,)
    if output is not None and len(files) > 1:
        raise click.UsageError("-o takes a single input file")
    params = CompressionParameters(level=level, format=log_format, threads=threads,
                                   block_size=_parse_size(block_size), index=index)

    def compress_one(source):
        if source != STDIO and source.endswith(SUFFIX) and output is None and not to_stdout:
            raise LogzipError(f"already has the {SUFFIX} suffix; unchanged")
        target = _output_path(source, output, to_stdout, lambda path: path + SUFFIX)
        with _input(source) as stream, _output(target, force, source, False) as sink:
            with logzip.LogzipFile(None, "wb", fileobj=sink, params=params) as archive, \
                    _progress(source, stream) as advance:
                for chunk in read_chunks(stream):
                    archive.write(chunk)
                    advance()

    _each_file(files, compress_one)


def _strip_suffix(path: str) -> str:
    if not path.endswith(SUFFIX) or len(path) == len(SUFFIX):
        raise LogzipError(f"unknown suffix (expected {SUFFIX}); use -o or -c")
    return path[:-len(SUFFIX)]


@cli.command()
@_files_and_outputs
def decompress(files, output, to_stdout, force):
    """Decompress FILE.logz (or standard input) into FILE, checking every block."""
    files = files or (STDIO,)
    if output is not None and len(files) > 1:
        raise click.UsageError("-o takes a single input file")

    def decompress_one(source):
        target = _output_path(source, output, to_stdout, _strip_suffix)
        with _input(source) as stream, _output(target, force, source, True) as sink:
            with _progress(source, stream) as advance:
                for block in iter_decompressed(stream):
                    sink.write(block)
                    advance()

    _each_file(files, decompress_one)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
def info(files):
    """Show the blocks, streams, templates and ratio of archives."""

    def info_one(path):
        if path == STDIO:
            click.echo(describe_archive("stdin", sys.stdin.buffer))
        else:
            click.echo(describe_archive(path))

    _each_file(files, info_one)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "log_format", metavar="FMT", help="Loghub header format of a plain log.")
@click.option("--csv", "as_csv", is_flag=True, help="Write Loghub's structured CSV: LineId,EventId,EventTemplate.")
@click.option("-o", "--output", default=STDIO, help="Write to OUTPUT instead of standard output.")
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing output file.")
def templates(file, log_format, as_csv, output, force):
    """Print the templates learned from FILE (a log or a .logz archive) with their counts."""
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


if __name__ == "__main__":
    main()
