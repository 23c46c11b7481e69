"""`retail run` end to end at several scales, broken down per step, Dagster's overhead apart.

For each scale a fresh root folder gets its own warehouse, data, exports and DAGSTER_HOME, and
`retail run --scale S --seed 42` runs in a child process (generation included: nothing is
reused). The run is then read back from that persistent Dagster instance:

  step rows      wall time of each Dagster step, from its STEP_START/STEP_SUCCESS events
  dagster        in-run overhead = run wall (RUN_START..RUN_SUCCESS) - the sum of the steps;
                 startup/exit = process wall - run wall (imports, `dbt parse`, definitions
                 load, instance set-up and teardown)
  rows/s         fct_sales lines per second of process wall; bronze rows per second of ingest
  peak RSS       largest process of the run (retail, dbt, Spark's JVM, the MongoDB server)

    .venv/bin/python benchmarks/bench_run.py                  # scales 1 and 10
    .venv/bin/python benchmarks/bench_run.py --scales 1 10 100 --root /tmp/bench-run
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

CATEGORIES = {
    "raw__extract": "generation",
    "bronze_ingest": "ingest",
    "dbt_models": "dbt",
    "dbt_segmentation_models": "dbt",
    "segmentation__customer_segments_parquet": "Spark",
    "nosql": "MongoDB",
    "exports__powerbi": "exports",
}
ORDER = ["generation", "ingest", "dbt", "Spark", "MongoDB", "exports", "checks"]
# run in the child: print the peak RSS (KiB) of all its descendants after `retail run` exits
WRAPPER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
           "print('PEAK_RSS_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
           "file=sys.stderr); "
           "sys.exit(code)")


def _env(root: Path) -> dict[str, str]:
    return {**os.environ,
            "RETAIL_DUCKDB_PATH": str(root / "warehouse" / "retail.duckdb"),
            "RETAIL_RAW_DIR": str(root / "landing"), "RETAIL_EXPORT_DIR": str(root / "exports"),
            "RETAIL_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster_home"),
            "DBT_TARGET_PATH": str(root / "dbt-target")}


def _events(home: Path) -> tuple[dict[str, float], float, dict[str, dict]]:
    """Step walls, the run's wall and materialization metadata, from the persisted instance."""
    os.environ["DAGSTER_HOME"] = str(home)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs()
        steps: dict[str, float] = {}
        started: dict[str, float] = {}
        run_start = run_end = 0.0
        metadata: dict[str, dict] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type_value
            if event.event_type == dg.DagsterEventType.RUN_START:
                run_start = entry.timestamp
            elif event.event_type in (dg.DagsterEventType.RUN_SUCCESS,
                                      dg.DagsterEventType.RUN_FAILURE):
                run_end = entry.timestamp
            elif kind == "STEP_START":
                started[event.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                steps[event.step_key] = entry.timestamp - started[event.step_key]
            elif kind == "ASSET_MATERIALIZATION":
                mat = event.step_materialization_data.materialization
                metadata[mat.asset_key.to_user_string()] = {
                    k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return steps, run_end - run_start, metadata


def bench(scale: float, root: Path) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text("{}\n")
    retail = str(Path(sys.executable).with_name("retail"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, retail, "run", "--scale", f"{scale:g}",
                           "--seed", "42"], env=_env(root), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"retail run --scale {scale:g} failed:\n{proc.stdout[-4000:]}\n"
                 f"{proc.stderr[-4000:]}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KIB ")]
    peak_mib = int(peak[-1].split()[1]) / 1024
    steps, run_wall, metadata = _events(root / "dagster_home")
    by_category = dict.fromkeys(ORDER, 0.0)
    for step, seconds in steps.items():
        by_category[CATEGORIES.get(step, "checks")] += seconds
    bronze_rows = sum(m.get("batch_rows", 0) for k, m in metadata.items()
                      if k.startswith("bronze/"))
    return {"scale": scale, "wall": wall, "run_wall": run_wall, "steps": by_category,
            "in_run_overhead": run_wall - sum(steps.values()), "startup": wall - run_wall,
            "fct_sales": metadata["gold/fct_sales"]["dagster/row_count"],
            "bronze_rows": bronze_rows, "peak_mib": peak_mib}


def report(result: dict) -> None:
    scale, wall = result["scale"], result["wall"]
    print(f"\nscale {scale:g}: retail run wall {wall:.1f} s, fct_sales "
          f"{result['fct_sales']:,} lines ({result['fct_sales'] / wall:,.0f} lines/s), "
          f"peak RSS {result['peak_mib']:,.0f} MiB")
    print(f"  {'step':<28}{'seconds':>9}{'share':>8}")
    for name, seconds in result["steps"].items():
        print(f"  {name:<28}{seconds:>9.1f}{seconds / wall:>8.0%}")
    ingest = result["steps"]["ingest"]
    print(f"  {'dagster in-run overhead':<28}{result['in_run_overhead']:>9.1f}"
          f"{result['in_run_overhead'] / wall:>8.0%}")
    print(f"  {'startup + exit (parse, load)':<28}{result['startup']:>9.1f}"
          f"{result['startup'] / wall:>8.0%}")
    if ingest:
        print(f"  ingest: {result['bronze_rows']:,} bronze rows, "
              f"{result['bronze_rows'] / ingest:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "bench-run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    print(f"retail run benchmark, {os.cpu_count()} CPUs (machine shared with other work)")
    results = []
    for scale in args.scales:
        result = bench(scale, args.root / f"scale-{scale:g}")
        report(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
