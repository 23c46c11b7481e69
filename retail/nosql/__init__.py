"""The MongoDB layer: web events and customer-360 documents, and aggregations back to gold.

Public API (what the CLI and the Dagster assets call):
- `mongo_client(settings)` / `mongo_database(settings)`: the server (embedded unless MONGODB_URI);
  `profiles=True`: the one holding `customer_profiles` (the embedded profiles server)
- `sync_events(db, duckdb_path) -> SyncResult`: `events` mirrors the warehouse's bronze.web_events
- `build_customer_profiles(db, duckdb_path) -> int`; `sync_customer_profiles(settings) -> int`
  builds them on the server that holds them
- `aggregate_most_viewed_products`, `aggregate_category_views_daily`,
  `aggregate_session_funnel`, `run_aggregations` (db, duckdb_path): write `gold.nosql_*`
- `check_against_dbt(db, duckdb_path) -> ConsistencyReport`

Each name is imported from its module on first use (PEP 562): a `retail run` imports the servers'
module and the events sync as it starts, and importing everything else then (the profiles, the
checks) was on the run's path to its first step.
"""

import importlib
from typing import Any

_MODULE_OF = {
    "aggregate_category_views_daily": "aggregations",
    "aggregate_most_viewed_products": "aggregations",
    "aggregate_session_funnel": "aggregations",
    "run_aggregations": "aggregations",
    "ConsistencyReport": "checks",
    "check_against_dbt": "checks",
    "SyncResult": "events",
    "sync_events": "events",
    "build_customer_profiles": "profiles",
    "sync_customer_profiles": "profiles",
    "redact_text": "redact",
    "redact_uri": "redact",
    "MongoOperationError": "server",
    "MongoUnavailableError": "server",
    "MongoUriError": "server",
    "database_name": "server",
    "mongo_client": "server",
    "mongo_database": "server",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
