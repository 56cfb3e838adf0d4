"""FM-index shards and corpora against brute force, on generated texts and patterns."""
import json
import mmap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmindex
from fmindex import CorruptIndexError, FMIndex, PatternError, format
from fmindex.corpus import Corpus, Shard


def occurrences(text: bytes, pattern: bytes) -> list:
    """Start of every occurrence of pattern in text, overlapping ones included."""
    found, start = [], text.find(pattern)
    while start >= 0:
        found.append(start)
        start = text.find(pattern, start + 1)
    return found


def line_starts(text: bytes) -> list:
    return [0] + [i + 1 for i, byte in enumerate(text) if byte == 10 and i + 1 < len(text)]


# Small alphabets make repeats and long BWT runs; the full one reaches \x00 and \xff.
ALPHABETS = [b"ab", b"a\n", b"\x00\xff", b"abc \n\r", bytes(range(256))]
texts = st.sampled_from(ALPHABETS).flatmap(
    lambda alphabet: st.lists(st.sampled_from(alphabet), min_size=1, max_size=400).map(
        lambda symbols: bytes(symbols)) | st.binary(min_size=1, max_size=400))
options = st.fixed_dictionaries({"sa_rate": st.sampled_from([None, 1, 3, 32, 4096]),
                                 "line_anchors": st.sampled_from([None, False, True]),
                                 "isa_rate": st.sampled_from([1, 7, 128]),
                                 "sample_words": st.sampled_from([1, 2, 32, 64]),
                                 "trie_share": st.sampled_from([0.0, 1.0])})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, options=options, data=st.data())
def test_count_locate_extract_agree_with_brute_force(text, options, data):
    index = FMIndex.build(text, **options)
    for _ in range(8):
        if data.draw(st.booleans()):
            start = data.draw(st.integers(0, len(text) - 1))
            pattern = text[start: start + data.draw(st.integers(1, 12))]
        else:
            pattern = data.draw(st.binary(min_size=1, max_size=min(4, len(text))))
        expected = occurrences(text, pattern)
        assert index.count(pattern) == len(expected)
        assert index.locate(pattern).tolist() == expected
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert index.extract(start, end) == text[start:end]
    assert index.extract(0, len(text)) == text


