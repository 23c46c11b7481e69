"""`retail segment`: value tiers and RFM scores with Spark, then refresh the gold tables on them."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "segment"
HELP = "segment purchasing customers (value tier, RFM) with Spark; refresh gold.customer_segments"
DESCRIPTION = """\
Export the purchase history from the gold tables to Parquet (DuckDB), score every purchasing
customer in Spark (percentile rank of net spending -> High/Medium/Low, RFM quintile scores and
a named segment), write Parquet beside the warehouse, then rebuild and test
gold.customer_segments and gold.kpi_customer_tiers with dbt.

Where Spark runs: SPARK_REMOTE=sc://host:15002 (Spark Connect), else SPARK_MASTER
(e.g. spark://host:7077), else a local session (needs Java 17+). Tier thresholds are the
dbt vars segmentation_high_percentile / segmentation_medium_percentile in dbt_project.yml.
"""

DBT_SELECTION = ["tag:segmentation", "assert_segment_tiers_match_duckdb_percentiles"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-dbt", action="store_true",
                        help="only write the Parquet; do not rebuild the dbt models on it")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from retail.segmentation import run_segmentation

    result = run_segmentation(settings)
    if not args.no_dbt:
        from retail.dbt import run_dbt

        run_dbt(["build", "--select", *DBT_SELECTION], settings)
    if args.json:
        summary = {
            "output_dir": str(result.output_dir), "customers": result.customers,
            "tiers": result.tier_counts, "segments": result.segment_counts,
            "reference_date": result.reference_date.isoformat() if result.reference_date else None,
            "spark_mode": result.spark_mode, "timings": result.timings,
        }
        print(json.dumps(summary, indent=2))
        return 0
    counts = result.tier_counts
    tiers = ", ".join(f"{tier} {counts.get(tier, 0)}" for tier in ("High", "Medium", "Low"))
    print(f"segmented {result.customers} customers ({result.spark_mode} Spark): {tiers}")
    print("segments: " + ", ".join(f"{name} {count}" for name, count
                                   in sorted(result.segment_counts.items())))
    print(f"written to {result.output_dir}"
          + ("" if args.no_dbt else "; gold.customer_segments and gold.kpi_customer_tiers rebuilt"))
    return 0
