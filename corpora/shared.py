"""Where the shared public corpora live, and how to read them.

The public logs and texts (Loghub, Mozilla CI logs, Canterbury, enwik8) are kept beside the
repository, at ``../shared/corpora`` from its root, never inside it; ``LOGZIP_CORPORA`` points
elsewhere.  Files ending in ``.zst`` are read decompressed.
"""
import os
from pathlib import Path

import zstandard

ENV_VAR = "LOGZIP_CORPORA"
# Loghub's header formats of the five full logs (as in loghub-2k/formats.tsv), for code
# that needs them whether or not the corpora are present.
LOGHUB_FULL_FORMATS = {
    "HPC": "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>",
    "Hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "Apache": r"\[<Time>\] \[<Level>\] <Content>",
    "Linux": r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    "Proxifier": r"\[<Time>\] <Program> - <Content>",
}
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def corpora_dir():
    """The shared corpora directory, or None when it is absent."""
    root = Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)
    return root if root.is_dir() else None


def read_corpus(path) -> bytes:
    """The content of a corpus file, decompressed when its name ends in ``.zst``."""
    path = Path(path)
    with open(path, "rb") as f:
        if path.suffix != ".zst":
            return f.read()
        # A streaming reader: frames written by the zstd tool from a pipe carry no content size.
        with zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True) as reader:
            return reader.read()


def loghub_2k_formats(root=None) -> dict:
    """Loghub system name -> header format, for each loghub-2k sample present under ``root``.

    The formats come from ``loghub-2k/formats.tsv`` (Loghub's benchmark syntax, e.g.
    ``<Date> <Time> <Level> <Component>: <Content>``); empty when the corpora are absent.
    """
    root = Path(root) if root is not None else corpora_dir()
    table = root / "loghub-2k" / "formats.tsv" if root is not None else None
    if table is None or not table.is_file():
        return {}
    formats = {}
    for row in table.read_text(encoding="utf-8").splitlines()[1:]:
        if not row.strip():
            continue
        system, log_format = row.split("\t", 1)
        if (root / "loghub-2k" / f"{system}_2k.log").is_file():
            formats[system] = log_format
    return formats
