"""`retail run` end to end, as a user runs it, at several scales: wall time, memory, and per step.

Each case runs the real command (`retail run ...`) in a fresh process with its own warehouse,
data, exports and dbt target under --root; nothing is reused but the dbt parse: each case's
project is parsed first and its definitions built (which keeps dbt's selections of the dbt
assets, orchestration/dbt_selection.py), untimed (the parse printed apart), as `make run` leaves
them for the user's next `retail run` on the same warehouse path. Cases:

  real     a real-size ERP/CRM extract without web events: scale 1 generated with seed 42,
           then `source_web/` and `manifest.json` removed (a real export has neither), run
           with `retail run --raw DIR --source erp`
  1, 10, 100   `retail run --scale S` (generation included)

With --again, each case's command is then run a second time on the same warehouse, as a user
re-running it or the daily schedule on a day without a new delivery: the batch's files are
unchanged, so bronze does not load it again, and every later step runs on the same data.

Like `retail run` by default, the run uses Dagster's in-memory instance (no DAGSTER_HOME); its
record (`run-<id>.json` beside the run log) gives each step's time and the work inside it.
Figures per case:

  wall           the command's wall time, from process start to exit
  peak memory    the largest sum of RSS over the command's process tree (the run itself, dbt,
                 Spark's JVM; the embedded MongoDB server, a child process of the run),
                 sampled every 0.2 s
  steps          each Dagster step's wall time
  work           ingest and generation, dbt's own elapsed time for its nodes (run_results.json),
                 Spark's export and job, MongoDB's operations (the whole step), exports, checks;
                 the MongoDB work `retail run` does beside dbt is shown on its own line
                 (it overlaps other steps' time, so it is not subtracted from the overhead)
  CPU time       user + system seconds of the whole process tree, and the share of all cores
                 over the wall time it is (near 100%: the run is bound by CPU, and moving
                 work beside other work no longer shortens it)
  overhead       wall - work: process start, loading the definitions, dbt's own
                 start and parse inside each step, turning dbt's events into Dagster events,
                 waiting for Spark's session, Dagster between steps. Goal: under 5 s.

    .venv/bin/python benchmarks/bench_run.py                       # real and scale 1
    .venv/bin/python benchmarks/bench_run.py --cases real 1 10 100 --root /tmp/bench-run
    .venv/bin/python benchmarks/bench_run.py --cases real 1 10 --again

Figures are appended to benchmarks/RESULTS.md (with the load average before and after each
case) unless --no-record.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
RETAIL = str(Path(sys.executable).with_name("retail"))

# Dagster step -> the category it is reported under
CATEGORIES = {
    "raw__extract": "generation",
    "bronze_ingest": "ingest",
    "dbt_models": "dbt",
    "dbt_segmentation_models": "dbt",
    "segmentation__customer_segments_parquet": "Spark",
    "nosql": "MongoDB",
    "exports__powerbi": "exports",
}
PARSE = ("from orchestration.project import refresh_manifest; "
         "from retail.settings import Settings; refresh_manifest(Settings.from_env())")
SELECTIONS = ("from orchestration.definitions import build_definitions; "
              "from retail.settings import Settings; build_definitions(Settings.from_env())")
ORDER = ["generation", "ingest", "dbt", "Spark", "MongoDB", "exports", "checks"]


@dataclass
class Figures:
    case: str
    wall: float
    peak_bytes: int
    run_wall: float
    steps: dict[str, float]
    work: dict[str, float]
    lines: int
    bronze_rows: int
    ingest_seconds: float  # `ingest_extract` alone (the bronze step also stages the events)
    extract_bytes: int
    load_before: str
    load_after: str
    again: bool = False  # the case's command run a second time on the same warehouse
    unchanged: bool = False  # ... and bronze found the batch unchanged: nothing loaded
    notes: list[str] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        return self.wall - sum(self.work.get(name, 0.0) for name in ORDER)


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (from /proc; 0 when it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            resident = int((entry / "statm").read_text().split()[1]) * page
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = resident
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run_measured(cmd: list[str], env: dict[str, str], log: Path
                 ) -> tuple[float, int, int, float]:
    """Run `cmd`; returns (wall seconds, peak tree RSS bytes, exit code, CPU seconds).

    CPU seconds: user + system time of the whole tree (every process is reaped by its parent,
    so the run's rusage of its children holds the JVM's, the MongoDB server's and dbt's)."""
    peak = 0
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.2):
                peak = max(peak, tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        done.set()
        sampler.join()
    return time.perf_counter() - started, peak, code, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def real_size_extract(root: Path) -> Path:
    """Scale 1, seed 42, without web events and without the generator's manifest."""
    folder = root / "erp-extract"
    subprocess.run([RETAIL, "generate", "--out", str(folder), "--scale", "1", "--seed", "42",
                    "--force"], check=True, capture_output=True)
    shutil.rmtree(folder / "source_web")
    (folder / "manifest.json").unlink()
    return folder


