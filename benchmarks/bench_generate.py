"""Benchmark the raw-data generator: sales lines/s, all rows/s, MB/s and peak RSS per scale.

Each scale runs in its own child process (so peak RSS is that run's alone, read with
`os.wait4`), writing a real extract to a scratch folder. dbt Labs' `jafgen` runs in the same
session for comparison (rows of all its CSVs per second of wall time).

    .venv/bin/python benchmarks/bench_generate.py                 # scales 1, 10, 100
    .venv/bin/python benchmarks/bench_generate.py --scales 1 10 --with-1000
    JAFGEN=/path/to/jafgen .venv/bin/python benchmarks/bench_generate.py

After each scale, the write floor for the same number of bytes (plain 16 MiB `os.write`
calls) and the ceiling of sales lines/s it gives if rendering cost nothing.

jafgen: taken from $JAFGEN, else /tmp/jafgen-venv/bin/jafgen, which is created with
`pip install jafgen` when missing (use --no-jafgen to skip). Timings on a shared machine vary:
quote the machine's load with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JAFGEN_VENV = Path("/tmp/jafgen-venv")

CHILD = """
import json, resource, sys, time
started = time.time()
from generators import generate_extract, timing
from generators.config import GeneratorConfig
from generators.extract import default_workers
from generators.plan import first_plan
scale, seed = float(sys.argv[2]), int(sys.argv[3])
workers = int(sys.argv[4]) or default_workers(first_plan(seed, scale, GeneratorConfig()))
m = generate_extract(sys.argv[1], scale=scale, seed=seed, force=True, progress=False,
                     workers=workers)
print(json.dumps({"rows": m["row_counts"], "bytes": sum(f["bytes"] for f in m["files"].values()),
                  "lines": m["truth"]["order_lines"], "workers": workers,
                  "self_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "worker_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                  "timing": timing.summary(timing.LAST),
                  "before_batch": timing.LAST.start - started,
                  "after_batch": time.time() - timing.LAST.end}))
"""
FLOOR_BLOCK = 16 << 20  # bytes per os.write call of the write floor


def run_measured(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, str, float]:
    """(wall seconds, peak RSS in bytes, stdout, CPU seconds) of one child and its workers,
    reaped with wait4 for its own resource usage."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{err.read()[-2000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return seconds, usage.ru_maxrss * 1024, out.read(), cpu


def bench_scale(scale: float, seed: int, scratch: Path, workers: int) -> dict:
    out = scratch / f"scale-{scale:g}"
    seconds, rss, stdout, cpu = run_measured(
        [sys.executable, "-c", CHILD, str(out), str(scale), str(seed), str(workers)], cwd=ROOT)
    result = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    rows = sum(result["rows"].values())
    workers = result["workers"] if result["workers"] > 1 else 0
    # ru_maxrss of a process tree is its largest process; bound the sum over the tree.
    total = result["self_rss"] + workers * result["worker_rss"]
    return {"scale": scale, "lines": result["lines"], "rows": rows, "bytes": result["bytes"],
            "seconds": seconds, "cpu": cpu, "rss": rss, "total_rss": max(rss, total),
            "workers": result["workers"], "timing": result["timing"],
            "before_batch": result["before_batch"], "after_batch": result["after_batch"]}


def write_floor(nbytes: int, scratch: Path) -> float:
    """Seconds to write `nbytes` into a new file of `scratch` with large plain `os.write`
    calls (random bytes, as the page cache would get from the generator), closed, not synced:
    what writing the extract costs here if rendering it cost nothing."""
    block = memoryview(os.urandom(FLOOR_BLOCK))
    path = scratch / "write-floor.bin"
    start = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        done = 0
        while done < nbytes:
            done += os.write(fd, block[:min(nbytes - done, FLOOR_BLOCK)])
    finally:
        os.close(fd)
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


def print_phases(r: dict) -> None:
    """Where the scale's wall time went: start-up, the batch (per phase, summed over chunks),
    busy seconds per process (main and writer thread, waits excluded) and their overlap
    (busy seconds over batch seconds: 2.0 = two cores' worth of work all along), and what
    came after the batch."""
    t = r["timing"]
    phases = ", ".join(f"{name} {sec:.2f}" for name, sec in t["phases"].items())
    busy = " + ".join(f"{sec:.2f}" for sec in t["busy"])
    print(f"        start-up {r['before_batch']:.2f} s (imports, plan); batch {t['wall']:.2f} s "
          f"(first chunk after {t['until_first_chunk']:.2f} s); after {r['after_batch']:.2f} s")
    print(f"        chunk seconds: {phases}")
    print(f"        busy per process {busy} s; overlap {t['overlap']:.2f} "
          f"(busy / batch seconds, {max(r['workers'], 1)} process(es) with a writer thread each)")


