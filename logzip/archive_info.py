"""What ``logzip info`` reports: blocks, stream sizes, templates, ratio."""
import contextlib
from collections import Counter

from .codec.block import StoredBlock, stored_block
from .codec.columns import blob_coder, marginal_sizes, table_layout
from .codec.header import HeaderFormat
from .container import iter_members
from .pipeline import DEFAULT_LEVEL


class _CountingReader:
    """Reads a stream that cannot tell its position (a pipe) and counts the bytes read."""

    def __init__(self, stream):
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.count


def describe_archive(path: str, fileobj=None) -> str:
    """What ``logzip info`` prints of the archive at ``path`` (or read from ``fileobj``, e.g. stdin)."""
    streams, formats = Counter(), Counter()
    n_members = n_blocks = n_templates = index_bytes = raw_len = n_lines = 0
    opened = open(path, "rb") if fileobj is None else contextlib.nullcontext(_CountingReader(fileobj))
    with opened as stream:
        for reader in iter_members(stream):
            if not n_members:
                first = reader
            n_members += 1
            for block, payload in reader.blocks():
                stored = stored_block(payload)
                streams.update(stored.section_sizes())
                n_templates += sum(map(len, stored.templates))
                formats[getattr(stored, "spec", None) or "(none)"] += 1
                index_bytes += block.index_len
                n_blocks += 1
            raw_len += reader.end_record["raw_len"]
            n_lines += reader.end_record["n_lines"]
        archive_size = stream.tell()
    stored = sum(streams.values())
    ratio = raw_len / archive_size if archive_size else 0.0
    lines = [
        f"{path}",
        f"  original      {raw_len:>14,} bytes, {n_lines:,} lines",
        f"  archive       {archive_size:>14,} bytes  (ratio {ratio:.2f})",
        f"  blocks        {n_blocks:>14,}" + (f"  in {n_members} concatenated archives" if n_members > 1 else ""),
        f"  templates     {n_templates:>14,}  (summed over blocks)",
        *(f"  header format {spec}  ({count} of {n_blocks} blocks)" for spec, count in formats.most_common(3)),
        f"  level         {first.meta.get('level', DEFAULT_LEVEL)}",
    ]
    if index_bytes:
        without = archive_size - index_bytes
        lines.append(f"  FM-index      {index_bytes:>14,} bytes  (ratio {raw_len / without:.2f} without it)")
    lines.append("  streams:")
    width = max(map(len, streams), default=0) + 2
    for name, size in streams.most_common():
        share = 100.0 * size / stored if stored else 0.0
        lines.append(f"    {name:<{width}}{size:>12,} bytes  {share:5.1f}%")
    return "\n".join(lines)


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def block_columns(payload: bytes, level: int = DEFAULT_LEVEL) -> list:
    """Rows ``(stream, coder, kind, raw bytes, stored bytes)`` of one block's payload: every
    section, the header table column by column (its stored bytes: what each column adds to
    the table's compressed frame, see :func:`marginal_sizes`), and the framing (kind byte,
    section table); the stored bytes add up to the payload's size. A block through a
    general coder is one row and its kind byte."""
    stored = stored_block(payload)
    if not isinstance(stored, StoredBlock):
        rows = [(name, name.rpartition(" ")[2], "", 0, size) for name, size in stored.section_sizes().items()]
        return rows + [("framing", "", "", 1, 1)]
    names = ["meta", "line endings", "misfit line numbers"]
    rows = [(name, "none" if number < 2 else "zstd", "", len(section), len(section))
            for number, (name, section) in enumerate(zip(names, stored.sections))]
    rows += _table_rows(stored, level)
    for group_name, group in zip(("contents", "misfit lines"), stored.groups):
        for part, section in zip(("templates", "template ids", "parameters and unmatched"), group.sections):
            rows.append((f"{group_name}: {part}",) + _section_coder(section) + (len(section),))
    framing = len(payload) - sum(len(section) for section in stored.sections)
    return rows + [("framing", "none", "", framing, framing)]


def _table_rows(stored: StoredBlock, level: int) -> list:
    """The header table's rows: its head, then a row per column named after the format's fields."""
    section = stored.sections[3]
    coder, payload, spans = table_layout(section, stored.groups[0].n_strings, stored.groups[0].group_ids)
    names = ["head"] + (HeaderFormat.parse(stored.spec).column_names if stored.spec else [])
    sizes = marginal_sizes(section, payload, [end for _, _, end in spans], level)
    return [(f"header: {name}", coder, kind, end - start, size)
            for name, (kind, start, end), size in zip(names, spans, sizes)]


def _section_coder(section: bytes) -> tuple:
    """``(coder, "", raw size)`` of a section: a zstd frame or a column blob."""
    if section[:4] == _ZSTD_MAGIC:
        import zstandard
        return "zstd", "", max(zstandard.frame_content_size(section), 0)
    coder, size = blob_coder(section)
    return coder, "", size


def describe_columns(path: str, fileobj=None) -> str:
    """What ``logzip info --columns`` prints: every stream of every block, the header
    table's column by column, with its coder, its raw and its stored bytes."""
    out = [path]
    opened = open(path, "rb") if fileobj is None else contextlib.nullcontext(_CountingReader(fileobj))
    with opened as stream:
        for reader in iter_members(stream):
            level = reader.meta.get("level", DEFAULT_LEVEL)
            for number, (block, payload) in enumerate(reader.blocks()):
                rows = block_columns(payload, level)
                total = sum(row[4] for row in rows)
                out.append(f"  block {number}: {total:,} bytes stored")
                out.append(f"    {'stream':<40}{'coder':<7}{'kind':<15}{'raw':>12}{'stored':>12}  share")
                for name, coder, kind, raw, size in rows:
                    out.append(f"    {name:<40}{coder:<7}{kind:<15}{raw:>12,}{size:>12,}  {100.0 * size / max(total, 1):5.1f}%")
    return "\n".join(out)
