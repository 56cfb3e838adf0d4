"""What the command-line tools share: one clear error line and an exit code, never a traceback."""
import errno
import os
import signal
import sys
import threading

import click

from fmindex.errors import FMIndexError
from logzip.atomic import remove_temporaries
from logzip.errors import LogzipError
from logzip.pipeline import terminate_workers

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _stop_on_signals(name: str) -> None:
    """Handle Ctrl-C, SIGTERM and SIGHUP on a thread of their own, at once.

    The main thread may be deep in a long compression call, where a Python
    signal handler would wait for it to end; these signals are blocked in
    every thread, and a watcher thread waits for them, removes the temporary
    files, stops the workers and exits.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    threading.Thread(target=_wait_and_stop, args=(name,), name="logzip-signals", daemon=True).start()


_quiet_interrupt = threading.Event()


def interrupt_quietly() -> None:
    """Let Ctrl-C end the command without a word, still with status 130 (``tail -f``'s habit,
    for a command that only ends that way)."""
    _quiet_interrupt.set()


def _wait_and_stop(name: str) -> None:
    signum = signal.sigwait(STOP_SIGNALS)
    remove_temporaries()
    terminate_workers()
    if signum == signal.SIGINT and not _quiet_interrupt.is_set():
        os.write(2, f"{name}: interrupted\n".encode())
    os._exit(128 + signum)


def run(command: click.Command, name: str, error_code: int = EXIT_ERROR) -> None:
    """Run a click command; expected failures become ``name: message`` on stderr and exit
    with ``error_code``; the command's own return value is the exit status otherwise."""
    _stop_on_signals(name)
    try:
        code = command.main(prog_name=name, standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        sys.stderr.write(f"{name}: {error.format_message()}\n")  # one line, usage errors included
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except OSError as error:          # before FMIndexError: OutputExistsError is both
        sys.stderr.write(f"{name}: {_describe(error)}\n")
        sys.exit(error_code)
    except (LogzipError, FMIndexError, ValueError, MemoryError) as error:
        if os.environ.get("LOGZIP_DEBUG"):
            raise
        sys.stderr.write(f"{name}: {error}\n")
        sys.exit(error_code)
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_broken_pipe() -> None:
    """The reader went away (``| head``): exit at once without a word, as gzip does
    (``os._exit``: the interpreter's final flush of stdout would complain again)."""
    remove_temporaries()
    terminate_workers()
    os._exit(EXIT_BROKEN_PIPE)


def _describe(error: OSError) -> str:
    reason = error.strerror or errno.errorcode.get(error.errno, str(error))
    if error.filename is not None:
        return f"{error.filename}: {reason}"
    return str(reason)
