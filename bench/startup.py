"""Start-up overhead of one-off commands: what each costs beyond ``python -c pass``.

``logzip --help``, ``logzip decompress -c`` of a small archive (20 kB of generated HDFS log)
and ``fmsearch count`` on it; the best of ``--repeat`` runs of each, wall time and CPU time
(user + system: on a machine shared with other jobs, wall time measures the neighbours).

    python -m bench.startup [--repeat 9]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import markdown_table, python_tool, save_results
from corpora.generate import generate


def best_run(argv, repeat: int):
    """(best wall seconds, best CPU seconds) of ``repeat`` runs of ``argv``."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed")
    return wall, cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    logzip, fmsearch = python_tool("logzip.cli.main", "logzip"), python_tool("logzip.cli.fmsearch", "fmsearch")
    with tempfile.TemporaryDirectory() as work:
        log, archive = Path(work, "small.log"), Path(work, "small.log.logz")
        log.write_bytes(generate("hdfs", 20_000))
        subprocess.run(logzip + ["compress", str(log)], check=True)
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "logzip --help": logzip + ["--help"],
                    "logzip decompress -c (20 kB)": logzip + ["decompress", "-c", str(archive)],
                    "fmsearch count (20 kB archive)": fmsearch + ["count", str(archive), "blk_"]}
        times = {name: best_run(command, args.repeat) for name, command in commands.items()}
    base_wall, base_cpu = times["python -c pass"]
    rows = [[name, round(wall, 3), round(wall - base_wall, 3), round(cpu, 3), round(cpu - base_cpu, 3)]
            for name, (wall, cpu) in times.items()]
    table = markdown_table(["command", "wall s", "wall overhead s", "CPU s", "CPU overhead s"], rows)
    print(table)
    save_results("startup", table)


if __name__ == "__main__":
    main()
