"""`retail run` end to end at several scales, broken down per step, Dagster's overhead apart.

Each scale runs in a fresh child process with its own warehouse, data, exports and dbt target
folder, doing what `retail run --scale S --seed 42` does (`dbt parse`, load the definitions,
execute the `full_pipeline` job in-process on an ephemeral instance); generation is included,
nothing is reused. Figures:

  steps          wall time of each Dagster step (generation, ingest, dbt, Spark, MongoDB,
                 exports, the Python checks), from the run's step events
  dagster        run start (planning every asset and check) and between steps = run wall -
                 sum of steps; in the dbt steps, turning dbt's events into materializations and
                 check results = step wall - the dbt process's own wall; startup = `dbt parse`
                 plus importing and loading the definitions
  rows/s         fct_sales lines per second of total wall; bronze rows per second of ingest
  peak RSS       largest single process (the run's own, dbt, Spark's JVM, the MongoDB server)

    .venv/bin/python benchmarks/bench_run.py                  # scales 1 and 10
    .venv/bin/python benchmarks/bench_run.py --scales 1 10 100 --root /tmp/bench-run
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
# dbt step -> an asset it materializes (its `dbt_build_seconds` is the dbt process's wall)
DBT_PROBES = {"dbt_models": "gold/fct_sales", "dbt_segmentation_models": "gold/customer_segments"}


def child(scale: float, root: Path, out: Path) -> None:
    """Run the pipeline like `retail run` and write the figures to `out` (in the child)."""
    started = time.perf_counter()
    from orchestration.project import refresh_manifest

    refresh_manifest()
    import orchestration.definitions  # noqa: F401  (loading the definitions is startup)
    from orchestration.assets.raw import raw_run_config
    from orchestration.runner import run_pipeline

    startup = time.perf_counter() - started
    from retail.settings import Settings

    summary = run_pipeline(raw_run_config(scale=scale, seed=42), Settings.from_env(),
                           root / "logs", progress=False)
    wall = time.perf_counter() - started
    peak = max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    keep = ("dagster/row_count", "duration_seconds", "dbt_build_seconds", "batch_rows")
    out.write_text(json.dumps({
        "ok": summary.ok, "wall": wall, "startup": startup, "run_wall": summary.wall_seconds,
        "steps": {s.step: s.seconds for s in summary.steps},
        "errors": [f"{s.step}: {s.error}" for s in summary.steps if s.error],
        "metadata": {key: {k: v for k, v in values.items() if k in keep}
                     for key, values in summary.materializations.items()},
        "peak_kib": peak}))


def bench(scale: float, root: Path) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    from retail.settings import Settings

    base = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env = {**Settings.rooted_at(root).child_env(base), "DBT_TARGET_PATH": str(root / "dbt-target")}
    out = root / "figures.json"
    proc = subprocess.run([sys.executable, __file__, "--child", f"{scale:g}", str(root), str(out)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        sys.exit(f"scale {scale:g} failed:\n{proc.stderr[-4000:]}")
    figures = json.loads(out.read_text())
    if not figures["ok"]:
        sys.exit(f"scale {scale:g}: the run failed: {figures['errors']}")
    return figures


def report(scale: float, f: dict) -> None:
    wall, steps, meta = f["wall"], f["steps"], f["metadata"]
    by_category = dict.fromkeys(ORDER, 0.0)
    for step, seconds in steps.items():
        by_category[CATEGORIES.get(step, "checks")] += seconds
    dbt_events = sum(steps[step] - meta[probe]["dbt_build_seconds"]
                     for step, probe in DBT_PROBES.items() if probe in meta)
    between = f["run_wall"] - sum(steps.values())
    lines = meta["gold/fct_sales"]["dagster/row_count"]
    bronze = sum(m.get("batch_rows", 0) for k, m in meta.items() if k.startswith("bronze/"))
    print(f"\nscale {scale:g}: wall {wall:.1f} s, fct_sales {lines:,} lines "
          f"({lines / wall:,.0f} lines/s), peak RSS {f['peak_kib'] / 1024:,.0f} MiB")
    rows = []
    for name, seconds in by_category.items():
        rows.append((name, seconds))
        if name == "dbt":
            rows.append(("  of which dbt events -> dagster", dbt_events))
    rows += [("dagster run start + between steps", between),
             ("startup (dbt parse, load defs)", f["startup"])]
    for name, seconds in rows:
        print(f"  {name:<36}{seconds:>8.1f} s{seconds / wall:>6.0%}")
    print(f"  dagster overhead total              {dbt_events + between + f['startup']:>8.1f} s")
    if by_category["ingest"]:
        print(f"  ingest: {bronze:,} bronze rows, {bronze / by_category['ingest']:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "bench-run")
    parser.add_argument("--child", nargs=3, metavar=("SCALE", "ROOT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale, root, out = args.child
        child(float(scale), Path(root), Path(out))
        return
    print(f"retail run benchmark, {os.cpu_count()} CPUs (machine shared with other work)")
    for scale in args.scales:
        report(scale, bench(scale, args.root / f"scale-{scale:g}"))


if __name__ == "__main__":
    main()