def find_jafgen(install: bool) -> Path | None:
    env = os.environ.get("JAFGEN")
    if env:
        return Path(env)
    exe = JAFGEN_VENV / "bin" / "jafgen"
    if not exe.exists() and install:
        print(f"installing jafgen into {JAFGEN_VENV} ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(JAFGEN_VENV)], check=True)
            subprocess.run([str(JAFGEN_VENV / "bin" / "pip"), "install", "-q", "jafgen"],
                           check=True, stdout=subprocess.DEVNULL)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"jafgen unavailable: {exc}", file=sys.stderr)
            return None
    return exe if exe.exists() else None


def bench_jafgen(exe: Path, years: int, scratch: Path) -> dict:
    work = scratch / "jafgen"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    seconds, rss, _, cpu = run_measured([str(exe), str(years)], cwd=work)
    files = list((work / "jaffle-data").glob("*.csv"))
    rows = sum(max(0, f.read_bytes().count(b"\n") - 1) for f in files)
    size = sum(f.stat().st_size for f in files)
    shutil.rmtree(work, ignore_errors=True)
    return {"years": years, "rows": rows, "bytes": size, "seconds": seconds, "cpu": cpu,
            "rss": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--with-1000", action="store_true", help="also run scale 1000 (~60M lines)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes (default 0: the generator's own choice)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/bench-generate"))
    parser.add_argument("--no-jafgen", action="store_true")
    parser.add_argument("--jafgen-years", type=int, default=1)
    args = parser.parse_args()
    scales = args.scales + ([1000.0] if args.with_1000 else [])
    args.scratch.mkdir(parents=True, exist_ok=True)

    load = os.getloadavg()
    print(f"generator benchmark: {os.cpu_count()} CPUs, load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f} at start (shared machine)")
    print("lines = sales order lines; rows = all rows of all files (events included);")
    print("RSS = peak of the largest process / bound on the sum over parent and workers (MiB);")
    print("cpu = user+system CPU seconds of the whole process tree; lines/cpu-s = lines per "
          "CPU second (load-independent)")
    print(f"{'scale':>7} {'workers':>7} {'sales lines':>12} {'all rows':>12} {'MB':>9} "
          f"{'seconds':>8} {'lines/s':>11} {'rows/s':>11} {'MB/s':>7} {'RSS':>6} {'sum':>6} "
          f"{'cpu':>7} {'lines/cpu-s':>11}")
    best_rows_per_s = best_lines_per_s = 0.0
    for scale in scales:
        r = bench_scale(scale, args.seed, args.scratch, args.workers)
        lines_s, rows_s = r["lines"] / r["seconds"], r["rows"] / r["seconds"]
        best_rows_per_s = max(best_rows_per_s, rows_s)
        best_lines_per_s = max(best_lines_per_s, lines_s)
        print(f"{scale:>7g} {r['workers']:>7} {r['lines']:>12,} {r['rows']:>12,} "
              f"{r['bytes'] / 1e6:>9.1f} {r['seconds']:>8.2f} {lines_s:>11,.0f} {rows_s:>11,.0f} "
              f"{r['bytes'] / 1e6 / r['seconds']:>7.1f} {r['rss'] / 2**20:>6.0f} "
              f"{r['total_rss'] / 2**20:>6.0f} {r['cpu']:>7.1f} "
              f"{r['lines'] / r['cpu']:>11,.0f}", flush=True)
        print_phases(r)
        floor = write_floor(r["bytes"], args.scratch)
        print(f"        write floor: {r['bytes'] / 1e6:,.1f} MB in {floor:.2f} s = "
              f"{r['bytes'] / 1e6 / floor:,.0f} MB/s, {FLOOR_BLOCK >> 20} MiB os.write "
              f"calls; ceiling {r['lines'] / floor:,.0f} sales lines/s if generating cost "
              f"nothing (floor = {floor / r['seconds']:.0%} of this run's seconds); load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    if args.no_jafgen:
        return 0
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} before jafgen")
    exe = find_jafgen(install=True)
    if exe is None:
        print("jafgen: unavailable (set JAFGEN=/path/to/jafgen to compare)")
        return 0
    j = bench_jafgen(exe, args.jafgen_years, args.scratch)
    jafgen_rows_s = j["rows"] / j["seconds"]
    print(f"jafgen {j['years']} year(s): {j['rows']:,} rows, {j['bytes'] / 1e6:.1f} MB in "
          f"{j['seconds']:.2f} s = {jafgen_rows_s:,.0f} rows/s ({j['rows'] / j['cpu']:,.0f} "
          f"rows/cpu-s), peak RSS {j['rss'] / 2**20:.0f} MiB")
    print(f"best generator rows/s vs jafgen rows/s: {best_rows_per_s / jafgen_rows_s:,.0f}x; "
          f"best sales lines/s vs jafgen rows/s: {best_lines_per_s / jafgen_rows_s:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
