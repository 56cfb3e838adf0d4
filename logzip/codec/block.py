"""One block of input ⇄ its typed streams ⇄ the block payload.

Encoding a block::

    raw bytes ─ split_lines ─▶ lines + endings
    lines ─ HeaderFormat.split ─▶ header columns + contents (+ misfit lines kept raw)
    contents ─ TemplateMiner.fit / TemplateSet.match ─▶ template ids + parameter columns
                                                        (+ unmatched contents kept raw)

and every column goes through :func:`logzip.codec.columns.encode_table`. The
payload is a list of sections, each a length-prefixed byte string::

    0 meta (JSON)   1 endings      2 misfit line numbers   3 misfit lines
    4 header table  5 templates    6 template id per line  7 unmatched contents
    8.. one parameter table per template
"""
import json
import struct
from dataclasses import dataclass
from operator import itemgetter
from typing import List, Optional

import numpy as np
import zstandard

from ..cluster import MinerConfig, TemplateMiner, TemplateSet
from ..errors import CorruptArchiveError, FormatError
from .columns import decode_table, encode_table
from .header import HeaderFormat, infer_format
from .lines import join_lines, split_lines

PAYLOAD_VERSION = 1
SECTION_NAMES = ("meta", "line endings", "misfit line numbers", "misfit lines", "header fields",
                 "templates", "template ids", "unmatched contents")
PARAMETERS = "template parameters"
_COUNT = struct.Struct("<I")
_FIXED_SECTIONS = 8


@dataclass
class BlockModel:
    """Everything learned from one block: what the payload stores, before encoding."""

    n_lines: int
    endings: bytes
    header: Optional[HeaderFormat]
    misfit_rows: List[int]
    misfit_lines: List[bytes]
    header_columns: List[list]
    templates: TemplateSet
    template_ids: List[int]          # per fitting line, -1 when no template matched
    parameter_columns: List[list]    # per template, its parameter columns
    unmatched: List[bytes]


def analyze_block(raw: bytes, header: Optional[HeaderFormat] = None,
                  miner_config: Optional[MinerConfig] = None) -> BlockModel:
    """Split ``raw`` into its streams: lines, header fields, templates, parameters."""
    lines, endings = split_lines(raw)
    if header is None:
        header = infer_format(lines[:2000])
    if header is None:
        misfit_rows, misfit_lines, header_columns, contents = [], [], [], lines
    else:
        split = header.split(lines)
        misfit_rows = split.misfits
        misfit_lines = [lines[i] for i in misfit_rows]
        header_columns, contents = split.columns, split.contents
    templates = TemplateMiner(miner_config or MinerConfig()).fit(contents)
    matches = templates.match(contents)
    return BlockModel(len(lines), endings, header, misfit_rows, misfit_lines,
                      header_columns, templates, matches.tids, matches.columns,
                      matches.unmatched)


def encode_block(raw: bytes, level: int = 19, header: Optional[HeaderFormat] = None,
                 miner_config: Optional[MinerConfig] = None) -> bytes:
    """Compress one block of input into a self-contained payload."""
    return encode_model(analyze_block(raw, header, miner_config), level)


def encode_model(model: BlockModel, level: int) -> bytes:
    zstd = zstandard.ZstdCompressor(level=level)
    meta = {
        "v": PAYLOAD_VERSION,
        "n_lines": model.n_lines,
        "format": model.header.spec if model.header is not None else None,
        "n_fitting": len(model.template_ids),
    }
    id_dtype = np.uint16 if len(model.templates) < 0xFFFF else np.uint32
    # 0 stands for "no template", so that ids fit an unsigned array.
    ids = np.asarray(model.template_ids, dtype=np.int64) + 1
    sections = [
        json.dumps(meta).encode(),
        model.endings,
        zstd.compress(_deltas(model.misfit_rows).tobytes()),
        encode_table([model.misfit_lines], level),
        encode_table(model.header_columns, level),
        zstd.compress(model.templates.to_bytes()),
        zstd.compress(ids.astype(id_dtype).tobytes()),
        encode_table([model.unmatched], level),
    ]
    sections += [encode_table(columns, level) for columns in model.parameter_columns]
    return _pack_sections(sections)


