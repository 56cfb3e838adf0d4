"""logzip.handlers: rotated logs become verified .logz archives in the background."""
import logging
import logging.config
import logging.handlers
import os
import subprocess
import sys
import threading
import time

import pytest

import logzip
import logzip.handlers


def archived_lines(folder, base="app.log"):
    """Every line of the log and of its archives (archives first, oldest first)."""
    names = sorted(os.listdir(folder))
    assert not [name for name in names if name.endswith(".pending") or name.endswith(".tmp")], names
    archives = [name for name in names if name.endswith(".logz")]
    # app.log.10.logz is older than app.log.9.logz; dated names sort as they read
    data = b""
    for name in sorted(archives, key=lambda name: int(name.split(".")[2]) if name.split(".")[2].isdigit()
                       else -archives.index(name), reverse=True):
        data += logzip.decompress((folder / name).read_bytes())
    return (data + (folder / base).read_bytes()).splitlines()


def make_logger(name, handler_config):
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(threadName)s: %(message)s"}},
        "handlers": {"archive": {**handler_config, "formatter": "plain"}},
        "loggers": {name: {"handlers": ["archive"], "level": "INFO", "propagate": False}},
    })
    logger = logging.getLogger(name)
    return logger, logger.handlers[0]


def test_size_rotation_from_dict_config_with_many_threads(tmp_path):
    logger, handler = make_logger("size", {
        "class": "logzip.handlers.RotatingFileHandler", "filename": str(tmp_path / "app.log"),
        "maxBytes": 64 << 10, "backupCount": 100, "compresslevel": 3})
    threads, per_thread = 6, 1500

    def work(number):
        for i in range(per_thread):
            logger.info("request %d of worker %d served in %d ms", i, number, (i * 37) % 1000)

    workers = [threading.Thread(target=work, args=(n,), name=f"w{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    handler.close()
    logger.removeHandler(handler)
    lines = archived_lines(tmp_path)
    assert len([name for name in os.listdir(tmp_path) if name.endswith(".logz")]) >= 5
    messages = [line.split(b": ", 1)[1] for line in lines]
    expected = [b"request %d of worker %d served in %d ms" % (i, n, (i * 37) % 1000)
                for n in range(threads) for i in range(per_thread)]
    assert sorted(messages) == sorted(expected)  # every record exactly once
    for n in range(threads):   # and each thread's records in order, across the archives
        mine = [line for line in lines if b" w%d: " % n in line]
        assert [line.split(b": ", 1)[1] for line in mine] == expected[n * per_thread:(n + 1) * per_thread]


def test_rotation_does_not_wait_for_compression(tmp_path, monkeypatch):
    release, started = threading.Event(), threading.Event()
    real = logzip.handlers.compress_file

    def held(*args):
        started.set()
        release.wait(30)
        real(*args)

    monkeypatch.setattr(logzip.handlers, "compress_file", held)
    handler = logzip.handlers.RotatingFileHandler(tmp_path / "app.log", maxBytes=1 << 20, backupCount=3)
    handler.emit(logging.makeLogRecord({"msg": "before the rotation"}))
    handler.doRollover()   # returns although the compression is held
    assert started.wait(10)
    handler.emit(logging.makeLogRecord({"msg": "after the rotation"}))
    handler.flush()
    assert (tmp_path / "app.log").read_bytes() == b"after the rotation\n"
    assert not (tmp_path / "app.log.1.logz").exists()
    release.set()
    handler.close()
    assert logzip.decompress((tmp_path / "app.log.1.logz").read_bytes()) == b"before the rotation\n"


def test_timed_rotation_keeps_backup_count_archives(tmp_path):
    logger, handler = make_logger("timed", {
        "class": "logzip.handlers.TimedRotatingFileHandler", "filename": str(tmp_path / "app.log"),
        "when": "S", "interval": 1, "backupCount": 2, "compresslevel": 3})
    for rotation in range(4):
        logger.info("record of period %d", rotation)
        handler.rolloverAt = int(time.time()) - 1   # the period is over
        handler.suffix = f"%Y-%m-%d_%H-%M-0{rotation}"   # distinct names without waiting seconds
    logger.info("record of the current period")
    handler.close()
    logger.removeHandler(handler)
    names = sorted(os.listdir(tmp_path))
    assert len([name for name in names if name.endswith(".logz")]) == 2, names
    assert [line.split(b": ", 1)[1] for line in archived_lines(tmp_path)] == [
        b"record of period 2", b"record of period 3", b"record of the current period"]


def test_rotator_and_namer_for_a_standard_handler_and_loguru_compression(tmp_path):
    handler = logging.handlers.RotatingFileHandler(tmp_path / "app.log", maxBytes=200, backupCount=5)
    handler.rotator, handler.namer = logzip.handlers.rotator, logzip.handlers.namer
    for i in range(30):
        handler.emit(logging.makeLogRecord({"msg": f"standard handler record {i:02d}"}))
    handler.close()
    logzip.handlers.wait()
    assert len([name for name in os.listdir(tmp_path) if name.endswith(".logz")]) >= 3
    assert archived_lines(tmp_path) == [b"standard handler record %02d" % i for i in range(30)]

    closed = tmp_path / "loguru.2026-12-02_00-00-00_000000.log"
    closed.write_bytes(b"a loguru file\r\nits last line")
    logzip.handlers.compression(str(closed))   # loguru's contract: the path of the closed file
    logzip.handlers.wait()
    assert not closed.exists()
    assert logzip.decompress(closed.with_name(closed.name + ".logz").read_bytes()) == b"a loguru file\r\nits last line"


CRASHING = """
import logging, os, signal, sys
import logzip.handlers

def crash_after_first_chunk(stream, size=1 << 20):
    yield stream.read(1000)
    os.kill(os.getpid(), signal.SIGKILL)   # kill -9 in the middle of the compression

logzip.handlers.read_chunks = crash_after_first_chunk
handler = logzip.handlers.RotatingFileHandler(sys.argv[1], maxBytes=1 << 30, backupCount=3)
for i in range(3000):
    handler.emit(logging.makeLogRecord({"msg": "record %d before the crash" % i}))
handler.doRollover()
handler.emit(logging.makeLogRecord({"msg": "record after the rotation"}))
handler.flush()
threading = __import__("threading")
for thread in threading.enumerate():
    if thread is not threading.main_thread():
        thread.join()
"""


def test_a_crash_in_the_middle_of_a_rotation_loses_nothing(tmp_path):
    log = tmp_path / "app.log"
    crashed = subprocess.run([sys.executable, "-c", CRASHING, str(log)], capture_output=True)
    assert crashed.returncode == -9, crashed.stderr
    names = os.listdir(tmp_path)
    assert "app.log.1.logz" not in names
    pending = [name for name in names if name.endswith(".pending")]
    assert len(pending) == 1
    before = b"".join(b"record %d before the crash\n" % i for i in range(3000))
    assert (tmp_path / pending[0]).read_bytes() == before   # the rotated log, whole
    for leftover in [name for name in names if name.endswith(".tmp")]:   # kill -9 leaves the temporary
        os.unlink(tmp_path / leftover)
    handler = logzip.handlers.RotatingFileHandler(log, maxBytes=1 << 30, backupCount=3)   # a restart
    handler.close()
    assert sorted(os.listdir(tmp_path)) == ["app.log", "app.log.1.logz"]
    assert logzip.decompress((tmp_path / "app.log.1.logz").read_bytes()) == before
