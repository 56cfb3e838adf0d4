"""Corpora: exact answers whatever the sharding, documents that never merge, safe builds, streaming hits."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import fmindex
from fmindex.corpus import Corpus, Section, open_sections
from fmindex.errors import IndexClosedError, OutputExistsError
from tests.test_fmindex import occurrences




def as_sections(path) -> Corpus:
    """The shards of an .fmi file opened through open_sections, as an archive's would be."""
    data = path.read_bytes()
    meta_len = int.from_bytes(data[12:16], "little")
    meta = json.loads(data[16:16 + meta_len])
    return open_sections(path, [Section(offset, length, raw, line, f"shard {k}")
                                for k, (offset, length, line, raw) in enumerate(meta["shards"])])


def both_ways(tmp_path, text: bytes, shard_size: int) -> list:
    """The index of ``text`` in shards of ``shard_size``, opened as a file and as sections."""
    source, index = tmp_path / "t.log", tmp_path / "t.fmi"
    source.write_bytes(text)
    fmindex.build(source, index, shard_size=shard_size)
    return [fmindex.open(index), as_sections(index)]


def test_linux_counts_across_shard_boundaries(tmp_path, read_corpus):
    """Issue 4: with shard_size=1024, 'user unknown\\nJun' counted 72 instead of 82."""
    text = read_corpus("loghub-2k/Linux_2k.log")
    for corpus in both_ways(tmp_path, text, shard_size=1024):
        with corpus:
            assert len(corpus.shards) > 100
            assert corpus.count(b"user unknown\nJun") == 82
            for pattern in (b"user unknown\nJun", b"\nJun", b"):\n", b"sshd", b"\n"):
                assert corpus.count(pattern) == len(occurrences(text, pattern)), pattern
                assert corpus.locate(pattern).tolist() == occurrences(text, pattern), pattern
            every = occurrences(text, b"\nJun")
            assert corpus.locate(b"\nJun", 50, first=True).tolist() == every[:50]
            assert len(corpus.locate(b"\nJun", 50)) == 50


def test_matches_spanning_three_or_more_shards(tmp_path):
    text = b"".join(b"line %d of a log\n" % (i % 3) for i in range(60)) + b"x" * 300 + b"\nend\n"
    for corpus in both_ways(tmp_path, text, shard_size=40):
        with corpus:
            assert len(corpus.shards) > 10
            for start, length in ((5, 90), (17, 200), (900, 330), (0, len(text)), (1000, 7)):
                pattern = text[start: start + length]
                assert corpus.count(pattern) == len(occurrences(text, pattern)), (start, length)
                assert corpus.locate(pattern).tolist() == occurrences(text, pattern)
            for pattern in (b"x" * 100, b"log\nline 1", b"of a log\nline 2 of a log\nline 0"):
                assert corpus.count(pattern) == len(occurrences(text, pattern))
                assert [h.offset for h in corpus.iter_hits(pattern)] == occurrences(text, pattern)


def test_folder_documents_never_merge(tmp_path):
    """Issue 5: a file without a final newline merged into the next one; symlinks counted twice."""
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.log").write_bytes(b"alpha one\nalpha end")  # no final newline
    (folder / "b.log").write_bytes(b"beta start\nbeta two\n")
    (folder / "sub" / "c.log").write_bytes(b"gamma\n")
    os.symlink(folder / "b.log", folder / "link.log")
    os.symlink(folder / "sub", folder / "zlinked")
    fmindex.build(folder, tmp_path / "logs.fmi", shard_size=16)
    with fmindex.open(tmp_path / "logs.fmi") as corpus:
        assert corpus.names == ["a.log", "b.log", os.path.join("sub", "c.log")]
        assert corpus.count(b"endbeta") == 0 and corpus.count(b"end\nbeta") == 0
        assert corpus.count(b"beta two\ngamma") == 0 and corpus.locate(b"two\ngam").tolist() == []
        assert corpus.count(b"beta") == 2 and corpus.count(b"gamma") == 1  # the links are not followed
        assert corpus.count(b"one\nalpha") == 1
        assert [(h.doc, h.line) for h in corpus.hits(b"beta")] == [(1, 1), (1, 2)]
        assert [(h.doc, h.line) for h in corpus.hits(b"end")] == [(0, 2)]
        assert [(h.doc, h.doc_offset, h.line) for h in corpus.iter_hits(b"a", first=True)][-1][0] == 2