class StoredBlock:
    """The sections of one payload, parsed and checked on demand."""

    def __init__(self, payload: bytes):
        self.sections = _unpack_sections(payload)
        if len(self.sections) < _FIXED_SECTIONS:
            raise CorruptArchiveError("corrupt archive: block has too few sections")
        try:
            meta = json.loads(self.sections[0])
            self.n_lines, self.n_fitting = int(meta["n_lines"]), int(meta["n_fitting"])
            self.spec = meta["format"]
        except (ValueError, KeyError, TypeError):
            raise CorruptArchiveError("corrupt archive: block metadata is damaged") from None
        if meta.get("v") != PAYLOAD_VERSION:
            raise CorruptArchiveError(f"unsupported block version {meta.get('v')}")
        self._zstd = zstandard.ZstdDecompressor()
        self.templates = TemplateSet.from_bytes(self._unzstd(5))
        if len(self.sections) != _FIXED_SECTIONS + len(self.templates):
            raise CorruptArchiveError("corrupt archive: block section count disagrees with its templates")

    def _unzstd(self, section: int) -> bytes:
        try:
            return self._zstd.decompress(self.sections[section])
        except zstandard.ZstdError as error:
            raise CorruptArchiveError(f"corrupt archive: {error}") from None

    def group_ids(self) -> np.ndarray:
        """Per fitting line: 0 when no template matched, else template id + 1."""
        n_templates = len(self.templates)
        dtype = np.uint16 if n_templates < 0xFFFF else np.uint32
        ids = np.frombuffer(self._unzstd(6), dtype=dtype)
        if len(ids) != self.n_fitting or (len(ids) and int(ids.max()) > n_templates):
            raise CorruptArchiveError("corrupt archive: template ids are damaged")
        return ids

    def misfit_rows(self) -> np.ndarray:
        rows = np.cumsum(np.frombuffer(self._unzstd(2), dtype=np.uint32), dtype=np.int64)
        if len(rows) and (rows[-1] >= self.n_lines or np.any(np.diff(rows) <= 0)):
            raise CorruptArchiveError("corrupt archive: misfit line numbers are damaged")
        return rows

    def contents(self, ids: np.ndarray) -> list:
        counts = np.bincount(ids, minlength=len(self.templates) + 1).tolist()
        groups = [_single_column(decode_table(self.sections[7]))]
        for tid in range(len(self.templates)):
            columns = decode_table(self.sections[_FIXED_SECTIONS + tid])
            groups.append(self.templates.render(tid, columns, counts[tid + 1]))
        return _scatter_groups(ids, groups, counts)

    def decode(self) -> bytes:
        contents = self.contents(self.group_ids())
        if self.spec is None:
            fitting = contents
        else:
            fitting = _header_from_spec(self.spec).join(decode_table(self.sections[4]), contents)
        misfit_rows = self.misfit_rows()
        misfit_lines = _single_column(decode_table(self.sections[3]))
        if len(misfit_rows) != len(misfit_lines) or len(fitting) + len(misfit_lines) != self.n_lines:
            raise CorruptArchiveError("corrupt archive: line counts disagree within a block")
        lines = _merge_rows(fitting, misfit_rows, misfit_lines, self.n_lines)
        return join_lines(lines, self.sections[1])

    def line_template_ids(self) -> np.ndarray:
        """Template id of each line, -1 for no template or a line outside the header format."""
        ids = self.group_ids().astype(np.int64) - 1
        return _line_ids(self.n_lines, self.misfit_rows(), ids)

    def section_sizes(self) -> dict:
        """Stored bytes per kind of stream (parameters summed over templates)."""
        sizes = dict(zip(SECTION_NAMES, map(len, self.sections)))
        sizes[PARAMETERS] = sum(map(len, self.sections[_FIXED_SECTIONS:]))
        return sizes


