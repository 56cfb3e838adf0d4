"""JSON-lines logs: skeletons as glued templates, values as columns; byte-exact and searchable."""
import json
import lzma

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logzip
import logzip.search
from logzip.cluster import Template, TemplateSet, json_lines
from logzip.codec.block import STRUCTURED, StoredBlock, analyze_block, decode_block, encode_structured
from logzip.errors import CorruptArchiveError
from tests.test_fmindex import occurrences
from tests.test_search import count_in_blocks, cut, sample_patterns, stream_blocks

EDGE_LINES = [
    b'{"big":12345678901234567890123,"neg":-9223372036854775809,"max53":9007199254740993}',
    b'{"f":1.50,"e":1e3,"E":2.5E-07,"z":-0,"zz":0.000,"dec":100.0}',
    b'{"s":"caf\\u00e9 \\/ \\"quoted\\" \\\\ \\n\\t","u":"\xc3\xa9t\xc3\xa9","nul":"a\\u0000b"}',
    b'{ "spaced" : "a" ,\t"tab":\t1 ,  "end" : true }',
    b'{"dup":1,"dup":2,"dup":"three"}',
    b'{"nested":{"a":{"b":{"c":[1,[2,[3,{"d":null}]]]}}},"empty":{},"arr":[]}',
    b'{"order_b":1,"order_a":2}',
    b'{"order_a":2,"order_b":1}',
    b'{}',
    b'   {"lead":"space"}   ',
    b'{"k":"v"}\r',
    b'{"k":"v"} trailing',
    b'{"broken": ',
    b'{"unterminated":"abc',
    b'{"bad":tru e}',
    b'{"key\x00nul":"v"}',
    b'not json at all, just a line',
    b'',
    b'[1,2,3]',
    b'\xff\xfe{"binary":"\x80\x81"}',
    b'{"raw\tcontrol":"x\x01y"}',
    b'{"k":"v"}}',
    b'{' * 100 + b'"deep":1' + b'}' * 100,
]


def round_trip(data: bytes, **options) -> bytes:
    """Through the archive (whatever payload wins) and through the typed streams alone."""
    archive = logzip.compress(data, **options)
    assert logzip.decompress(archive) == data
    assert decode_block(STRUCTURED + encode_structured(data, 3)) == data
    return archive


def glued_share(data: bytes) -> float:
    """Share of the lines of ``data``'s typed streams whose template is a glued (JSON) one."""
    templates, ids = StoredBlock(encode_structured(data, 3)).line_templates()
    return sum(1 for tid in ids.tolist() if tid >= 0 and templates[tid].glued) / len(ids)


def json_block(lines, n=200):
    """The edge lines among many regular JSON lines, so that the block is coded as JSON."""
    regular = [b'{"ts":"2026-12-02T04:%02d:00.%03dZ","level":"INFO","pid":%d,"msg":"request %d done"}'
               % (i % 60, i, 1000 + i % 7, i) for i in range(n)]
    return regular + list(lines)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_edge_cases_round_trip_byte_exact(ending, final_newline):
    lines = json_block(EDGE_LINES * 3)
    data = ending.join(lines) + (ending if final_newline else b"")
    round_trip(data)
    round_trip(data, block_size=4096)
    assert glued_share(data) > 0.7


def test_values_keep_their_spelling_in_the_columns():
    model = analyze_block(b"\n".join(json_block(EDGE_LINES)))
    assert model.header is None and model.contents.json
    values = {value for table in model.contents.parameter_columns for column in table for value in column}
    for spelled in (b"12345678901234567890123", b"1.50", b"1e3", b"-0", b"0.000",
                    b"caf\\u00e9 \\/ \\\"quoted\\\" \\\\ \\n\\t", b"[1,[2,[3,{\"d\":null}]]]"):
        assert spelled in values
    texts = {template.text for template in model.contents.templates}
    assert '{"dup":<*>,"dup":<*>,"dup":"<*>"}' in texts
    assert '{ "spaced" : "<*>" ,\t"tab":\t<*> ,  "end" : <*> }' in texts
    assert '{"order_b":<*>,"order_a":<*>}' in texts and '{"order_a":<*>,"order_b":<*>}' in texts