def test_records_matches_stay_in_their_record(tmp_path):
    source = tmp_path / "r.jsonl"
    source.write_text("\n".join(json.dumps({"text": t}) for t in ["one\ntwo", "two\nthree", "x"]) + "\n")
    fmindex.build(source, tmp_path / "r.fmi")
    with fmindex.open(tmp_path / "r.fmi") as corpus:
        assert corpus.count(b"two\ntwo") == 0 and corpus.count(b"two\nthree") == 1
        assert corpus.locate(b"\nt").tolist() == [3, 11]


def test_long_pattern_counts_zero_and_closed_corpus_raises(tmp_path):
    """Issue 6."""
    source = tmp_path / "t.log"
    source.write_bytes(b"short\n")
    fmindex.build(source, tmp_path / "t.fmi")
    corpus = fmindex.open(tmp_path / "t.fmi")
    assert [corpus.count(p) for p in (b"short\nand long", b"short")] == [0, 1]
    assert corpus.locate(b"x" * 100).tolist() == [] and corpus.hits(b"x" * 100) == []
    corpus.close()
    corpus.close()
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a").write_bytes(b"a\n")
    fmindex.build(folder, tmp_path / "docs.fmi")
    documents = fmindex.open(tmp_path / "docs.fmi")
    documents.close()
    with pytest.raises(IndexClosedError):
        documents.n_docs
    calls = [lambda: corpus.count(b"s"), lambda: corpus.locate(b"s"), lambda: corpus.hits(b"s"),
             lambda: list(corpus.iter_hits(b"s")), lambda: corpus.extract(0, 2), lambda: corpus.lines_of([0]),
             lambda: corpus.line_start(0), lambda: corpus.line(0), lambda: corpus.doc_name(0),
             lambda: corpus.verify(), lambda: corpus.n_lines, lambda: corpus.n_docs, lambda: corpus.nbytes,
             lambda: len(corpus)]
    for call in calls:
        with pytest.raises(IndexClosedError, match="closed"):
            call()


def test_build_does_not_overwrite_without_being_asked(tmp_path):
    """Issue 7."""
    source, output = tmp_path / "t.log", tmp_path / "t.fmi"
    source.write_bytes(b"one\ntwo\n")
    fmindex.build(source, output)
    before = output.read_bytes()
    umask = os.umask(0o022)
    os.umask(umask)
    assert output.stat().st_mode & 0o777 == 0o666 & ~umask  # the temporary file was not private
    with pytest.raises(OutputExistsError, match="exists"):
        fmindex.build(source, output)
    assert isinstance(OutputExistsError(), FileExistsError)
    source.write_bytes(b"three\n")
    fmindex.build(source, output, overwrite=True)
    assert output.read_bytes() != before
    with pytest.raises(ValueError, match="is the input"):
        fmindex.build(source, source, overwrite=True)
    os.symlink(source, tmp_path / "link.fmi")
    with pytest.raises(ValueError, match="is the input"):
        fmindex.build(source, tmp_path / "link.fmi", overwrite=True)
    assert source.read_bytes() == b"three\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.fmi", "t.fmi", "t.log"]
    (tmp_path / "link.fmi").unlink()
    fmindex.build(tmp_path, output, overwrite=True)  # an index written into the folder it indexes
    fmindex.build(tmp_path, output, overwrite=True)
    with fmindex.open(output) as corpus:
        assert corpus.names == ["t.log"]


def test_concurrent_builds_use_their_own_temporary_files(tmp_path):
    source, output = tmp_path / "t.log", tmp_path / "t.fmi"
    source.write_bytes(b"".join(b"line %d\n" % i for i in range(20000)))
    errors = []

    def build():
        try:
            fmindex.build(source, output, overwrite=True, shard_size=20000)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with fmindex.open(output) as corpus:
        corpus.verify()
        assert corpus.count(b"line 1999\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.fmi", "t.log"]