def read_run(logs: Path
             ) -> tuple[float, dict[str, float], dict[str, float], int, int, float, bool]:
    """From the last run's record (`run-<id>.json` beside its log): run wall, step seconds,
    work seconds, fct_sales lines, bronze rows, seconds of the ingest itself, whether the
    ingest found the batch unchanged (nothing loaded)."""
    record_file = max(logs.glob("run-*.json"), key=lambda path: path.stat().st_mtime_ns)
    record = json.loads(record_file.read_text())
    steps = {s["step"]: s["seconds"] for s in record["steps"]}
    meta = record["materializations"]
    work = dict.fromkeys(ORDER, 0.0)
    for step, seconds in steps.items():
        category = CATEGORIES.get(step, "checks")
        if category not in ("dbt", "Spark"):
            work[category] += seconds
    work["dbt"] = sum(build.get("dbt_elapsed_seconds", 0.0)  # each dbt step's, as it logged
                      for build in record["dbt_steps"].values())
    spark = meta.get("segmentation/customer_segments_parquet", {})
    work["Spark"] = spark.get("export_seconds", 0.0) + spark.get("spark_job_seconds", 0.0)
    events = meta.get("nosql/events", {})
    if events.get("synced_during_dbt"):  # done beside other steps, in the background
        work["MongoDB beside"] = (events["duration_seconds"] + events.get("funnel_seconds", 0.0)
                                  + events.get("product_views_seconds", 0.0))
    lines = int(meta["gold/fct_sales"]["dagster/row_count"])
    bronze_meta = [m for k, m in meta.items() if k.startswith("bronze/")]
    bronze = sum(int(m.get("batch_rows", 0)) for m in bronze_meta)
    ingest = max((float(m.get("duration_seconds", 0.0)) for m in bronze_meta), default=0.0)
    unchanged = any(m.get("batch_unchanged") for m in bronze_meta)
    return record["wall_seconds"], steps, work, lines, bronze, ingest, unchanged


def bench(case: str, root: Path, again: bool) -> list[Figures]:
    """The case's run (and with `again`, the same command run once more), measured."""
    folder = root / f"case-{case}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from retail.settings import Settings

    base = {k: v for k, v in os.environ.items() if not k.startswith(("RETAIL_", "DAGSTER_"))}
    settings = Settings.rooted_at(folder)
    env = {**settings.child_env(base), "DBT_TARGET_PATH": str(folder / "dbt-target")}
    if case == "real":
        cmd = [RETAIL, "run", "--raw", str(real_size_extract(folder)), "--source", "erp"]
    else:
        cmd = [RETAIL, "run", "--scale", case]
    started = time.perf_counter()  # what `make run` did before: parse with this case's vars
    subprocess.run([sys.executable, "-c", PARSE], env=env, check=True)
    parse = time.perf_counter() - started
    subprocess.run([sys.executable, "-c", SELECTIONS], env=env, check=True)
    runs = [timed_run(case, cmd, env, folder, settings.data_dir / "logs", again=False)]
    runs[0].notes.append(f"first-run `dbt parse` {parse:.1f} s, before the timed run (a run "
                         "on an unchanged project and warehouse path skips it)")
    if again:
        runs.append(timed_run(case, cmd, env, folder, settings.data_dir / "logs", again=True))
    return runs