def test_lines_that_are_not_json_objects_go_to_the_miner():
    lines = json_block([b"plain text line %d with words" % i for i in range(30)] + [b'{"broken": '] * 5)
    model = analyze_block(b"\n".join(lines))
    ids, templates = model.contents.ids, model.contents.templates.templates
    plain = [ids[i] for i, line in enumerate(lines) if line.startswith(b"plain")]
    assert all(tid >= 0 and not templates[tid].glued for tid in plain)
    assert all(templates[ids[i]].glued for i, line in enumerate(lines) if line.startswith(b'{"ts"'))


def test_non_json_blocks_keep_version_1_template_sets():
    data = b"".join(b"2026-12-02 04:00:%02d INFO worker %d finished job %d\n" % (i % 60, i % 5, i)
                    for i in range(500))
    assert not json_lines.looks_like_json(data.splitlines())
    model = analyze_block(data)
    assert not model.contents.json
    assert model.contents.templates.to_bytes()[3] == 1


def test_glued_template_set_serialisation():
    templates = TemplateSet([Template(((b'{"a":"', b""), (b'","b":', b""), b"}"), glued=True),
                             Template((b"plain", (b"x", b"y")))])
    data = templates.to_bytes()
    assert data[3] == 2
    again = TemplateSet.from_bytes(data)
    assert again == templates and [t.glued for t in again] == [True, False]
    assert again.render(0, [[b"1"], [b"2"]]) == [b'{"a":"1","b":2}']
    assert again.render(1, [[b"7"]]) == [b"plain x7y"]
    damaged = bytearray(data)
    damaged[5] = 7        # the first template's glued flag
    with pytest.raises(CorruptArchiveError):
        TemplateSet.from_bytes(bytes(damaged))


def test_the_matcher_never_matches_a_glued_template():
    templates = TemplateSet([Template(((b"a", b""), b"b"), glued=True), Template(((b"a", b""),))])
    # "axb" would match the glued template's text; the space-split matcher must not use it.
    assert templates.match([b"axb"]).tids == [1]


json_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
spacing = st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : "), (",\t", ":\t")])


@st.composite
def json_lines_data(draw):
    lines = []
    for _ in range(draw(st.integers(1, 30))):
        record = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
        line = json.dumps(record, separators=draw(spacing), ensure_ascii=draw(st.booleans())).encode()
        cut = draw(st.integers(0, 8))        # now and then a broken line: cut short
        lines.append(line[:-cut] if cut and cut < len(line) and draw(st.booleans()) else line)
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    return ending.join(lines) + draw(st.sampled_from([b"", ending]))


@settings(max_examples=60, deadline=None)
@given(json_lines_data())
def test_generated_json_lines_round_trip(data):
    round_trip(data)
    round_trip(data, block_size=1024)


def test_search_counts_equal_a_scan():
    lines = json_block(EDGE_LINES * 2, n=300)
    data = b"\r\n".join(lines[:200]) + b"\n" + b"\n".join(lines[200:])
    assert glued_share(data) > 0.7
    pieces = cut(data, [2048, 777, 5000, 1])      # blocks cut anywhere, even mid-line
    blocks = stream_blocks(pieces)
    patterns = [b'"level":"INFO","pid":', b'"}\r\n{"ts":"2026', b'done"}\n{', b'T04:1', b'1e3,"E"',
                b'"dup":1,"dup":2', b'\\u00e9 \\/', b'{}', b'ken": \n', b'}}}}\n', b'"}', b'\r\n', b'e']
    patterns += sample_patterns(data, 80, seed=9)
    for pattern in patterns:
        assert count_in_blocks(blocks, pattern) == len(occurrences(data, pattern)), pattern


JSON_FILES = ["windows-nxlog-2020", "windows-evtx-2021-2023", "zeek-dns", "aws-cloudtrail"]


@pytest.mark.parametrize("name", JSON_FILES)
def test_real_json_logs(name, read_corpus, tmp_path):
    data = read_corpus(f"json-logs/{name}.jsonl.zst")[:1 << 20]
    data = data[:data.rfind(b"\n") + 1]
    archive = round_trip(data)
    xz = len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    if len(data) > 1 << 19:       # cloudtrail's 0.1 MB goes whole through a general coder
        assert glued_share(data) > 0.99
        assert len(archive) < xz
    path = tmp_path / "real.logz"
    path.write_bytes(archive)
    line = data.splitlines(keepends=True)[len(data.splitlines()) // 2]
    patterns = [line[:24], line[-30:] + data[:10], data[1000:1016], b'":"', b'\\r\\n']
    with logzip.search.open(path) as searched:
        assert searched.counts(patterns) == [len(occurrences(data, p)) for p in patterns]