def test_sigterm_removes_the_temporary_file(tmp_path):
    source = tmp_path / "big.log"
    source.write_bytes(b"".join(b"event %d on node %d\n" % (i, i % 97) for i in range(400_000)))
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fmindex
        fmindex.build({str(source)!r}, {str(tmp_path / 'big.fmi')!r}, shard_size=200_000)
        """)], cwd=os.path.dirname(os.path.dirname(__file__)))
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
        assert child.poll() is None and time.monotonic() < deadline, "the build ended before SIGTERM"
        time.sleep(0.01)
    time.sleep(0.3)
    child.send_signal(signal.SIGTERM)
    assert child.wait(60) == -signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.log"]


def test_iter_hits_streams_in_text_order(tmp_path, monkeypatch):
    """Issue 9: every hit, in text order, chunk by chunk, shard by shard."""
    text = b"".join(b"id %d: k=%d\n" % (i, i % 7) for i in range(3000))
    source = tmp_path / "t.log"
    source.write_bytes(text)
    fmindex.build(source, tmp_path / "t.fmi", shard_size=5000)
    monkeypatch.setattr(Corpus, "CHUNK", 37)
    with fmindex.open(tmp_path / "t.fmi") as corpus:
        stream = corpus.iter_hits(b"k=3\nid")
        assert next(stream).offset == occurrences(text, b"k=3\nid")[0]  # lazy: the first hit comes first
        assert list(corpus.iter_hits(b"k=3\nid")) == corpus.hits(b"k=3\nid")
        assert [h.offset for h in corpus.iter_hits(b"k=3\nid")] == occurrences(text, b"k=3\nid")
        anywhere = list(corpus.iter_hits(b": k=", first=False))
        assert sorted(h.offset for h in anywhere) == occurrences(text, b": k=")
        assert sorted(anywhere, key=lambda h: h.offset) == corpus.hits(b": k=")


@pytest.mark.parametrize("locate_per_boundary", [0, 10**9], ids=["by-boundary", "by-locate"])
def test_document_and_shard_boundaries_together(tmp_path, monkeypatch, locate_per_boundary):
    """Both ways of taking out matches across documents, with shard cuts inside and between them."""
    monkeypatch.setattr(fmindex.corpus, "LOCATE_PER_BOUNDARY", locate_per_boundary)
    folder = tmp_path / "docs"
    folder.mkdir()
    documents = [b"".join(b"doc %d line %d\n" % (d, i) for i in range(d * 7 % 11)) + b"tail %d" % (d % 2)
                 for d in range(12)]
    for number, document in enumerate(documents):
        (folder / ("%02d.log" % number)).write_bytes(document)
    fmindex.build(folder, tmp_path / "docs.fmi", shard_size=100)
    ended = [d if d.endswith(b"\n") else d + b"\n" for d in documents]
    with fmindex.open(tmp_path / "docs.fmi") as corpus:
        assert len(corpus.shards) > 5
        for pattern in (b"\ndoc", b"tail 1\ndoc", b"0\ndoc 1 line", b"line 2\ndoc 5", b"\n", b"e 1\n"):
            starts = [sum(map(len, ended[:k])) + s for k, d in enumerate(ended) for s in occurrences(d, pattern)]
            assert corpus.count(pattern) == len(starts), pattern
            assert corpus.locate(pattern).tolist() == starts, pattern


def test_lines_in_runs_equal_line_by_line(tmp_path):
    text = b"".join(b"line %d of the log\n" % i for i in range(3000)) + b"last, no end"
    (tmp_path / "a.log").write_bytes(text)
    fmindex.build(tmp_path / "a.log", tmp_path / "a.fmi", shard_size=5000)
    wanted = [0, 1, 2, 3, 10, 500, 501, 502, 1999, 2000, 2999, 3000]
    with fmindex.open(tmp_path / "a.fmi") as corpus:
        assert corpus.lines(wanted) == [corpus.line(k) for k in wanted]
        assert corpus.lines(wanted)[-1] == b"last, no end" and corpus.lines([]) == []
