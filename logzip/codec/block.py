"""One block of input ⇄ its typed streams ⇄ the block payload.

Encoding a block::

    raw bytes ─ split_lines ─▶ lines + endings
    lines ─ HeaderFormat.split ─▶ header columns + contents, and misfit lines
    contents ─ TemplateMiner.fit / TemplateSet.match ─▶ template ids + parameter columns
    misfit lines (whole) ─ the same, with templates of their own

JSON lines have no header: their skeletons are the templates (:mod:`..cluster.json_lines`).
Lines that do not fit the header format (stack traces, continuation lines)
are often many and regular, so they get templates of their own rather than
being stored raw. Every column goes through
:func:`logzip.codec.columns.encode_table`. A payload is one kind byte, then
``S`` a list of sections, each a length-prefixed byte string, or the whole block
through a general coder where the streams cost more than they save (``P`` zstd,
``X`` LZMA, ``B`` bzip2: see :mod:`logzip.codec.general`; :mod:`logzip.codec.triage` sends a
block there before any template is learned when it shows that templates cannot help)::

    0 meta (JSON)   1 endings   2 misfit line numbers   3 header table (its key: the
                                                          contents' template ids)
    then for the contents, and again for the misfit lines:
        templates | template id per line | tables: the unmatched strings, then each
                                           template's parameters (one zstd frame, so that
                                           values shared by templates cost once)
"""
from __future__ import annotations

import functools
import json
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional

import numpy as np
import zstandard

from ..cluster.template import TemplateSet
from ..errors import CorruptArchiveError, FormatError
from . import general
from .columns import (compress_stream, decode_ints, decode_table_columns, decode_tables_columns, encode_ints,
                      encode_table, encode_tables, zstd_compressor)
from .header import HeaderFormat, infer_format
from .lines import join_lines, split_lines, uniform_terminator
from .strings import ByteColumn, fill, scatter
from .summary import BlockSummary, summarize
from .triage import templates_hopeless

if TYPE_CHECKING:
    from ..cluster.miner import MinerConfig

