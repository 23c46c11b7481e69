"""`dbt build` time at several scales, and an incremental daily batch against a full rebuild.

For each scale an extract is generated (or reused) under --out, ingested into a fresh DuckDB
file, and `dbt build` (seeds, every model, every data and unit test) is timed from a fresh
warehouse (a full rebuild). At the largest scale the script then loads one more daily batch:

  silver +1 day    ingest a 1-day follow-on batch, then `dbt run` of everything upstream of the
                   facts (the incremental base tables of order lines and events, the small
                   silver tables and views, the dims)
  facts +1 day     `dbt run -s fct_sales fct_web_events`: the incremental facts
  facts full       `dbt run -s fct_sales fct_web_events --full-refresh` on the same data
  silver full      the silver run again with --full-refresh on the same data

and, with --whole-build (slow at scale 100: two more full builds),

  build +1 day     ingest another 1-day follow-on batch, then the whole `dbt build`
                   (incremental facts, every other model, every test)
  build full       `dbt build --full-refresh` on the same data

and prints the incremental times as shares of the full rebuilds (goal: < 20%).
rows/s = fct_sales lines / seconds. peak RSS = the largest dbt process so far (the dbt CLI
runs in a child process; DuckDB works inside it).

    .venv/bin/python benchmarks/bench_dbt.py                    # scales 1 and 10
    .venv/bin/python benchmarks/bench_dbt.py --scales 1 10 100
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

FACTS = ["fct_sales", "fct_web_events"]


def _extract(out: Path, scale: float, seed: int) -> Path:
    """The generated extract for `scale`, reused when a complete one with the same seed and
    generator version exists (a follow-on batch can only continue the current version's)."""
    from generators import generate_extract
    from generators.config import GENERATOR_VERSION

    folder = out / f"scale-{scale:g}" / "batch-0001"
    manifest = folder / "manifest.json"
    if manifest.exists():
        known = json.loads(manifest.read_text())
        if (known.get("scale"), known.get("seed"), known.get("generator_version")) == (
            scale, seed, GENERATOR_VERSION
        ):
            return folder
    print(f"generating scale {scale:g} into {folder} ...", flush=True)
    generate_extract(folder, scale=scale, seed=seed, force=True, progress=False)
    return folder


def _followon(after: Path, name: str) -> Path:
    """A 1-day follow-on batch of `after`, next to it (regenerated every run: it is small)."""
    from generators import generate_followon

    out = after.with_name(name)
    generate_followon(after, 1, out, force=True, progress=False)
    return out


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _timed_dbt(args: Sequence[str], settings, target: Path) -> float:
    from retail.dbt import run_dbt

    start = time.perf_counter()
    run_dbt(list(args), settings, target_path=target)
    return time.perf_counter() - start


def _fact_rows(duckdb_path: Path) -> int:
    from retail.warehouse import connect

    con = connect(duckdb_path, read_only=True)
    try:
        return con.execute("select count(*) from gold.fct_sales").fetchone()[0]
    finally:
        con.close()


def _settings(root: Path):
    from dataclasses import replace

    from retail.settings import Settings

    return replace(Settings.rooted_at(root), duckdb_path=root / "retail.duckdb")


def _row(label: str, seconds: float, rows: int | None = None, extra: str = "") -> None:
    rate = f"{rows / seconds:>12,.0f}" if rows else f"{'':>12}"
    print(f"{label:<28} {seconds:>9.1f} {rate} {_peak_rss_mb():>10.0f}  {extra}", flush=True)


def bench_scale(out: Path, scale: float, seed: int) -> tuple[Path, object, Path, float]:
    """Fresh warehouse, one ingest, one timed `dbt build`; returns what the next step needs."""
    from retail.ingest import ingest_extract

    extract = _extract(out, scale, seed)
    root = out / f"scale-{scale:g}" / "warehouse"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    settings = _settings(root)
    ingest_extract(extract, settings.duckdb_path)
    seconds = _timed_dbt(["build"], settings, root / "target")
    rows = _fact_rows(settings.duckdb_path)
    _row(f"scale {scale:g}: dbt build", seconds, rows, f"{rows:,} order lines")
    return extract, settings, root, seconds


def bench_incremental(extract: Path, settings, root: Path, full_build: float,
                      whole_build: bool) -> None:
    from retail.ingest import ingest_extract

    target = root / "target"
    ingest_extract(_followon(extract, "batch-0002"), settings.duckdb_path)
    upstream = ["run", "--select", *(f"+{fact}" for fact in FACTS), "--exclude", *FACTS]
    silver = _timed_dbt(upstream, settings, target)
    _row("  silver +1 day (incremental)", silver)
    facts_incremental = _timed_dbt(["run", "--select", *FACTS], settings, target)
    _row("  facts +1 day (incremental)", facts_incremental)
    facts_full = _timed_dbt(["run", "--select", *FACTS, "--full-refresh"], settings, target)
    _row("  facts full refresh", facts_full)
    silver_full = _timed_dbt([*upstream, "--full-refresh"], settings, target)
    _row("  silver full refresh", silver_full)
    print(
        f"silver +1 day: {silver / silver_full:.0%} of silver's full refresh; "
        f"facts +1 day: {facts_incremental / facts_full:.0%} of the facts' full refresh, "
        f"{facts_incremental / full_build:.0%} of the full dbt build; silver + facts +1 day: "
        f"{(silver + facts_incremental) / full_build:.0%} of the full dbt build (goal < 20%)",
        flush=True,
    )
    if not whole_build:
        return
    ingest_extract(
        _followon(extract.with_name("batch-0002"), "batch-0003"), settings.duckdb_path
    )
    build_incremental = _timed_dbt(["build"], settings, target)
    _row("  build +1 day (incremental)", build_incremental)
    build_full = _timed_dbt(["build", "--full-refresh"], settings, target)
    _row("  build full refresh", build_full, _fact_rows(settings.duckdb_path))
    print(f"whole build +1 day: {build_incremental / build_full:.0%} of a full refresh build",
          flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("/tmp/retail-bench-dbt"))
    parser.add_argument("--whole-build", action="store_true",
                        help="also time an incremental and a full-refresh whole `dbt build`")
    args = parser.parse_args(argv)

    print(f"{'step':<28} {'seconds':>9} {'rows/s':>12} {'peak MB':>10}", flush=True)
    last = None
    for scale in sorted(args.scales):
        last = bench_scale(args.out, scale, args.seed)
    if last is not None:
        bench_incremental(*last, whole_build=args.whole_build)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
