"""``logzip info --columns``: every stream of a block with its coder, raw and stored bytes."""
import subprocess
import sys

import pytest

from logzip.archive_info import block_columns
from logzip.codec.block import encode_block, stored_block
from logzip.codec.header import HeaderFormat


@pytest.mark.parametrize("system", ["HPC", "Apache"])
def test_column_sizes_add_up_to_the_payload(system, read_corpus, loghub_2k_systems):
    header = HeaderFormat.parse(loghub_2k_systems[system])
    payload = encode_block(read_corpus(f"loghub-2k/{system}_2k.log"), 19, header)
    rows = block_columns(payload)
    stored = stored_block(payload)
    names = HeaderFormat.parse(stored.spec).column_names     # the given format, or one that pays more
    assert sum(row[4] for row in rows) == len(payload)
    header_rows = [row for row in rows if row[0].startswith("header: ")]
    assert [row[0] for row in header_rows] == ["header: head"] + [f"header: {name}" for name in names]
    assert sum(row[4] for row in header_rows) == len(stored.sections[3])
    assert all(row[4] > 0 for row in header_rows)
    table_payload = sum(row[3] for row in header_rows)
    assert table_payload > len(stored.sections[3])     # the raw columns, uncompressed


def test_info_columns_command(tmp_path, read_corpus, loghub_2k_systems):
    log = tmp_path / "HPC.log"
    log.write_bytes(read_corpus("loghub-2k/HPC_2k.log"))
    run = [sys.executable, "-m", "logzip.cli.main"]
    subprocess.run(run + ["compress", "--format", loghub_2k_systems["HPC"], str(log)], check=True)
    result = subprocess.run(run + ["info", "--columns", str(log) + ".logz"], capture_output=True, check=True)
    text = result.stdout.decode()
    for word in ("header: Time", "header: LogId", "contents: template ids", "LZMA", "stored"):
        assert word in text