def timed_run(case: str, cmd: list[str], env: dict[str, str], folder: Path, logs: Path, *,
              again: bool) -> Figures:
    before = load_average()
    log = folder / ("run-again.log" if again else "run.log")
    wall, peak, code, cpu = run_measured(cmd, env, log)
    after = load_average()
    if code != 0:
        sys.exit(f"case {case}: `{' '.join(cmd)}` exited {code}; see {log}")
    run_wall, steps, work, lines, bronze, ingest, unchanged = read_run(logs)
    extract = folder / "erp-extract" if case == "real" else next(
        (logs.parent / "generated").glob("scale-*-seed-42"))  # the one generated
    size = sum(f.stat().st_size for f in extract.rglob("*") if f.is_file())
    figures = Figures(case, wall, peak, run_wall, steps, work, lines, bronze, ingest, size, before,
                      after, again, unchanged)
    figures.notes.append(f"CPU time of the whole process tree {cpu:.1f} s = "
                         f"{cpu / wall / (os.cpu_count() or 1):.0%} of the {os.cpu_count()} "
                         "cores over the wall time")
    return figures


def report(f: Figures) -> str:
    name = "real-size extract, no web events" if f.case == "real" else f"scale {f.case}"
    if f.again:
        name += ", the same command again (same warehouse, same extract)"
    out = [f"{name}: wall {f.wall:.1f} s, fct_sales {f.lines:,} lines "
           f"({f.lines / f.wall:,.0f} lines/s), peak memory {f.peak_bytes / 2**30:.2f} GiB, "
           f"load {f.load_before} -> {f.load_after}"]
    by_category = dict.fromkeys(ORDER, 0.0)
    for step, seconds in f.steps.items():
        by_category[CATEGORIES.get(step, "checks")] += seconds
    out.append(f"  {'step':<12}{'wall s':>9}{'share':>7}{'work s':>9}")
    for name, seconds in by_category.items():
        out.append(f"  {name:<12}{seconds:>9.1f}{seconds / f.wall:>7.0%}{f.work[name]:>9.1f}")
    startup = f.wall - f.run_wall
    out.append(f"  {'startup':<12}{startup:>9.1f}{startup / f.wall:>7.0%}"
               "   (process start, loading the definitions, exit)")
    out.append(f"  overhead {f.overhead:.1f} s (wall - work; goal under 5 s)")
    if f.unchanged:
        out.append(f"  ingest: the batch's {f.extract_bytes / 1e6:,.1f} MB of extract are "
                   f"unchanged since its load (compared in {f.ingest_seconds:.1f} s): nothing "
                   f"loaded, its {f.bronze_rows:,} bronze rows stay as they are")
    elif f.ingest_seconds:
        seconds = f.ingest_seconds
        out.append(f"  ingest: {f.bronze_rows:,} bronze rows in {seconds:.1f} s, "
                   f"{f.bronze_rows / seconds:,.0f} rows/s, {f.extract_bytes / 1e6:,.1f} MB of "
                   f"extract at {f.extract_bytes / 1e6 / seconds:,.1f} MB/s; the rest of the "
                   f"step ({by_category['ingest'] - seconds:.1f} s) describes the tables and "
                   "stages the web events for the MongoDB sync")
    if by_category["MongoDB"]:
        out.append(f"  MongoDB step share of the run: {by_category['MongoDB'] / f.wall:.0%} "
                   "(goal at most 25%)")
    background = f.work.get("MongoDB beside")
    if background:
        total = by_category["MongoDB"] + background
        out.append(f"  MongoDB beside other steps (events sync, funnel and product-view "
                   f"passes, in the background, not in the step): {background:.1f} s; "
                   f"all MongoDB work {total:.1f} s = "
                   f"{total / f.wall:.0%} of the wall")
    out += [f"  {note}" for note in f.notes]
    return "\n".join(out)


def record(texts: list[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as results:
        results.write(f"\n### `retail run` (`bench_run.py`), {stamp}, {os.cpu_count()} CPUs\n\n"
                      "```\n" + "\n\n".join(texts) + "\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["real", "1"],
                        help="real and/or scales (default: real 1)")
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "bench-run")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep each case's files")
    parser.add_argument("--again", action="store_true",
                        help="run each case's command a second time on the same warehouse")
    args = parser.parse_args()
    print(f"retail run benchmark, {os.cpu_count()} CPUs, load average {load_average()}")
    texts = []
    for case in args.cases:
        for figures in bench(case, args.root, args.again):
            texts.append(report(figures))
            print(texts[-1], flush=True)
        if not args.keep:
            shutil.rmtree(args.root / f"case-{case}", ignore_errors=True)
    if not args.no_record:
        record(texts)


if __name__ == "__main__":
    main()
