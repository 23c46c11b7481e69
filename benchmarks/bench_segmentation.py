"""Customer segmentation (retail/segmentation) at several scales, phase by phase.

For each scale, in a fresh child process (so the JVM starts cold and peak memory is that
run's alone):

  gold          build the gold input tables (see "input" below; not part of segmentation)
  export        DuckDB `COPY ... TO parquet` of purchases and returns (extract.py)
  spark start   starting the local Spark session (JVM launch, SparkContext)
  spark job     read Parquet, score, write the segments Parquet, read it back (DuckDB)

rows/s = fct_sales lines / spark job seconds. Peak RSS: the Python process and the Spark
driver JVM (VmHWM of the JVM, read before the session stops).

Input: --input synth (default) writes gold.dim_customers / fct_sales / fct_returns directly
with DuckDB at the size of a generated extract of that scale (18,484 customers, ~60k order
lines and ~27.7k orders per unit of scale, ~2% of lines returned). --input pipeline
builds them for real (generator + ingest + dbt build), which is much slower at scale 100.

    .venv/bin/python benchmarks/bench_segmentation.py                   # scales 1 10 100
    .venv/bin/python benchmarks/bench_segmentation.py --scales 0.1 1 --input pipeline
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

CUSTOMERS_PER_SCALE = 18_484
ORDERS_PER_SCALE = 27_659

SYNTH_SQL = """
create schema if not exists gold;
create or replace table gold.dim_customers as
select md5(cast(i as varchar)) as customer_key, cast(11000 + i as integer) as customer_id,
       'AW' || lpad(cast(11000 + i as varchar), 8, '0') as customer_number,
       'Ann' as first_name, 'Lee' as last_name, 'Germany' as country,
       'Single' as marital_status, 'Female' as gender,
       date '1980-01-01' as birthdate, date '2022-01-01' as create_date
from range({customers}) as t(i);
create or replace table gold.fct_sales as
with orders as (
    select o, cast(hash(o, 1) % {purchasers} as bigint) as customer,
           date '2023-01-01' + cast(hash(o, 2) % 1095 as integer) as order_date,
           cast(1 + hash(o, 3) % 3 as bigint) as lines
    from range({orders}) as t(o)
)
select 'SO' || cast(o as varchar) as order_number, md5(cast(customer as varchar)) as customer_key,
       md5('p' || cast(line as varchar)) as product_key, order_date,
       order_date + 7 as ship_date, order_date + 12 as due_date,
       -1 as order_date_key, -1 as ship_date_key, -1 as due_date_key,
       cast(1 + hash(o, line, 4) % 2 as integer) as quantity,
       cast([2, 5, 9, 35, 54, 120, 540, 700, 1700, 2300][cast(1 + hash(o, line, 5) % 10 as bigint)]
            as decimal(18,2)) as unit_price,
       cast(quantity * unit_price as decimal(18,2)) as sales_amount,
       cast(0 as decimal(18,2)) as unit_cost, sales_amount as gross_margin, 'Store' as channel
from orders, range(lines) as l(line);
create or replace table gold.fct_returns as
select md5(order_number || product_key) as return_key, order_number, customer_key, product_key,
       order_date + 20 as return_date, -1 as return_date_key, quantity as return_quantity,
       'Damaged' as return_reason, sales_amount as return_amount
from gold.fct_sales where hash(order_number, product_key) % 50 = 0;
"""


def synth_gold(duckdb_path: Path, scale: float) -> int:
    import duckdb

    customers = max(1, round(CUSTOMERS_PER_SCALE * scale))
    sql = SYNTH_SQL.format(customers=customers, purchasers=max(1, round(customers * 0.66)),
                           orders=max(1, round(ORDERS_PER_SCALE * scale)))
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute(sql)
        return con.execute("select count(*) from gold.fct_sales").fetchone()[0]
    finally:
        con.close()


def pipeline_gold(root: Path, scale: float) -> int:
    import duckdb

    from generators import generate_extract
    from retail.dbt import run_dbt
    from retail.ingest import ingest_extract

    settings = _settings(root)
    extract = root / "extract" / "batch-0001"
    generate_extract(extract, scale=scale, seed=42, force=True, progress=False)
    ingest_extract(extract, settings.duckdb_path, progress=False)
    run_dbt(["build"], settings, target_path=root / "dbt-target")
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute("select count(*) from gold.fct_sales").fetchone()[0]
    finally:
        con.close()


def _settings(root: Path):  # noqa: ANN202 - Settings, imported lazily
    from retail.settings import Settings

    return Settings.rooted_at(root)


def _jvm_peak_mb(spark) -> float | None:  # noqa: ANN001
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError):
        return None
    return None


def child(scale: float, root: Path, source: str, driver_memory: str) -> dict:
    """One scale, measured in this (fresh) process; returns the figures."""
    from retail.segmentation import run_segmentation
    from retail.segmentation.session import shuffle_partitions_for, start_session

    settings = _settings(root)
    started = time.perf_counter()
    lines = synth_gold(settings.duckdb_path, scale) if source == "synth" else pipeline_gold(
        root, scale)
    gold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    spark = start_session(settings, driver_memory=driver_memory)
    startup = time.perf_counter() - started
    # what run_segmentation does with a session of its own (here the session is given)
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions_for(lines)))
    try:
        result = run_segmentation(settings, spark=spark)
        jvm_mb = _jvm_peak_mb(spark)
    finally:
        spark.stop()
    return {
        "scale": scale, "order_lines": lines, "customers": result.customers,
        "gold_s": gold_seconds, "export_s": result.timings["export_seconds"],
        "startup_s": startup, "job_s": result.timings["spark_job_seconds"],
        "py_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "jvm_rss_mb": jvm_mb, "tiers": result.tier_counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--input", choices=["synth", "pipeline"], default="synth")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--root", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.root, args.input, args.driver_memory)))
        return

    root = args.root or Path(tempfile.mkdtemp(prefix="bench-segmentation-"))
    print(f"segmentation benchmark, input={args.input}, driver memory {args.driver_memory}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, scratch {root}")
    header = (f"{'scale':>6} {'lines':>10} {'customers':>10} {'gold s':>8} {'export s':>9} "
              f"{'start s':>8} {'job s':>7} {'lines/s':>10} {'py MB':>7} {'jvm MB':>7}")
    print(header)
    for scale in args.scales:
        scale_root = root / f"scale-{scale:g}"
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(scale), "--root", str(scale_root),
             "--input", args.input, "--driver-memory", args.driver_memory],
            capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{scale:>6g} failed:\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        jvm = f"{r['jvm_rss_mb']:.0f}" if r["jvm_rss_mb"] else "?"
        print(f"{scale:>6g} {r['order_lines']:>10,} {r['customers']:>10,} {r['gold_s']:>8.1f} "
              f"{r['export_s']:>9.2f} {r['startup_s']:>8.1f} {r['job_s']:>7.1f} "
              f"{r['order_lines'] / r['job_s']:>10,.0f} {r['py_rss_mb']:>7.0f} {jvm:>7}",
              flush=True)
        shutil.rmtree(scale_root, ignore_errors=True)
    if args.root is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
