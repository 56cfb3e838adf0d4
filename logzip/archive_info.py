"""What ``logzip info`` reports: blocks, stream sizes, templates, ratio."""
import contextlib
from collections import Counter

from .codec.block import stored_block
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
