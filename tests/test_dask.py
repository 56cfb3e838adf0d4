"""logzip on Dask: compress, read and count through a LocalCluster of two worker processes,
every answer equal to the local run's (one cluster for the whole module, to keep it fast)."""
import os
import random
import re
import shutil
import subprocess
import sys

import pytest

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

import logzip  # noqa: E402
import logzip.dask  # noqa: E402
import logzip.search  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from logzip.cli.fmsearch import fmsearch  # noqa: E402
from tests.test_fmindex import occurrences  # noqa: E402

LEVEL = 3   # the fastest to learn; the cluster's work does not depend on it
SMALL_BLOCKS = logzip.CompressionParameters(block_size=16 << 10, level=LEVEL)
SYSTEMS = ("Apache", "HDFS", "HPC", "Linux", "OpenSSH", "Proxifier")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") \
            as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def logs(tmp_path_factory, corpora_dir):
    """A folder of Loghub 2k samples (copies in a temporary folder)."""
    folder = tmp_path_factory.mktemp("logs")
    for system in SYSTEMS:
        shutil.copy(corpora_dir / "loghub-2k" / f"{system}_2k.log", folder)
    return folder


@pytest.fixture(scope="module")
def archives(logs, client, tmp_path_factory):
    """The samples compressed through the scheduler: {log path: archive path}."""
    out = tmp_path_factory.mktemp("archives")
    sources = sorted(logs.glob("*.log"))
    made = logzip.dask.compress(sources, out, client=client, params=logzip.CompressionParameters(level=LEVEL))
    return dict(zip(sources, map(type(sources[0]), made)))


def lines_of(data: bytes) -> list:
    """Lines with their b"\\n" (a CR stays in the line), the last one possibly without."""
    return re.findall(rb"[^\n]*\n|[^\n]+\Z", data)


def sample_patterns(data: bytes, count: int, seed: int, cuts=()) -> list:
    """Substrings of ``data`` of 1 to 40 bytes, some taken across the offsets ``cuts``, and one absent."""
    rng = random.Random(seed)
    found = [b"\x00absent\x00"]
    for _ in range(count):
        length = rng.randint(1, 40)
        at = rng.choice(cuts) - rng.randint(1, length - 1) if cuts and length > 1 else rng.randrange(len(data) - 40)
        found.append(data[max(at, 0):max(at, 0) + length])
    return found


def test_compress_through_the_scheduler_is_byte_identical_to_local(archives):
    for source, archive in archives.items():
        assert archive.read_bytes() == logzip.compress(source.read_bytes(), level=LEVEL), source.name


def test_read_text_gives_back_every_line_exactly(archives):
    paths = sorted(map(str, archives.values()))
    bag = logzip.dask.read_text(paths, encoding=None)
    assert bag.npartitions == len(paths)                  # one block each
    expected = [line for source in sorted(archives, key=lambda s: str(archives[s]))
                for line in lines_of(source.read_bytes())]
    assert bag.compute() == expected


def test_read_text_decodes_like_dask_but_keeps_crlf(archives, client):
    source = next(s for s in archives if s.name == "HDFS_2k.log")
    text = source.read_bytes().decode("utf-8")
    assert logzip.dask.read_text(str(archives[source])).compute() == text.splitlines(keepends=True)


def test_count_over_archives_equals_local_counts(archives):
    paths = [str(archives[s]) for s in sorted(archives)]
    patterns = sample_patterns(b"".join(s.read_bytes() for s in sorted(archives)), 30, seed=1)
    counted = logzip.dask.count(patterns, paths, task_bytes=1 << 20)
    for path, numbers in zip(paths, counted):
        with logzip.search.open(path) as archive:
            assert numbers == archive.counts(patterns), path


@pytest.fixture(scope="module")
def big_log(read_corpus, tmp_path_factory):
    """One log cut into many small blocks, with a line longer than a block."""
    data = read_corpus("loghub-2k/Hadoop_2k.log")
    data = data[:100_000] + b"x" * 9_000 + b"\r\n" + data[100_000:]
    path = tmp_path_factory.mktemp("big") / "hadoop.log"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def big_archive(big_log, client):
    made, = logzip.dask.compress([big_log], big_log.parent, client=client, params=SMALL_BLOCKS)
    return made


def test_one_file_in_many_blocks_is_byte_identical_and_reads_back(big_log, big_archive, client):
    made, data = big_archive, big_log.read_bytes()
    assert open(made, "rb").read() == logzip.compress(data, block_size=SMALL_BLOCKS.block_size, level=LEVEL)
    bag = logzip.dask.read_text(made, encoding=None)
    with logzip.search.open(made) as archive:
        assert bag.npartitions == len(archive.blocks) > 20
    partitions = logzip.dask.read_bytes(made, blocks_per_partition=3)[0]
    assert b"".join(client.compute(partitions, sync=True)) == data
    assert bag.compute() == lines_of(data)


def test_counts_across_block_boundaries_count_once(big_log, big_archive, client):
    made, data = big_archive, big_log.read_bytes()
    with logzip.search.open(made) as archive:
        cuts = [ref.raw_offset for ref in archive.blocks[1:]]
        patterns = sample_patterns(data, 40, seed=2, cuts=cuts)
        local = archive.counts(patterns)
    assert local == [len(occurrences(data, p)) for p in patterns]
    for task_bytes in (1, 10_000, 1 << 30):      # a task per block, a few blocks, one task
        assert logzip.dask.count(patterns, made, task_bytes=task_bytes) == [local], task_bytes