def decode_block(payload: bytes) -> bytes:
    """Inverse of :func:`encode_block`."""
    return StoredBlock(payload).decode()


def model_templates(model: BlockModel):
    """The template set of a block just analysed and the template id of each line, as
    :meth:`StoredBlock.line_template_ids` gives them for a stored one."""
    ids = np.asarray(model.template_ids, dtype=np.int64)
    return model.templates, _line_ids(model.n_lines, np.asarray(model.misfit_rows, dtype=np.int64), ids)


def _header_from_spec(spec: str) -> HeaderFormat:
    try:
        return HeaderFormat.parse(spec)
    except FormatError as error:
        raise CorruptArchiveError(f"corrupt archive: stored header format is unusable ({error})") from None


def _deltas(rows: List[int]) -> np.ndarray:
    array = np.asarray(rows, dtype=np.int64)
    return np.diff(array, prepend=0).astype(np.uint32)


def _single_column(table: list) -> list:
    if len(table) != 1:
        raise CorruptArchiveError("corrupt archive: expected a one-column table")
    return table[0]


def _gather(values, indices) -> list:
    """``[values[i] for i in indices]`` at C speed."""
    if len(indices) == 0:
        return []
    if len(indices) == 1:
        return [values[indices[0]]]
    return list(itemgetter(*indices)(values))


def _scatter_groups(ids: np.ndarray, groups: List[list], counts: List[int]) -> list:
    """Interleave per-template groups back into line order, given each line's group id."""
    order = np.argsort(ids, kind="stable")
    for group, count in zip(groups, counts):
        if len(group) != count:
            raise CorruptArchiveError("corrupt archive: a template's parameter count disagrees with its lines")
    flat = [value for group in groups for value in group]
    position = np.empty(len(ids), dtype=np.int64)
    position[order] = np.arange(len(ids))
    return _gather(flat, position.tolist())


def _merge_rows(fitting: list, misfit_rows: np.ndarray, misfit_lines: list, n_lines: int) -> list:
    if not misfit_lines:
        return list(fitting)
    is_misfit = np.zeros(n_lines, dtype=bool)
    is_misfit[misfit_rows] = True
    # Index into fitting + misfit_lines: fitting rows count up from 0, misfits from len(fitting).
    source = np.empty(n_lines, dtype=np.int64)
    source[~is_misfit] = np.arange(len(fitting))
    source[is_misfit] = np.arange(len(fitting), n_lines)
    return _gather(list(fitting) + misfit_lines, source.tolist())


def _pack_sections(sections: List[bytes]) -> bytes:
    head = _COUNT.pack(len(sections)) + b"".join(_COUNT.pack(len(s)) for s in sections)
    return head + b"".join(sections)


def _unpack_sections(payload: bytes) -> List[bytes]:
    view = memoryview(payload)
    if len(view) < _COUNT.size:
        raise CorruptArchiveError("corrupt archive: block payload is empty")
    (count,) = _COUNT.unpack_from(view)
    start = _COUNT.size * (count + 1)
    if start > len(view):
        raise CorruptArchiveError("corrupt archive: block section table is damaged")
    lengths = np.frombuffer(view[_COUNT.size:start], dtype="<u4").astype(np.int64)
    if start + int(lengths.sum()) != len(view):
        raise CorruptArchiveError("corrupt archive: block section table disagrees with its size")
    sections = []
    for length in lengths.tolist():
        sections.append(bytes(view[start:start + length]))
        start += length
    return sections


def _line_ids(n_lines: int, misfit_rows: np.ndarray, fitting_ids: np.ndarray) -> np.ndarray:
    ids = np.full(n_lines, -1, dtype=np.int64)
    fits = np.ones(n_lines, dtype=bool)
    fits[misfit_rows] = False
    ids[fits] = fitting_ids
    return ids
