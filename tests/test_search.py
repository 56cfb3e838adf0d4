"""logzip.search: counts and locates in archives, on both tiers, equal a scan of the original text."""
import random
import re
import subprocess
import sys

from pathlib import Path

import numpy as np
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import logzip
import logzip.search
from corpora.edge_cases import FORMAT, edge_cases
from corpora.generate import FORMATS, generate
from corpora.shared import LOGHUB_FULL_FORMATS, corpora_dir as find_corpora_dir, loghub_2k_formats
from logzip.codec.block import StoredBlock, encode_structured
from logzip.codec.header import HeaderFormat
from logzip.codec._summary import byte_mask
from logzip.codec.summary import pair_bits
from logzip.search._scan import Automaton, gram_bits
from logzip.search.archive import StreamArchive
from logzip.search import blocks as blocks_module
from logzip.search.blocks import StreamBlock, TextBlock
from logzip.search import layout as layout_module
from logzip.search.layout import block_layout
from tests.test_fmindex import line_starts, occurrences


def sample_patterns(text: bytes, n: int, seed: int = 0) -> list:
    """Substrings of the text of 1 to 40 bytes (some across line ends), and a few that are not in it."""
    rng = random.Random(seed)
    patterns = [b"\n", b"\r\n", b" ", b"\x00", b"\xff", b"zq\x01never", b"\n\n"]
    for _ in range(n if text else 0):
        start = rng.randrange(len(text))
        patterns.append(text[start:start + rng.choice((1, 2, 3, 5, 8, 16, 24, 40))])
    return patterns


def stream_blocks(pieces, header=None):
    """Each text of ``pieces`` as a structured block searched in its streams (never plain zstd)."""
    return [StreamBlock(block_layout(StoredBlock(encode_structured(raw, 3, header)))) for raw in pieces]


def count_in_blocks(blocks, pattern: bytes) -> int:
    automaton, state, total = Automaton(pattern), 0, 0
    for block in blocks:
        found, state = block.count(automaton, state)
        total += found
    return total


def starts_in_blocks(blocks, pieces, pattern: bytes) -> list:
    automaton, state, offset, found = Automaton(pattern), 0, 0, []
    for block, raw in zip(blocks, pieces):
        starts, state = block.locate(automaton, state)
        found += (starts + offset).tolist()
        offset += len(raw)
    return found


