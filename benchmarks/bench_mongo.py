"""Benchmark the MongoDB layer: events load and customer-profile build, documents/s per scale.

For each scale, a child process (so peak RSS is that scale's alone) prepares a generated
extract and a warehouse built from it (ingest, `dbt seed` + `dbt run`, cached in --out between
runs), starts the embedded SecantusDB server (in-process, data on disk under --out), then:
- syncs the warehouse's events (bronze.web_events) into an empty `events` collection once per
  batch size, timing the load including the index build, and a re-sync at the best batch size;
- rebuilds `customer_profiles` from gold once per batch size (forced), then once more with
  gold unchanged (skipped by the load ledger, as on a re-run);
- runs the aggregation pipelines into gold (`run_aggregations`) and the consistency check, as
  the Dagster asset does: the pass over `events` (`event_figures`) is timed with the
  aggregations and shared with the check, which then only reads dbt's figures.
Re-syncs: the unchanged warehouse (nothing sent, what a re-run costs) and, forced with
`full=True`, a drop and reload of everything.
It prints every run and the best batch size. Set MONGODB_URI to measure a real MongoDB instead.
`cpu` is the CPU time of the child process (client and in-process server threads together): on
a shared machine it varies far less than the wall time.

    .venv/bin/python benchmarks/bench_mongo.py                       # scales 1 and 10
    .venv/bin/python benchmarks/bench_mongo.py --scales 0.1 --batch-sizes 500 2000

Large scales (> 1) try only the best batch size of the smallest scale plus the default, unless
--all-batch-sizes is given: SecantusDB is pure Python and a scale-10 load takes minutes.
Timings on a shared machine vary: the load average is printed with the figures.
`documents` of the events rows counts EVENTS (stored as session bucket documents, see
`retail.nosql.events`); docs/s is events/s there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _settings(folder: Path) -> object:
    from retail.settings import Settings

    uri = os.environ.get("MONGODB_URI")
    return Settings.rooted_at(folder, **({"MONGODB_URI": uri} if uri else {}))


def prepare(scale: float, seed: int, folder: Path) -> tuple[Path, object]:
    """The extract and a built warehouse for this scale (reused when already there)."""
    from generators import generate_extract
    from retail.dbt import run_dbt
    from retail.ingest import ingest_extract

    extract = folder / "extract"
    settings = _settings(folder)
    if not (extract / "manifest.json").is_file():
        generate_extract(extract, scale=scale, seed=seed, force=True, progress=False)
    done = folder / "warehouse" / ".built"
    if not done.is_file():
        settings.duckdb_path.unlink(missing_ok=True)
        ingest_extract(extract, settings.duckdb_path, progress=False)
        for command in (["seed"], ["run"]):  # no data tests: the benchmark needs the tables only
            run_dbt(command, settings, target_path=folder / "dbt-target")
        done.write_text("ok")
    return extract, settings


def child(scale: float, seed: int, folder: Path, sizes: list[int], profile_sizes: list[int],
          modes: list[str]) -> dict:
    from retail.nosql import (
        build_customer_profiles,
        check_against_dbt,
        mongo_database,
        run_aggregations,
        sync_events,
    )
    from retail.nosql.aggregations import event_figures

    extract, settings = prepare(scale, seed, folder)
    runs: list[dict] = []
    with mongo_database(settings, name=f"bench_{scale:g}".replace(".", "_")) as db:
        for mode in modes:
            for size in sizes:
                db.events.drop()
                started, cpu = time.perf_counter(), time.process_time()
                result = sync_events(db, settings.duckdb_path, batch_size=size, progress=False)
                seconds = time.perf_counter() - started
                runs.append({"what": f"events load ({mode})", "batch": size,
                             "docs": result.inserted, "buckets": result.buckets,
                             "seconds": seconds,
                             "cpu": time.process_time() - cpu})
        best = max((r for r in runs if r["what"].startswith("events")),
                   key=lambda r: r["docs"] / r["seconds"])
        for what, full in (("events re-sync (unchanged)", False), ("events re-sync (full)", True)):
            started, cpu = time.perf_counter(), time.process_time()
            again = sync_events(db, settings.duckdb_path, batch_size=best["batch"],
                                progress=False, full=full)
            runs.append({"what": what, "batch": best["batch"], "docs": again.documents,
                         "seconds": time.perf_counter() - started,
                     "cpu": time.process_time() - cpu})
        for size, skip in [*((size, False) for size in profile_sizes), (profile_sizes[-1], True)]:
            started, cpu = time.perf_counter(), time.process_time()
            written = build_customer_profiles(db, settings.duckdb_path, batch_size=size,
                                              progress=False, skip_unchanged=skip)
            runs.append({"what": "profiles unchanged" if skip else "profiles build",
                         "batch": size, "docs": written,
                         "seconds": time.perf_counter() - started,
                     "cpu": time.process_time() - cpu})
        started, cpu = time.perf_counter(), time.process_time()
        figures = event_figures(db, settings.duckdb_path)  # as the asset: shared by both
        rows = run_aggregations(db, settings.duckdb_path, figures)
        runs.append({"what": "aggregations", "batch": 0, "docs": sum(rows.values()),
                     "seconds": time.perf_counter() - started,
                     "cpu": time.process_time() - cpu})
        started, cpu = time.perf_counter(), time.process_time()
        report = check_against_dbt(db, settings.duckdb_path, figures)
        runs.append({"what": f"check ({'passed' if report.passed else 'FAILED'})", "batch": 0,
                     "docs": report.compared.get("events", 0),
                     "seconds": time.perf_counter() - started,
                     "cpu": time.process_time() - cpu})
        db.client.drop_database(db.name)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"runs": runs, "peak_rss_mb": peak, "lines": result.lines}


def _row(scale: float, run: dict) -> str:
    rate = run["docs"] / run["seconds"] if run["seconds"] else 0.0
    return (f"{scale:>5g} {run['what']:<24} {run['batch']:>6} {run['docs']:>10,} "
            f"{run['seconds']:>9.2f} {run.get('cpu', 0.0):>8.2f} {rate:>10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--profile-batch-sizes", type=int, nargs="+", default=[250, 1000, 4000])
    parser.add_argument("--modes", nargs="+", default=["insert"], choices=["insert"])
    parser.add_argument("--all-batch-sizes", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("/tmp/retail-bench/mongo"))
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        folder = args.out / f"scale-{args.child:g}"
        print(json.dumps(child(args.child, args.seed, folder, args.batch_sizes,
                               args.profile_batch_sizes, args.modes)))
        return

    target = "MONGODB_URI" if os.environ.get("MONGODB_URI") else "embedded SecantusDB"
    print(f"MongoDB benchmark ({target}): {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start, out={args.out}")
    print(f"{'scale':>5} {'what':<24} {'batch':>6} {'documents':>10} {'seconds':>9} "
          f"{'cpu s':>8} {'docs/s':>10}", flush=True)
    best_event_size: int | None = None
    for scale in args.scales:
        sizes, profile_sizes, modes = args.batch_sizes, args.profile_batch_sizes, args.modes
        if scale > 1 and best_event_size and not args.all_batch_sizes:
            sizes = sorted({best_event_size, 2000})
            profile_sizes = [1000]
            modes = ["insert"]
        cmd = [sys.executable, __file__, "--child", str(scale), "--seed", str(args.seed),
               "--out", str(args.out), "--batch-sizes", *map(str, sizes),
               "--profile-batch-sizes", *map(str, profile_sizes), "--modes", *modes]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"scale {scale:g} failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        for run in report["runs"]:
            print(_row(scale, run), flush=True)
        for what in ("events load", "profiles build"):
            candidates = [r for r in report["runs"] if r["what"].startswith(what)]
            top = max(candidates, key=lambda r: r["docs"] / r["seconds"])
            if what == "events load" and best_event_size is None:
                best_event_size = top["batch"]
            print(f"{scale:>5g} best {what}: {top['docs'] / top['seconds']:,.0f} docs/s "
                  f"({top['what']}, batch size {top['batch']})")
        step = [next(r for r in report["runs"] if r["what"].startswith(what))
                for what in ("events load", "profiles build", "aggregations", "check")]
        print(f"{scale:>5g} whole step (first events load + profiles build + aggregations + "
              f"check): {sum(r['seconds'] for r in step):.1f} s wall, "
              f"{sum(r.get('cpu', 0.0) for r in step):.1f} s cpu; events in "
              f"{step[0].get('buckets', 0):,} session bucket documents")
        print(f"{scale:>5g} peak RSS {report['peak_rss_mb']:,.0f} MB "
              f"(client + embedded server, one process); load average now "
              f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
