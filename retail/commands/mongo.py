"""`retail mongo`: the MongoDB layer by hand (the Dagster assets call the same functions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "mongo"
HELP = "load web events and customer profiles into MongoDB; aggregate back into gold"
DESCRIPTION = """\
Work with the MongoDB layer: the embedded SecantusDB server (data under
$RETAIL_DATA_DIR/mongodb) unless MONGODB_URI names a real MongoDB.

  retail mongo load-events --raw DIR   web events of one extract -> `events`
  retail mongo profiles                gold -> `customer_profiles` (one per customer)
  retail mongo aggregate               pipelines -> gold.nosql_* tables in DuckDB
  retail mongo check                   MongoDB funnel / views == the dbt models?
  retail mongo sync [--raw DIR]        all of the above, in that order

Exit status: 0 on success, 1 when the check finds a difference or MongoDB is unreachable,
2 on bad input, 3 when the warehouse is locked.
"""


def _batch_size(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = sub.add_parser("load-events", help="load one extract's source_web/events.jsonl")
    load.add_argument("--raw", type=Path, required=True, help="the extract folder")
    load.add_argument("--batch-size", type=_batch_size, help="documents per bulk write")
    profiles = sub.add_parser("profiles", help="rebuild customer_profiles from gold")
    profiles.add_argument("--batch-size", type=_batch_size, help="documents per insert")
    sub.add_parser("aggregate", help="run the pipelines, write gold.nosql_* tables")
    sub.add_parser("check", help="compare MongoDB funnel and product views with dbt")
    sync = sub.add_parser("sync", help="load-events (with --raw), profiles, aggregate, check")
    sync.add_argument("--raw", type=Path, help="an extract folder whose events to load first")
    sync.add_argument("--batch-size", type=_batch_size, help="documents per bulk write")


def _load(db: Any, raw: Path, batch_size: int | None) -> None:
    from retail.errors import UsageError
    from retail.nosql import load_events

    if not raw.is_dir():
        raise UsageError(f"{raw}: no such extract folder")
    options = {"batch_size": batch_size} if batch_size else {}
    result = load_events(db, raw, **options)
    if not result.file_present:
        print(f"events: {result.file} absent, nothing loaded")
        return
    print(f"events: {result.lines} lines, {result.valid} valid ({result.inserted} new, "
          f"{result.already_present} already loaded), rejected {result.rejected()}: "
          f"{result.malformed} malformed, {result.missing_event_id} without event_id, "
          f"{result.unknown_event_type} unknown type, {result.duplicate_event_id} duplicates")


def _profiles(db: Any, duckdb_path: Path, batch_size: int | None) -> None:
    from retail.nosql import build_customer_profiles

    options = {"batch_size": batch_size} if batch_size else {}
    print(f"customer_profiles: {build_customer_profiles(db, duckdb_path, **options)} documents")


def _aggregate(db: Any, duckdb_path: Path) -> None:
    from retail.nosql import run_aggregations

    for table, rows in run_aggregations(db, duckdb_path).items():
        print(f"gold.{table}: {rows} rows")


def _check(db: Any, duckdb_path: Path) -> bool:
    from retail.nosql import check_against_dbt

    report = check_against_dbt(db, duckdb_path)
    if report.passed:
        compared = report.compared
        print(f"check: MongoDB agrees with dbt ({compared['events']} events, "
              f"{compared['funnel_figures']} funnel figures, "
              f"views of {compared['products']} products)")
    else:
        print(f"check: {len(report.mismatches)} difference(s) between MongoDB and dbt:")
        for line in report.mismatches[:20]:
            print(f"  {line}")
    return report.passed


def run(args: argparse.Namespace) -> int:
    from retail.nosql import mongo_database, redact_uri
    from retail.settings import Settings

    settings = Settings.from_env()
    where = (redact_uri(settings.mongodb_uri) if settings.mongodb_uri
             else f"embedded SecantusDB ({settings.mongo_data_dir})")
    print(f"MongoDB: {where}")
    batch_size = getattr(args, "batch_size", None)
    with mongo_database(settings) as db:
        if args.action == "load-events" or (args.action == "sync" and args.raw):
            _load(db, args.raw, batch_size)
        if args.action in ("profiles", "sync"):
            _profiles(db, settings.duckdb_path, batch_size if args.action == "profiles" else None)
        if args.action in ("aggregate", "sync"):
            _aggregate(db, settings.duckdb_path)
        if args.action in ("check", "sync"):
            return 0 if _check(db, settings.duckdb_path) else 1
    return 0