def test_hits_across_block_boundaries_come_once_in_order(big_log, big_archive, client):
    data = big_log.read_bytes()
    with logzip.search.open(big_archive) as archive:
        cuts = [ref.raw_offset for ref in archive.blocks[1:]]
        for pattern in sample_patterns(data, 6, seed=3, cuts=cuts):
            assert [hit.offset for hit in archive.hits(pattern)] == occurrences(data, pattern)
            for limit in (None, 3):
                expected = archive.hits(pattern, limit)
                assert logzip.dask.hits(pattern, big_archive, task_bytes=1, limit=limit) == [expected]


def test_members_shorter_than_the_pattern(client, tmp_path):
    """Concatenated members, some of a few bytes: matches span three members and count once."""
    members = [b"ab", b"c", b"de\nab", b"", b"cde", b"\n" * 3, b"abc" * 500 + b"de"]
    path = tmp_path / "members.logz"
    path.write_bytes(b"".join(logzip.compress(m, block_size=1 << 10) for m in members))
    data = b"".join(members)
    patterns = [b"abcde", b"cde\n", b"\nab", b"e\n\n\nabc", b"a"]
    expected = [len(occurrences(data, p)) for p in patterns]
    assert logzip.dask.count(patterns, str(path), task_bytes=1) == [expected]
    with logzip.search.open(path) as archive:
        assert [logzip.dask.hits(p, str(path), task_bytes=1)[0] for p in patterns] == \
            [archive.hits(p) for p in patterns]
    assert logzip.dask.read_text(str(path), encoding=None).compute() == lines_of(data)


def test_dask_bag_read_text_reads_archives_on_workers(archives, logs, client):
    logzip.dask.register_workers(client)
    archive_folder = next(iter(archives.values())).parent
    from_archives = dask_bag.read_text(str(archive_folder / "*.logz")).compute()
    assert from_archives == dask_bag.read_text(str(logs / "*.log")).compute()


def test_cli_compress_count_locate_show_with_a_scheduler(logs, client, tmp_path):
    address = client.scheduler.address
    sources = [str(shutil.copy(logs / name, tmp_path / name)) for name in ("Apache_2k.log", "HPC_2k.log")]
    done = subprocess.run([sys.executable, "-m", "logzip.cli.main", "compress", "--scheduler", address,
                           "--level", str(LEVEL), *sources], capture_output=True)
    assert done.returncode == 0, done.stderr
    for source in sources:
        data = open(source, "rb").read()
        assert open(source + ".logz", "rb").read() == logzip.compress(data, level=LEVEL)
    archives = [source + ".logz" for source in sources]
    for argv in (["count", "-e", "error", "-e", "ERROR", "-i"], ["locate", "-w", "-e", "error", "-i"],
                 ["show", "-e", "mod_jk", "-C", "1", "--limit", "50"]):
        here, there = (CliRunner().invoke(fmsearch, [*argv, *archives, *extra])
                       for extra in ([], ["--scheduler", address]))
        assert there.exit_code == here.exit_code == 0, there.output
        assert there.stdout_bytes == here.stdout_bytes and there.stdout_bytes.count(b"\n") > 2, argv


def test_cli_refuses_standard_input_and_unreachable_scheduler(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"a line\n")
    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="1s")
    for argv, words in ((["-c", str(log)], b"standard input"), ([str(log)], b"cannot reach")):
        done = subprocess.run([sys.executable, "-m", "logzip.cli.main", "compress", "--scheduler",
                               "tcp://127.0.0.1:9", *argv], capture_output=True, env=env)
        assert done.returncode != 0 and done.stderr.count(b"\n") == 1, done.stderr
        assert done.stderr.startswith(b"logzip: ") and words in done.stderr
    assert not (tmp_path / "a.log.logz").exists()


def test_compress_refuses_what_a_local_run_refuses_before_any_work(client, tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"a line\n")
    (tmp_path / "b.log.logz").write_bytes(b"old")
    for paths, options, words in (([log], {"outputs": [str(log)], "force": True}, "overwrite the input"),
                                  ([tmp_path / "b.log.logz"], {}, "suffix"),
                                  ([log, tmp_path / "b.log"], {}, "no such file"),
                                  ([str(tmp_path / "*.log")], {"outputs": [str(tmp_path / "b.log.logz")]},
                                   "already exists")):
        with pytest.raises(logzip.LogzipError, match=words):
            logzip.dask.compress(paths, client=client, **options)
    assert log.read_bytes() == b"a line\n" and (tmp_path / "b.log.logz").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log", "b.log.logz"]


def test_a_line_longer_than_many_partitions_comes_whole(client, tmp_path):
    data = b"short\n" + "é".encode() * 25_000 + b"\r\nnext\n" + b"y" * 3000
    path = tmp_path / "giant.logz"
    path.write_bytes(logzip.compress(data, block_size=1 << 10, level=1))
    for per_partition in (1, 7):
        bag = logzip.dask.read_text(str(path), blocks_per_partition=per_partition)
        assert bag.npartitions > 5
        assert bag.compute() == data.decode().splitlines(keepends=True)
    empty = tmp_path / "empty.logz"
    empty.write_bytes(logzip.compress(b""))
    assert logzip.dask.read_text(str(empty)).compute() == []
    patterns = [b"x", b"yy", "é\r".encode()]
    assert logzip.dask.count(patterns, [str(empty), str(path)]) == \
        [[0] * 3, [len(occurrences(data, p)) for p in patterns]]