PAYLOAD_VERSION = 2
STRUCTURED = b"S"               # payload kind of the typed streams (the others: general.KINDS)
MAX_DECODED = 1 << 30           # the largest block a writer makes (pipeline.MAX_BLOCK_SIZE)
HEADER_SAMPLE = 2000
JSON_TRY_LIMIT = 1 << 20        # JSON blocks up to this size try a general coder as others do
_COUNT = struct.Struct("<I")
_FIXED_SECTIONS = 4
_GROUP_SECTIONS = 3
_GROUPS = ("contents", "misfit lines")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _corrupt_on_error(method):
    """Damage that slipped past the checksums (they were recomputed) surfaces as odd values:
    report it as CorruptArchiveError, whatever low-level error it raised."""
    @functools.wraps(method)
    def checked(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except CorruptArchiveError:
            raise
        except (ValueError, OverflowError, IndexError, KeyError, TypeError, struct.error) as error:
            raise CorruptArchiveError(f"corrupt archive: {error}") from None
    return checked


@dataclass
class TemplatedLines:
    """Byte strings described by templates: template id per string (-1: none),
    each template's parameter columns, and the strings no template matched."""

    templates: TemplateSet
    ids: List[int]
    parameter_columns: List[list]
    unmatched: List[bytes]
    json: bool = False      # learned as JSON lines (see :mod:`logzip.cluster.json_lines`)

    @classmethod
    def learn(cls, strings: List[bytes], miner_config: Optional[MinerConfig]) -> "TemplatedLines":
        from ..cluster import json_lines
        from ..cluster.miner import MinerConfig, TemplateMiner  # encoding only: decoders skip the miner's import
        if json_lines.looks_like_json(strings):
            return cls(*json_lines.learn(strings, miner_config), json=True)
        templates = TemplateMiner(miner_config or MinerConfig()).fit(strings)
        matches = templates.match(strings)
        return cls(templates, matches.tids, matches.columns, matches.unmatched)

    def encode(self, level: int) -> List[bytes]:
        # Id 0 stands for "no template" (an unsigned array in archives written before encode_ints).
        ids = np.asarray(self.ids, dtype=np.int64) + 1
        return [
            compress_stream(self.templates.to_bytes(), level),
            encode_ints(ids, level),
            encode_tables([[self.unmatched]] + self.parameter_columns, level, prefer_lzma=self.json),
        ]


@dataclass
class BlockModel:
    """Everything learned from one block: what the payload stores, before encoding."""

    n_lines: int
    endings: bytes
    header: Optional[HeaderFormat]
    header_columns: List[list]
    misfit_rows: List[int]
    contents: TemplatedLines
    misfits: TemplatedLines


def analyze_block(raw: bytes, header: Optional[HeaderFormat] = None,
                  miner_config: Optional[MinerConfig] = None) -> BlockModel:
    """Split ``raw`` into its streams: lines, header fields, templates, parameters. The header
    is judged on a sample spread over the block (the first lines of a log are often
    unrepresentative): inferred, or the ``header`` given if it pays (see :func:`infer_format`).
    JSON lines have none: their keys are their templates' text (see :mod:`..cluster.json_lines`)."""
    from ..cluster import json_lines
    lines, endings = split_lines(raw)
    if header is not None or not json_lines.looks_like_json(lines):
        header = infer_format(lines[::max(1, len(lines) // HEADER_SAMPLE)][:HEADER_SAMPLE], header)
    return _split_block(lines, endings, header, miner_config)


def header_cost(raw: bytes, header: HeaderFormat) -> int:
    """Bytes of the typed streams of ``raw`` under ``header`` as it is, at zstd level 3: what
    :func:`infer_format` compares. Without GROUPED header columns: on a sample, they make
    every field look cheap (a format of many fields won 2,000 lines of a CI log and lost the
    whole log by 21%)."""
    return len(encode_model(_split_block(*split_lines(raw), header, None), 3, grouped=False))


def _split_block(lines: List[bytes], endings: bytes, header: Optional[HeaderFormat],
                 miner_config: Optional[MinerConfig]) -> BlockModel:
    if header is None:
        misfit_rows, misfit_lines, header_columns, contents = [], [], [], lines
    else:
        split = header.split(lines)
        misfit_rows = split.misfits
        misfit_lines = [lines[i] for i in misfit_rows]
        header_columns, contents = split.columns, split.contents
    return BlockModel(len(lines), endings, header, header_columns, misfit_rows,
                      TemplatedLines.learn(contents, miner_config),
                      TemplatedLines.learn(misfit_lines, miner_config))


def encode_block(raw: bytes, level: int = 19, header: Optional[HeaderFormat] = None,
                 miner_config: Optional[MinerConfig] = None) -> bytes:
    """Compress one block of input into a self-contained payload: its typed streams or,
    where they cost more than they save, the block through a general coder (at once where
    :func:`templates_hopeless` says that templates cannot help)."""
    if templates_hopeless(raw):
        return general.general_payload(raw, level, None)
    model = analyze_block(raw, header, miner_config)
    payload = STRUCTURED + encode_model(model, level, summarize(raw))
    # A sample of JSON lines promises more than the whole block keeps (evtx: the sample's
    # estimate 0.91 of the typed streams, xz -9e on the whole block 1.09): beyond a MiB, where
    # the try costs a second or more (LZMA at ~1 MB/s), it is made only on a clear promise.
    strict = model.contents.json and len(raw) > JSON_TRY_LIMIT
    promise = 1 / general.PROMISE if strict else general.PROMISE
    fallback = general.general_payload(raw, level, len(payload), promise)
    return fallback if fallback is not None and len(fallback) < len(payload) else payload


def encode_structured(raw: bytes, level: int = 19, header: Optional[HeaderFormat] = None,
                      miner_config: Optional[MinerConfig] = None) -> bytes:
    """The typed streams of one block, without the payload's kind byte."""
    return encode_model(analyze_block(raw, header, miner_config), level, summarize(raw))


def encode_model(model: BlockModel, level: int, summary: Optional[BlockSummary] = None,
                 grouped: bool = True) -> bytes:
    """The payload of a block model; ``grouped``: header columns may be stored in the
    order of the lines' templates (see :func:`logzip.codec.columns.encode_table`)."""
    groups = (model.contents, model.misfits)
    meta = {
        "v": PAYLOAD_VERSION,
        "n_lines": model.n_lines,
        "format": model.header.spec if model.header is not None else None,
        "groups": [len(group.ids) for group in groups],
    }
    if summary is not None:
        meta["summary"] = summary.to_json()
    sections = [
        json.dumps(meta).encode(),
        model.endings,
        compress_stream(_deltas(model.misfit_rows).tobytes(), level),
        encode_table(model.header_columns, level,
                     np.asarray(model.contents.ids) if grouped and model.header_columns else None),
    ]
    for group in groups:
        sections += group.encode(level)
    return _pack_sections(sections)


class _StoredGroup:
    """The sections of one templated group within a payload."""

    def __init__(self, sections: List[bytes], n_strings: int, zstd: zstandard.ZstdDecompressor,
                 cap: int = None):
        cap = _section_cap(None) if cap is None else cap
        self.sections, self.n_strings = sections, n_strings
        self.templates = TemplateSet.from_bytes(_unzstd(zstd, sections[0], cap))
        dtype = _id_dtype(len(self.templates))
        if sections[1][:4] == _ZSTD_MAGIC:      # as written before encode_ints
            ids = np.frombuffer(_unzstd(zstd, sections[1], cap), dtype=dtype)
        else:
            ids = decode_ints(sections[1], n_strings)
            if n_strings and (int(ids.min()) < 0 or int(ids.max()) > len(self.templates)):
                raise CorruptArchiveError("corrupt archive: template ids are damaged")
            ids = ids.astype(dtype)
        if len(ids) != n_strings or (n_strings and int(ids.max()) > len(self.templates)):
            raise CorruptArchiveError("corrupt archive: template ids are damaged")
        self.group_ids = ids

    def template_ids(self) -> np.ndarray:
        """Template id of each string, -1 for none."""
        return self.group_ids.astype(np.int64) - 1

    def decode(self, cap: int) -> ByteColumn:
        """Every string of the group, in order, each template's rendered from its parameters."""
        counts = np.bincount(self.group_ids, minlength=len(self.templates) + 1).tolist()
        # A table without columns has no rows, whatever the lines of its template.
        rows = [counts[0]] + [count if template.slots else 0
                              for template, count in zip(self.templates.templates, counts[1:])]
        tables = decode_tables_columns(self.sections[2], rows)
        if len(tables) != len(self.templates) + 1:
            raise CorruptArchiveError("corrupt archive: parameter tables disagree with the templates")
        groups = [_single_column(tables[0])]
        for template, columns, count in zip(self.templates.templates, tables[1:], counts[1:]):
            if len(columns) != len(template.slots):
                raise CorruptArchiveError("corrupt archive: a template's parameters disagree with its slots")
            groups.append(fill(template.texts, columns, count, cap))
        return scatter(groups, self.group_ids)


class StoredBlock:
    """The sections of one payload, parsed and checked."""

    @_corrupt_on_error
    def __init__(self, payload: bytes, limit: int = None):
        cap, self.limit = _section_cap(limit), limit
        self.sections = _unpack_sections(payload)
        if len(self.sections) < _FIXED_SECTIONS:
            raise CorruptArchiveError("corrupt archive: block has too few sections")
        try:
            meta = json.loads(self.sections[0])
            version = meta.get("v")
            self.n_lines, self.spec = int(meta["n_lines"]), meta["format"]
            group_sizes = [int(n_strings) for n_strings in meta["groups"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CorruptArchiveError("corrupt archive: block metadata is damaged") from None
        if version != PAYLOAD_VERSION:
            raise CorruptArchiveError(f"unsupported block version {version}")
        if len(group_sizes) != len(_GROUPS) or len(self.sections) != _FIXED_SECTIONS + len(_GROUPS) * _GROUP_SECTIONS:
            raise CorruptArchiveError("corrupt archive: block metadata is damaged")
        zstd = zstandard.ZstdDecompressor()
        self.groups = []
        for number, n_strings in enumerate(group_sizes):
            start = _FIXED_SECTIONS + number * _GROUP_SECTIONS
            self.groups.append(_StoredGroup(self.sections[start:start + _GROUP_SECTIONS], n_strings, zstd, cap))
        self.misfit_rows = np.cumsum(np.frombuffer(_unzstd(zstd, self.sections[2], cap), dtype=np.uint32),
                                     dtype=np.int64)
        contents, misfits = self.groups
        if (len(self.misfit_rows) != misfits.n_strings
                or contents.n_strings + misfits.n_strings != self.n_lines
                or (len(self.misfit_rows) and (self.misfit_rows[-1] >= self.n_lines
                                               or np.any(np.diff(self.misfit_rows) <= 0)))):
            raise CorruptArchiveError("corrupt archive: line counts disagree within a block")

    @_corrupt_on_error
    def decode(self) -> bytes:
        if self.n_lines == self.limit and uniform_terminator(self.sections[1]) == (b"\n", False):
            # As many lines as bytes, each ending in a newline: only newlines, which rendering
            # line by line would cost ~90 bytes of objects a line (archives of version 1 hold
            # blocks of 32 MiB of them). The container's checksum then checks the result.
            return b"\n" * self.n_lines
        cap = _section_cap(self.limit)
        contents, misfits = (group.decode(cap) for group in self.groups)
        if self.spec is None:
            fitting = contents
        else:
            header = _header_from_spec(self.spec)
            header_table = self.header_columns()
            uniform = None if len(self.misfit_rows) else uniform_terminator(self.sections[1])
            if uniform is not None:     # the common case: the lines rendered with their ends, straight
                terminator, has_tail = uniform
                return header.join_columns(header_table, contents, cap, terminator, has_tail).flat(cap).data
            fitting = header.join_columns(header_table, contents, cap)
        if not len(self.misfit_rows):
            return join_lines(fitting, self.sections[1], cap)
        is_misfit = np.zeros(self.n_lines, dtype=np.uint8)
        is_misfit[self.misfit_rows] = 1
        return join_lines([fitting, misfits], self.sections[1], cap, is_misfit)

    def header_columns(self) -> List[ByteColumn]:
        """The header columns of the lines that fit the format, in line order (their key, to
        undo GROUPED columns, is the template id of each line's content)."""
        contents = self.groups[0]
        return decode_table_columns(self.sections[3], contents.n_strings, contents.group_ids)

    def header_table(self) -> List[list]:
        """:meth:`header_columns` as lists of bytes."""
        return [column.tolist() for column in self.header_columns()]

    @property
    def templates(self) -> List[TemplateSet]:
        return [group.templates for group in self.groups]

    @_corrupt_on_error
    def line_templates(self):
        """``(templates, ids)`` per group: the templates of the block and, for each line,
        the id of its template in one of them (see :func:`templates_per_line`)."""
        contents, misfits = self.groups
        return templates_per_line(self.n_lines, self.misfit_rows, contents.templates,
                                  contents.template_ids(), misfits.templates, misfits.template_ids())

    def section_sizes(self) -> dict:
        """Stored bytes per kind of stream, template parameters summed over templates."""
        sizes = {"meta": len(self.sections[0]), "line endings": len(self.sections[1]),
                 "misfit line numbers": len(self.sections[2]), "header fields": len(self.sections[3])}
        for name, group in zip(_GROUPS, self.groups):
            sizes[f"{name}: templates"] = len(group.sections[0])
            sizes[f"{name}: template ids"] = len(group.sections[1])
            sizes[f"{name}: parameters and unmatched"] = len(group.sections[2])
        return sizes


class GeneralBlock:
    """A payload stored through a general coder, with the interface of :class:`StoredBlock`."""

    templates: List[TemplateSet] = []

    def __init__(self, kind: bytes, body: bytes, limit: int = None):
        self.kind, self.body = kind, body
        self.limit = MAX_DECODED if limit is None else limit

    def decode(self) -> bytes:
        return general.decompress(self.kind, self.body, self.limit)

    def line_templates(self):
        return [], np.full(len(split_lines(self.decode())[0]), -1, dtype=np.int64)

    def section_sizes(self) -> dict:
        return {f"whole block, {general.NAMES[self.kind]}": len(self.body)}


def stored_block(payload: bytes, limit: int = None):
    """The :class:`StoredBlock` or :class:`GeneralBlock` that ``payload`` holds; ``limit``, the
    decoded size the block claims, bounds what its streams may expand to."""
    kind, body = payload[:1], payload[1:]
    if kind == STRUCTURED:
        return StoredBlock(body, limit)
    if kind in general.KINDS:
        return GeneralBlock(kind, body, limit)
    raise CorruptArchiveError("corrupt archive: unknown block payload kind")


def payload_summary(payload: bytes) -> Optional[BlockSummary]:
    """The search summary a payload carries (see :mod:`logzip.codec.summary`), or None."""
    if payload[:1] != STRUCTURED:
        return None
    view = memoryview(payload)[1:]
    lengths, start = _section_table(view)
    length = int(lengths[0]) if len(lengths) else 0
    try:
        record = json.loads(bytes(view[start:start + length])).get("summary")
    except (ValueError, AttributeError):
        raise CorruptArchiveError("corrupt archive: block metadata is damaged") from None
    return None if record is None else BlockSummary.from_json(record)


def decode_block(payload: bytes, limit: int = None) -> bytes:
    """Inverse of :func:`encode_block`; ``limit``: the decoded size the block claims."""
    return stored_block(payload, limit).decode()


def _section_cap(limit) -> int:
    """Most bytes a stream of a block of ``limit`` bytes may decode to: a template id takes
    up to 2 bytes a line, a misfit line number 4, and the templates' text is within the block."""
    return 4 * (MAX_DECODED if limit is None else limit) + (1 << 20)


def model_templates(model: BlockModel):
    """Like :meth:`StoredBlock.line_templates`, for a block just analysed."""
    return templates_per_line(model.n_lines, np.asarray(model.misfit_rows, dtype=np.int64),
                              model.contents.templates, np.asarray(model.contents.ids, dtype=np.int64),
                              model.misfits.templates, np.asarray(model.misfits.ids, dtype=np.int64))


def templates_per_line(n_lines, misfit_rows, content_templates, content_ids, misfit_templates, misfit_ids):
    """All templates of a block in one list (contents' first, then misfit lines'), and the
    index of each line's template in it, -1 for a line that no template matched."""
    ids = np.empty(n_lines, dtype=np.int64)
    fits = np.ones(n_lines, dtype=bool)
    fits[misfit_rows] = False
    ids[fits] = content_ids
    shifted = np.where(misfit_ids >= 0, misfit_ids + len(content_templates), -1)
    ids[~fits] = shifted
    return list(content_templates.templates) + list(misfit_templates.templates), ids


def _id_dtype(n_templates: int):
    return np.uint16 if n_templates < 0xFFFF else np.uint32


def _header_from_spec(spec: str) -> HeaderFormat:
    try:
        return HeaderFormat.parse(spec)
    except FormatError as error:
        raise CorruptArchiveError(f"corrupt archive: stored header format is unusable ({error})") from None


def _unzstd(zstd: zstandard.ZstdDecompressor, data: bytes, cap: int = MAX_DECODED) -> bytes:
    """Decompress a frame, streaming, never beyond ``cap`` bytes (a damaged or hostile frame
    may claim or expand to any size)."""
    chunks, total = [], 0
    try:
        with zstd.stream_reader(data) as stream:
            while True:
                chunk = stream.read(min(cap + 1 - total, 1 << 22))
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise CorruptArchiveError("corrupt archive: a stream expands beyond its block")
                chunks.append(chunk)
    except zstandard.ZstdError as error:
        raise CorruptArchiveError(f"corrupt archive: {error}") from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _deltas(rows: List[int]) -> np.ndarray:
    array = np.asarray(rows, dtype=np.int64)
    return np.diff(array, prepend=0).astype(np.uint32)


def _single_column(table: list) -> list:
    if len(table) != 1:
        raise CorruptArchiveError("corrupt archive: expected a one-column table")
    return table[0]


def _pack_sections(sections: List[bytes]) -> bytes:
    head = _COUNT.pack(len(sections)) + b"".join(_COUNT.pack(len(s)) for s in sections)
    return head + b"".join(sections)


def _section_table(view: memoryview):
    """The checked section lengths of a payload's body, and where the first section starts."""
    if len(view) < _COUNT.size:
        raise CorruptArchiveError("corrupt archive: block payload is empty")
    (count,) = _COUNT.unpack_from(view)
    start = _COUNT.size * (count + 1)
    if start > len(view):
        raise CorruptArchiveError("corrupt archive: block section table is damaged")
    lengths = np.frombuffer(view[_COUNT.size:start], dtype="<u4").astype(np.int64)
    if start + int(lengths.sum()) != len(view):
        raise CorruptArchiveError("corrupt archive: block section table disagrees with its size")
    return lengths, start


def _unpack_sections(payload: bytes) -> List[bytes]:
    view = memoryview(payload)
    lengths, start = _section_table(view)
    sections = []
    for length in lengths.tolist():
        sections.append(bytes(view[start:start + length]))
        start += length
    return sections