def cut(text: bytes, sizes) -> list:
    """``text`` in consecutive pieces of the given sizes (the last takes the rest)."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(text[start:start + size])
        start += size
    return [p for p in pieces + [text[start:]] if p]


@pytest.mark.parametrize("name", sorted(edge_cases(giant_line_bytes=200_000)))
@pytest.mark.parametrize("with_format", [True, False])
def test_edge_cases_count_and_locate_exactly(name, with_format):
    text = edge_cases(giant_line_bytes=200_000)[name][:60_000]
    header = HeaderFormat.parse(FORMAT) if with_format else None
    pieces = cut(text, [len(text) // 3, 7, len(text) // 4])   # blocks cut anywhere, even mid-line
    blocks = stream_blocks(pieces, header)
    for block, raw in zip(blocks, pieces):
        assert block.line_starts()[-1] == len(raw)
        assert b"".join(block.line(j) for j in range(block.n_lines)) == raw
        rendered, offsets = block.lines(np.arange(block.n_lines))
        assert rendered == raw and offsets.tolist() == block.line_starts().tolist()
    for pattern in sample_patterns(text, 40):
        assert count_in_blocks(blocks, pattern) == len(occurrences(text, pattern)), pattern
    for pattern in sample_patterns(text, 8, seed=1):
        assert starts_in_blocks(blocks, pieces, pattern) == occurrences(text, pattern), pattern


LINE_WORDS = [b"INFO", b"WARN", b"node-1", b"node-12", b"a", b"aa", b"=", b"x=1", b"\t", b"\x00", b"\xff",
              b"\r", b"", b"12", b"123456789", b"-", b"[1]", b"[22]:"]


@st.composite
def logs(draw):
    """Lines of a few words from a small vocabulary (so that templates form), spaces of any run."""
    n = draw(st.integers(1, 120))
    words = st.lists(st.sampled_from(LINE_WORDS), min_size=0, max_size=7)
    spaces = st.sampled_from([b" ", b" ", b" ", b"  ", b"\t"])
    lines = []
    for _ in range(n):
        parts = draw(words)
        line = b""
        for k, part in enumerate(parts):
            line += (draw(spaces) if k else b"") + part
        lines.append(line)
    endings = draw(st.sampled_from([b"\n", b"\r\n", None]))
    if endings is None:
        text = b"".join(line + draw(st.sampled_from([b"\n", b"\r\n"])) for line in lines)
    else:
        text = endings.join(lines) + endings
    if draw(st.booleans()):
        text = text.rstrip(b"\n")
    return text


@given(text=logs(), data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_logs_count_and_locate_exactly(text, data):
    spec = data.draw(st.sampled_from([None, "<Level> <Node> <Content>", r"<Level>(\[<Pid>\])? <Content>",
                                      "<A> <Content> <B>"]))
    header = HeaderFormat.parse(spec) if spec else None
    sizes = data.draw(st.lists(st.integers(1, max(1, len(text))), max_size=3))
    pieces = cut(text, sizes)
    blocks = stream_blocks(pieces, header)
    start = data.draw(st.integers(0, max(0, len(text) - 1)))
    drawn = text[start:start + data.draw(st.integers(1, 30))]
    for pattern in {drawn, data.draw(st.binary(min_size=1, max_size=4)), b"\n", b" \n", b"\r\nINFO"}:
        if pattern:
            assert count_in_blocks(blocks, pattern) == len(occurrences(text, pattern))
            assert starts_in_blocks(blocks, pieces, pattern) == occurrences(text, pattern)


_SMALL = st.text(alphabet="ab 1\n", max_size=10).map(str.encode)


@given(pattern=_SMALL.filter(bool), static=_SMALL, leads=st.sets(st.sampled_from(b"ab 1\n")), tail=_SMALL)
@settings(max_examples=300, deadline=None)
def test_a_dead_state_reads_on_as_state_zero(pattern, static, leads, tail):
    """A state that live_after calls dead gives the same states and matches as state 0 on any
    text that begins with the static bytes and then a lead byte."""
    automaton = Automaton(pattern)
    mask = sum(1 << b for b in leads) if leads else None
    live = automaton.live_after(static, mask)
    assert live[0] == 0
    for state in np.flatnonzero(live == 0)[1:].tolist():
        for lead in (leads or [None]):
            text = static + (bytes([lead]) if lead is not None else b"") + tail
            assert automaton.run(text, state) == automaton.run(text, 0), (state, text)


@given(st.binary(max_size=300))
def test_byte_mask_is_the_set_of_bytes(data):
    assert byte_mask(data) == sum(1 << b for b in set(data))


def test_live_after_tells_the_prefixes_that_go_on():
    automaton = Automaton(b"46 node-2")
    digits = sum(1 << b for b in b"0123456789")
    assert automaton.live_after(b" ", digits).tolist() == [0] * 10     # a digit never follows "46 "
    live = automaton.live_after(b" ", sum(1 << b for b in b"n")).tolist()
    assert [s for s in range(10) if live[s]] == [2]                   # "46" + " n": only after "46"


@pytest.mark.parametrize("chunk_log", [None, 5])
def test_columns_ruled_out_by_their_pairs_count_exactly(monkeypatch, read_corpus, loghub_2k_systems, chunk_log):
    """Every column read through its byte pairs (the shortcut of large columns), and with
    ``chunk_log`` searched only in the 32-byte chunks that hold a pattern's 4-grams: exact still."""
    monkeypatch.setattr(blocks_module, "REACH_BYTES", 1)
    if chunk_log is not None:
        monkeypatch.setattr(blocks_module, "CHUNKED_BYTES", 1)
        monkeypatch.setattr(blocks_module, "CHUNK_LOG", chunk_log)
        monkeypatch.setattr(layout_module, "CHUNK_LOG", chunk_log)
    texts = [(edge_cases(giant_line_bytes=200_000)[name][:60_000], FORMAT) for name in sorted(edge_cases())]
    texts += [(read_corpus(f"loghub-2k/{system}_2k.log"), loghub_2k_systems[system])
              for system in ("HPC", "Hadoop", "Linux", "Proxifier", "Zookeeper")]
    for text, spec in texts:
        pieces = cut(text, [len(text) // 2])
        for blocks in (stream_blocks(pieces, HeaderFormat.parse(spec)), stream_blocks(pieces)):
            for pattern in sample_patterns(text, 30, seed=2):
                assert count_in_blocks(blocks, pattern) == len(occurrences(text, pattern)), pattern
            for pattern in sample_patterns(text, 5, seed=3):
                assert starts_in_blocks(blocks, pieces, pattern) == occurrences(text, pattern), pattern


def test_line_maps_hold_the_pairs_and_grams_of_their_lines(read_corpus, loghub_2k_systems):
    """The line maps made from the pieces are the byte pairs and 4-grams of the rendered lines
    of each segment after their header (terminators in, what lies across lines out): none
    missed, none made up."""
    texts = [(edge_cases(giant_line_bytes=200_000)[name][:60_000], FORMAT) for name in sorted(edge_cases())]
    texts += [(read_corpus(f"loghub-2k/{system}_2k.log"), loghub_2k_systems[system]) for system in ("HPC", "Linux")]
    across = np.arange(ord("\n") << 5, (ord("\n") + 1) << 5)   # the bytes of pairs (\n, x)
    for text, spec in texts:
        for header in (HeaderFormat.parse(spec), None):
            layout = stream_blocks([text], header)[0].layout
            for group, lines in ((layout.contents, layout.fit_lines), (layout.misfits, layout.misfit_lines)):
                pairs, grams = layout.line_maps(group)
                heads = layout.head.lengths() if group is layout.contents else None
                for number, segment in enumerate(group.segments):
                    rows = group.rows_of(number)
                    rendered, offsets = layout.lines(lines[rows])
                    if heads is not None:
                        parts = [rendered[start + head:end]
                                 for start, end, head in zip(offsets[:-1], offsets[1:], heads[rows])]
                        rendered = b"".join(parts)
                        offsets = np.concatenate(([0], np.cumsum([len(part) for part in parts])))
                    expected, made = pair_bits(rendered), pairs[number].copy()
                    expected[across] = made[across] = 0
                    assert (made == expected).all(), (spec, header, number)
                    expected = np.zeros(1 << 13, dtype=np.uint8)
                    for start, end in zip(offsets[:-1], offsets[1:]):
                        expected |= gram_bits(rendered[start:end], 16)
                    assert (grams[number] == expected).all(), (spec, header, number)


@pytest.mark.parametrize("system", sorted(loghub_2k_formats()))
def test_loghub_samples_count_exactly(system, read_corpus, loghub_2k_systems):
    text = read_corpus(f"loghub-2k/{system}_2k.log")
    header = HeaderFormat.parse(loghub_2k_systems[system])
    for blocks in (stream_blocks([text], header), stream_blocks([text])):
        for pattern in sample_patterns(text, 60):
            assert count_in_blocks(blocks, pattern) == len(occurrences(text, pattern)), pattern


def test_every_archive_is_searchable(tmp_path):
    """Without --index: counts, locates, lines and line numbers from the streams, across blocks
    and the members of a concatenated archive."""
    first = generate("syslog", 400_000, seed=3)
    second = generate("hdfs", 300_000, seed=4, crlf=True)[:-2]         # no final line end
    text = first + second
    path = tmp_path / "two.logz"
    path.write_bytes(logzip.compress(first, format=FORMATS["syslog"], block_size=150_000)
                     + logzip.compress(second, block_size=100_000))
    starts = line_starts(text)
    with logzip.search.open(path) as corpus:
        assert isinstance(corpus, StreamArchive) and corpus.nbytes == 0
        assert len(corpus) == len(text) and len(corpus.blocks) > 4
        assert corpus.n_lines == text.count(b"\n") + 1
        patterns = sample_patterns(text, 60, seed=5) + [text[len(first) - 5:len(first) + 5]]
        assert corpus.counts(patterns) == [len(occurrences(text, p)) for p in patterns]
        for pattern in patterns[:25]:
            hits = corpus.hits(pattern)
            assert [h.offset for h in hits] == occurrences(text, pattern)
            for hit in hits[:20]:
                assert hit.line == np.searchsorted(starts, hit.offset, side="right")
                assert hit.doc == hit.line - 1
                assert hit.doc_offset == hit.offset - starts[hit.doc]
        some = [0, 1, 1234, corpus.n_lines - 1]
        assert corpus.lines(some) == [corpus.line(k) for k in some]
        for k in some:
            assert corpus.line(k) == text[starts[k]:starts[k + 1] if k + 1 < len(starts) else len(text)]
            assert corpus.line_start(k) == starts[k]
        assert corpus.extract(len(first) - 30, len(first) + 30) == text[len(first) - 30:len(first) + 30]
        spaces = occurrences(text, b" ")
        assert [h.offset for h in corpus.hits(b" ", limit=7)] == spaces[:7]
        assert corpus.locate(b" ", limit=len(spaces) - 3).tolist() == spaces[:-3]
        corpus.verify()
    with pytest.raises(ValueError, match="closed"):
        corpus.count(b"x")


def test_indexed_archive_is_a_corpus(tmp_path):
    text = b"".join(b"2024-01-%02d node%d ERROR disk %d full\n" % (i % 28 + 1, i % 5, i) for i in range(4000))
    path = tmp_path / "a.logz"
    path.write_bytes(logzip.compress(text, index=True, block_size=40_000))
    with logzip.search.open(path) as corpus:
        assert corpus.tier == logzip.search.FM_TIER
        assert len(corpus.shards) > 1
        assert len(corpus) == len(text)
        for pattern in (b"ERROR", b"node3 ERROR disk 12", b"4 node"):
            assert corpus.count(pattern) == len(occurrences(text, pattern))
        starts = line_starts(text)
        for hit in corpus.hits(b"disk 3999 "):
            assert text[hit.offset:hit.offset + 10] == b"disk 3999 "
            assert hit.line == np.searchsorted(starts, hit.offset, side="right")
        assert corpus.line(1234) == text.split(b"\n")[1234] + b"\n"
    with logzip.search.open(path, tier="streams") as corpus:
        assert corpus.count(b"full\n2024") == len(occurrences(text, b"full\n2024"))


def test_concatenated_indexed_archives(tmp_path):
    first = b"".join(b"alpha %d ok\n" % i for i in range(3000))
    second = b"".join(b"beta %d ok\n" % i for i in range(2000))
    path = tmp_path / "both.logz"
    path.write_bytes(logzip.compress(first, index=True) + logzip.compress(second, index=True))
    text = first + second
    with logzip.search.open(path) as corpus:
        assert len(corpus) == len(text)
        for pattern in (b"alpha 2999", b"beta 1999 ok", b" ok\n"):
            assert corpus.count(pattern) == len(occurrences(text, pattern))
        hit, = corpus.hits(b"beta 7 ")
        assert text[hit.offset:hit.offset + 7] == b"beta 7 " and hit.line == 3008


def test_damaged_archive_is_an_error_not_an_answer(tmp_path):
    text = generate("hdfs", 200_000, seed=9)
    archive = bytearray(logzip.compress(text, format=FORMATS["hdfs"]))
    archive[len(archive) // 2] ^= 0x55
    path = tmp_path / "bad.logz"
    path.write_bytes(bytes(archive))
    with pytest.raises(logzip.CorruptArchiveError):
        with logzip.search.open(path) as corpus:
            corpus.count(b"INFO")


def test_fmsearch_counts_and_shows_in_a_plain_archive(tmp_path):
    text = generate("hdfs", 100_000, seed=2)
    path = tmp_path / "plain.logz"
    path.write_bytes(logzip.compress(text, format=FORMATS["hdfs"]))
    line = text.splitlines()[100]
    pattern = line[-12:]
    run = [sys.executable, "-c", "from logzip.cli.fmsearch import main; main()"]
    result = subprocess.run(run + ["count", str(path), pattern.decode()], capture_output=True, check=True)
    assert int(result.stdout) == len(occurrences(text, pattern))
    result = subprocess.run(run + ["show", str(path), pattern.decode()], capture_output=True, check=True)
    shown = [re.sub(rb"^\d+:", b"", row) for row in result.stdout.splitlines()]
    assert line in shown


def test_block_summaries_pass_blocks_by_exactly(tmp_path, monkeypatch):
    """Blocks whose byte pairs rule a pattern out are not read, yet matches across their edges count."""
    import logzip.codec.summary as summary
    monkeypatch.setattr(summary, "MIN_BLOCK", 1000)
    parts = [generate(kind, 400_000, seed=k) for k, kind in enumerate(("hdfs", "apache", "syslog", "hdfs"))]
    parts[1] = parts[1].upper()          # a block of capitals: lower-case pairs are missing from it
    text = b"".join(parts)
    path = tmp_path / "s.logz"
    path.write_bytes(b"".join(logzip.compress(p, block_size=300_000) for p in parts))   # never plain
    edges = [sum(map(len, parts[:k])) for k in range(1, len(parts))]
    patterns = [text[e - d:e + 20 - d] for e in edges for d in (1, 3, 10, 19)]
    patterns += [b"dfs.DataNode", b"INFO", b"[NOTICE]", b"zz\x00", b"kernel"] + sample_patterns(text, 30, seed=8)
    with logzip.search.open(path) as corpus:
        assert corpus.counts(patterns) == [len(occurrences(text, p)) for p in patterns]
        for pattern in patterns[:12]:
            assert corpus.locate(pattern).tolist() == occurrences(text, pattern)
        assert any(s is not None for s in corpus._summaries.values())
    with logzip.search.open(path) as corpus:
        assert corpus.count(b"\xfe\xfd") == 0      # structured blocks ruled out unread; small plain ones read
        assert corpus._cache and all(isinstance(block, TextBlock) for block in corpus._cache.values())


SHARED_PREFIX = 1 << 20


def _shared_files():
    root = find_corpora_dir()
    if root is None:
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.suffix in (".zst", ".log") and "loghub-2k" not in p.parts)


@pytest.mark.parametrize("relpath", _shared_files())
def test_every_shared_corpus_file_counts_exactly(relpath, corpora_dir, tmp_path):
    """The first MiB of every shared file (whole lines, in blocks of 400 kB, so structured ones),
    with its Loghub format when it has one."""
    path = corpora_dir / relpath
    with open(path, "rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        text = reader.read(SHARED_PREFIX) if path.suffix == ".zst" else raw.read(SHARED_PREFIX)
    if len(text) == SHARED_PREFIX:
        text = text[:text.rfind(b"\n") + 1] or text
    spec = LOGHUB_FULL_FORMATS.get(Path(relpath).name.split(".")[0]) if "loghub-full" in relpath else None
    archive = tmp_path / "a.logz"
    archive.write_bytes(logzip.compress(text, format=spec, block_size=400_000))
    patterns = sample_patterns(text, 40, seed=len(text))
    with logzip.search.open(archive) as corpus:
        assert corpus.counts(patterns) == [len(occurrences(text, p)) for p in patterns]
        for pattern in patterns[7:10]:
            assert corpus.locate(pattern).tolist() == occurrences(text, pattern)


def test_a_line_cut_between_blocks_starts_in_the_first(tmp_path):
    giant = b"start " + b"x" * 5000 + b" needle end"
    text = b"one\ntwo\n" + giant + b"\nthree needle\n"
    path = tmp_path / "cut.logz"
    path.write_bytes(logzip.compress(text, block_size=2048))      # the giant line spans blocks
    with logzip.search.open(path) as corpus:
        assert len(corpus.blocks) > 2
        assert corpus.line_start(2) == 8 and corpus.line(2) == giant + b"\n"
        hits = corpus.hits(b"needle")
        assert [(h.offset, h.line, h.doc_offset) for h in hits] == [
            (8 + giant.index(b"needle"), 3, giant.index(b"needle")), (len(text) - 7, 4, 6)]


def test_iter_hits_streams_block_by_block(tmp_path):
    """iter_hits gives what hits gives, and reads a block only when the hits before are taken."""
    text = generate("hdfs", 300_000, seed=5)
    path = tmp_path / "many.logz"
    path.write_bytes(logzip.compress(text, block_size=16 << 10))
    with StreamArchive(path) as corpus:
        assert len(corpus.blocks) > 5
        lazy = corpus.iter_hits(b"blk_")
        first = next(lazy)
        last = len(corpus.blocks) - 1           # read to learn whether the text ends open
        assert set(corpus._cache) <= {0, 1, last}
        streamed = [first] + list(lazy)
        assert streamed == corpus.hits(b"blk_")
        assert [h.offset for h in streamed] == occurrences(text, b"blk_")
        lines = line_starts(text)
        assert all(lines[h.doc] + h.doc_offset == h.offset and h.line == h.doc + 1 for h in streamed)
