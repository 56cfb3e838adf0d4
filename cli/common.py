"""What the command-line tools share: one clear error line and an exit code, never a traceback."""
import errno
import os
import sys

import click

from fmindex.errors import FMIndexError
from logzip.errors import LogzipError

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def run(command: click.Command, name: str) -> None:
    """Run a click command; expected failures become ``name: message`` on stderr."""
    try:
        code = command.main(prog_name=name, standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error worth a message
        sys.exit(EXIT_ERROR)
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
