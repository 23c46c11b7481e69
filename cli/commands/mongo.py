"""`retail mongo`: the MongoDB layer by hand (the Dagster assets call the same functions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "mongo"
HELP = "load web events and customer profiles into MongoDB; aggregate back into gold"
DESCRIPTION = """\
Work with the MongoDB layer: the embedded SecantusDB servers (data under
$RETAIL_DATA_DIR/mongodb, the profiles' server under its profiles/ folder) unless MONGODB_URI
names a real MongoDB.

  retail mongo events      `events` mirrors the warehouse's web events (bronze.web_events)
  retail mongo profiles    gold -> `customer_profiles` (one per customer)
  retail mongo aggregate   events, then pipelines -> gold.nosql_* tables in DuckDB
  retail mongo check       MongoDB funnel / views == the dbt models?
  retail mongo sync        all of the above, in that order

`events` holds the valid web events grouped by session (one document per batch and session,
at most 500 events each). It follows the warehouse batch by batch: a batch ingested again
replaces its events, a batch removed from bronze takes its events away, another warehouse
(RETAIL_DUCKDB_PATH) replaces them all; an unchanged warehouse sends nothing.

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
    events = sub.add_parser("events", help="mirror the warehouse's web events in `events`")
    events.add_argument("--batch-size", type=_batch_size, help="documents per bulk write")
    events.add_argument("--full", action="store_true", help="drop `events` and load it again")
    profiles = sub.add_parser("profiles", help="rebuild customer_profiles from gold")
    profiles.add_argument("--batch-size", type=_batch_size, help="documents per insert")
    sub.add_parser("aggregate", help="run the pipelines, write gold.nosql_* tables")
    sub.add_parser("check", help="compare MongoDB funnel and product views with dbt")
    sync = sub.add_parser("sync", help="events, profiles, aggregate, check")
    sync.add_argument("--batch-size", type=_batch_size, help="documents per bulk write")


def _events(db: Any, duckdb_path: Path, batch_size: int | None, full: bool = False) -> None:
    from retail.nosql import sync_events

    options = {"batch_size": batch_size} if batch_size else {}
    result = sync_events(db, duckdb_path, full=full, **options)
    if result.unchanged:
        print(f"events: up to date ({result.loads} load(s) of web events in the warehouse, "
              f"{result.documents} events in {result.buckets} session bucket(s))")
        return
    how = "reloaded from scratch" if result.reset else (
        f"{result.kept} kept, {result.removed} removed")
    print(f"events: {result.loads} load(s) in the warehouse: {how}, {result.loaded} loaded; "
          f"{result.deleted} events deleted, {result.inserted} inserted, "
          f"{result.documents} in `events` ({result.buckets} session bucket(s))")
    if result.lines:
        print(f"events: {result.lines} lines read, {result.valid} valid, rejected "
              f"{result.rejected()}: {result.malformed} malformed, {result.missing_event_id} "
              f"without event_id, {result.unknown_event_type} unknown type, "
              f"{result.duplicate_event_id} duplicates")


def _profiles(settings: Settings, batch_size: int | None) -> None:
    from retail.nosql import sync_customer_profiles

    options = {"batch_size": batch_size} if batch_size else {}
    print(f"customer_profiles: {sync_customer_profiles(settings, **options)} documents")


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from retail.nosql import mongo_database, redact_text

    where = (redact_text(settings.mongodb_uri, settings.mongodb_uri) if settings.mongodb_uri
             else f"embedded SecantusDB ({settings.mongo_data_dir})")
    print(f"MongoDB: {where}")
    batch_size = getattr(args, "batch_size", None)
    with mongo_database(settings) as db:
        if args.action in ("events", "aggregate", "sync"):  # never aggregate stale events
            _events(db, settings.duckdb_path, batch_size if args.action != "aggregate" else None,
                    full=getattr(args, "full", False))
        if args.action in ("profiles", "sync"):
            _profiles(settings, batch_size if args.action == "profiles" else None)
        if args.action in ("aggregate", "sync"):
            _aggregate(db, settings.duckdb_path)
        if args.action in ("check", "sync"):
            return 0 if _check(db, settings.duckdb_path) else 1
    return 0
