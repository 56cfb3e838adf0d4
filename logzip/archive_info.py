"""What ``logzip info`` reports: blocks, stream sizes, templates, ratio."""
from collections import Counter

from .codec.block import stored_block
from .container import ArchiveReader


def describe_archive(path: str) -> str:
    with open(path, "rb") as stream:
        reader = ArchiveReader(stream)
        streams = Counter()
        n_blocks = n_templates = index_bytes = 0
        for block, payload in reader.blocks():
            stored = stored_block(payload)
            streams.update(stored.section_sizes())
            n_templates += sum(map(len, stored.templates))
            index_bytes += block.index_len
            n_blocks += 1
        archive_size = stream.tell()
    end = reader.end_record
    stored = sum(streams.values())
    ratio = end["raw_len"] / archive_size if archive_size else 0.0
    lines = [
        f"{path}",
        f"  original      {end['raw_len']:>14,} bytes, {end['n_lines']:,} lines",
        f"  archive       {archive_size:>14,} bytes  (ratio {ratio:.2f})",
        f"  blocks        {n_blocks:>14,}",
        f"  templates     {n_templates:>14,}  (summed over blocks)",
        f"  header format {reader.meta.get('format') or '(inferred per block)'}",
        f"  level         {reader.meta.get('level')}",
    ]
    if reader.indexed:
        without = archive_size - index_bytes
        lines.append(f"  FM-index      {index_bytes:>14,} bytes  (ratio {end['raw_len'] / without:.2f} without it)")
    lines.append("  streams:")
    width = max(map(len, streams), default=0) + 2
    for name, size in streams.most_common():
        share = 100.0 * size / stored if stored else 0.0
        lines.append(f"    {name:<{width}}{size:>12,} bytes  {share:5.1f}%")
    return "\n".join(lines)