@settings(max_examples=60, deadline=None)
@given(text=texts)
def test_lines_of_every_offset(text):
    index = FMIndex.build(text)
    starts = line_starts(text)
    assert index.n_lines == len(starts)
    lines = index.lines_of(np.arange(len(text))).tolist()
    assert lines == [np.searchsorted(starts, i, side="right") - 1 for i in range(len(text))]
    assert [index.line(k) for k in range(len(starts))] == [
        text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


@pytest.mark.parametrize("text", [b"GET /a\nPOST /b\n\nGET /a\n", b"x\ny\n\n\nx\ny", b"\n\n\n", b"a\r\nb\r\na\r\n"])
def test_locate_by_line_anchors_alone(text):
    """With samples too rare to reach, every position is found through the start of its line."""
    index = FMIndex.build(text, sa_rate=4096, line_anchors=True)
    assert len(index.tables["feeds"])
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            assert index.locate(text[start:end]).tolist() == occurrences(text, text[start:end])


def test_line_anchors_chosen_for_logs_not_for_short_lines(read_corpus):
    log = read_corpus("loghub-2k/HDFS_2k.log")
    anchored = FMIndex.build(log)
    assert len(anchored.tables["feeds"]) and anchored.params["sa_rate"] > 64
    plain = FMIndex.build(log, sa_rate=64, line_anchors=False)
    assert anchored.nbytes < plain.nbytes
    words = b"\n".join(b"w%d" % (i % 97) for i in range(20000))  # lines of 3 bytes: anchors cost more
    assert not len(FMIndex.build(words).tables["feeds"])
    for pattern in (b"blk_", b"INFO dfs.DataNode$PacketResponder: PacketResponder 1"):
        assert anchored.locate(pattern).tolist() == plain.locate(pattern).tolist() == occurrences(log, pattern)


def test_version_1_shards_still_open(monkeypatch):
    """Shards written before line anchors (format version 1) are read and located by samples."""
    text = b"alpha beta\ngamma alpha\n" * 50
    current = FMIndex.build(text, sa_rate=8, line_anchors=False)
    monkeypatch.setattr(format, "VERSION", 1)
    monkeypatch.setattr(format, "TABLES", {k: v for k, v in format.TABLES.items() if k != "feeds"})
    old = format.serialize(current.params, current.tables)
    monkeypatch.undo()
    assert old[8] == 1 and format.VERSION == 2
    index = FMIndex.from_buffer(old)
    index.verify()
    assert index.locate(b"alpha").tolist() == occurrences(text, b"alpha")
    assert index.extract(0, len(text)) == text


def test_every_byte_value_is_a_symbol():
    text = bytes(range(256)) * 3 + b"\x00\x00\xff\xff"
    index = FMIndex.build(text)
    for value in range(256):
        assert index.count(bytes([value])) == text.count(bytes([value]))
    for pattern in (b"\xff\x00", b"\x00\x00", b"\xff\xff", b"\xfe\xff\x00\x01"):
        assert index.count(pattern) == len(occurrences(text, pattern)) > 0
        assert index.locate(pattern).tolist() == occurrences(text, pattern)


def test_single_symbol_text_and_long_runs():
    index = FMIndex.build(b"a" * 10000)
    assert index.count(b"a" * 9999) == 2
    assert index.locate(b"a" * 9998).tolist() == [0, 1, 2]
    assert index.count(b"b") == 0
    assert index.extract(5000, 5010) == b"a" * 10


def test_bad_patterns():
    index = FMIndex.build(b"some text")
    with pytest.raises(PatternError, match="empty"):
        index.count(b"")
    assert index.count(b"some text, longer") == 0  # longer than the text: no occurrence
    assert index.locate(b"some text, longer").tolist() == []
    with pytest.raises(TypeError):
        index.count("str")


def test_build_shard_round_trips_through_a_buffer_at_an_offset():
    text = b"line one\nline two\n\nline four without end"
    blob = fmindex.build_shard(text)
    padded = b"\x00" * 128 + blob + b"\x00" * 64
    index = FMIndex.from_buffer(padded, offset=128, length=len(blob))
    assert index.count(b"line") == 3
    assert index.extract(0, len(text)) == text
    index.verify()


def test_open_maps_the_file_without_reading_it(tmp_path):
    source = tmp_path / "app.log"
    source.write_bytes(b"".join(b"%d GET /item/%d 200\n" % (i, i % 7) for i in range(3000)))
    fmindex.build(source, tmp_path / "app.fmi", shard_size=10_000)
    with fmindex.open(tmp_path / "app.fmi") as corpus:
        assert len(corpus.shards) > 1
        for shard in corpus.shards:  # tables are views of the map, not copies
            assert isinstance(shard.index._owner, mmap.mmap)
            assert not any(table.flags.owndata for table in shard.index.tables.values())
        text = source.read_bytes()
        for pattern in (b"/item/3 ", b"200\n", b"\n2999 "):
            assert corpus.count(pattern) == len(occurrences(text, pattern))
            assert corpus.locate(pattern).tolist() == occurrences(text, pattern)
        assert corpus.extract(0, len(text)) == text
        hits = corpus.hits(b"GET /item/5", limit=None)
        for hit in hits:
            assert hit.line == np.searchsorted(line_starts(text), hit.offset, side="right")
            assert hit.doc == hit.line - 1
        corpus.verify()


def test_line_longer_than_a_shard_keeps_line_numbers(tmp_path):
    source = tmp_path / "giant.log"
    text = b"first\n" + b"0123456789" * 500 + b" needle\nlast needle\n"
    source.write_bytes(text)
    fmindex.build(source, tmp_path / "giant.fmi", shard_size=1024)
    with fmindex.open(tmp_path / "giant.fmi") as corpus:
        assert len(corpus.shards) > 4 and corpus.extract(0, len(text)) == text
        assert [h.line for h in corpus.hits(b"needle")] == [2, 3]
        assert corpus.line(1) == text.split(b"\n")[1] + b"\n"
        assert corpus.lines_of([3000]).tolist() == [1] and corpus.n_lines == 3


def test_shards_count_sum_locate_union():
    parts = [b"abc\nabd\n", b"xabc\n", b"abcabc\n"]
    shards, offset, first_line = [], 0, 0
    for part in parts:
        index = FMIndex.build(part)
        shards.append(Shard(index, offset, first_line))
        offset += len(part)
        first_line += index.n_lines
    corpus = Corpus(shards)
    text = b"".join(parts)
    assert corpus.count(b"abc") == 4
    assert corpus.locate(b"abc").tolist() == occurrences(text, b"abc")
    assert corpus.lines_of(occurrences(text, b"abc")).tolist() == [0, 2, 3, 3]
    assert corpus.line(2) == b"xabc\n"
    assert corpus.count(b"x" * (len(text) + 1)) == 0
    assert corpus.locate(b"x" * (len(text) + 1)).tolist() == []


def test_locate_first_occurrences_by_offset():
    """limit alone takes any occurrences of a shard (the fastest); first takes its first ones."""
    parts = [b"".join(b"id %d: k=%d\n" % (i, i % 7) for i in range(j, 3000, 3)) for j in range(3)]
    shards, offset, first_line = [], 0, 0
    for part in parts:
        index = FMIndex.build(part)
        shards.append(Shard(index, offset, first_line))
        offset, first_line = offset + len(part), first_line + index.n_lines
    corpus, text = Corpus(shards), b"".join(parts)
    every = occurrences(text, b"k=3")
    for limit in (0, 1, 5, 200, 500, 10_000):
        assert corpus.locate(b"k=3", limit, first=True).tolist() == every[:limit]
        assert [hit.offset for hit in corpus.hits(b"k=3", limit, first=True)] == every[:limit]
        assert set(corpus.locate(b"k=3", limit).tolist()) <= set(every)
    assert shards[0].index.locate(b"k=3", 4).tolist() != every[:4]  # any four: here not the first ones


def test_folder_documents(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"alpha\nbeta needle\n")
    (folder / "sub" / "b.txt").write_bytes(b"needle first\nno end needle")
    fmindex.build(folder, tmp_path / "docs.fmi")
    with fmindex.open(tmp_path / "docs.fmi") as corpus:
        assert corpus.kind == "files" and corpus.n_docs == 2
        hits = corpus.hits(b"needle")
        assert [(corpus.doc_name(h.doc), h.doc_offset, h.line) for h in hits] == [
            ("a.txt", 11, 2), ("sub/b.txt", 0, 1), ("sub/b.txt", 20, 2)]


def test_jsonl_records(tmp_path):
    source = tmp_path / "records.jsonl"
    records = [{"text": "first record\nsecond line", "id": 1}, {"body": "x", "text": "tab\there \u00e9"}]
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    fmindex.build(source, tmp_path / "r.fmi")
    with fmindex.open(tmp_path / "r.fmi") as corpus:
        assert corpus.kind == "records" and corpus.n_docs == 2
        assert [(h.doc, h.doc_offset, h.line) for h in corpus.hits(b"line")] == [(0, 20, 2)]
        assert corpus.count("\u00e9".encode()) == 1
        assert corpus.hits(b"tab\t")[0].doc == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"other": 1}\n')
    with pytest.raises(ValueError, match="no 'text' field"):
        fmindex.build(bad, tmp_path / "bad.fmi")


