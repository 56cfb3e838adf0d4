"""What the command-line tools share: one clear error line and an exit code, never a traceback."""
import errno
import os
import signal
import sys

import click

from fmindex.errors import FMIndexError
from logzip.errors import LogzipError

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it cleans up as after Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


def run(command: click.Command, name: str) -> None:
    """Run a click command; expected failures become ``name: message`` on stderr. SIGTERM
    stops it as Ctrl-C does (no temporary file left, workers stopped); a reader that goes
    away (``| head``) ends it quietly."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = command.main(prog_name=name, standalone_mode=False)
    except click.exceptions.Abort as error:   # click's form of KeyboardInterrupt
        if isinstance(error.__cause__, Terminated):
            sys.exit(EXIT_TERMINATED)
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Terminated:
        sys.exit(EXIT_TERMINATED)
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): quiet, as gzip; nothing more reaches stdout.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except (LogzipError, FMIndexError, ValueError, MemoryError) as error:
        if os.environ.get("LOGZIP_DEBUG"):
            raise
        sys.stderr.write(f"{name}: {error}\n")
        sys.exit(EXIT_ERROR)
    except OSError as error:
        sys.stderr.write(f"{name}: {_describe(error)}\n")
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


def _describe(error: OSError) -> str:
    reason = error.strerror or errno.errorcode.get(error.errno, str(error))
    if error.filename is not None:
        return f"{error.filename}: {reason}"
    return str(reason)