@pytest.fixture
def index_file(tmp_path):
    source = tmp_path / "small.log"
    source.write_bytes(b"".join(b"event %d happened\n" % i for i in range(500)))
    fmindex.build(source, tmp_path / "small.fmi")
    return tmp_path / "small.fmi"


@pytest.mark.parametrize("cut", [0, 7, 40, 200, -1])
def test_truncated_index_is_rejected(index_file, cut):
    data = index_file.read_bytes()
    index_file.write_bytes(data[:cut] if cut >= 0 else data[: len(data) // 2])
    with pytest.raises(CorruptIndexError):
        fmindex.open(index_file)


def test_foreign_file_is_rejected(tmp_path):
    path = tmp_path / "foreign.fmi"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))
    with pytest.raises(CorruptIndexError, match="not an fmsearch index"):
        fmindex.open(path)


def test_damaged_header_is_detected(index_file):
    data = bytearray(index_file.read_bytes())
    data[20] ^= 0x01  # inside the JSON head
    index_file.write_bytes(data)
    with pytest.raises(CorruptIndexError, match="checksum"):
        fmindex.open(index_file)


@pytest.mark.parametrize("table", ["stream", "sa", "isa", "feeds", "lwords"])
def test_damaged_big_table_is_found_by_verify_and_queries_do_not_crash(table):
    text = b"".join(b"event %d happened\n" % i for i in range(2000))
    blob = bytearray(fmindex.build_shard(text, sa_rate=32, line_anchors=True))
    number = list(format.TABLES).index(table)
    _, offset, length, _ = format.ENTRY.unpack_from(blob, format.HEADER.size + number * format.ENTRY.size)
    for position in range(offset, offset + length, 13):
        blob[position] = (blob[position] * 7 + 91) & 0xFF
    index = FMIndex.from_buffer(bytes(blob))  # open reads the header and small tables only
    with pytest.raises(CorruptIndexError, match="checksum"):
        index.count(b"event 1")  # the first query checks the checksums
    with pytest.raises(CorruptIndexError, match="checksum"):
        index.verify()
    index._verified = True  # as if the checksums had been forged: the core alone must hold
    queries = [lambda: index.count(b"event 1"), lambda: index.locate(b"happened", limit=500),
               lambda: index.extract(0, 500), lambda: index.lines_of(np.arange(0, len(text), 100))]
    for query in queries:
        try:
            answer = query()
        except CorruptIndexError:
            continue
        if isinstance(answer, np.ndarray) and query is queries[1]:
            assert all(0 <= position < len(text) for position in answer)


def test_damaged_small_tables_are_rejected_on_open():
    blob = bytearray(fmindex.build_shard(b"abracadabra\n" * 50))
    index = FMIndex.from_buffer(bytes(blob))
    children_at = blob.index(np.asarray(index.tables["children"]).tobytes())
    blob[children_at] ^= 0x7F  # a tree node pointing anywhere
    with pytest.raises(CorruptIndexError):
        FMIndex.from_buffer(bytes(blob))
