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
"""

from retail.nosql.aggregations import (
    aggregate_category_views_daily,
    aggregate_most_viewed_products,
    aggregate_session_funnel,
    run_aggregations,
)
from retail.nosql.checks import ConsistencyReport, check_against_dbt
from retail.nosql.events import SyncResult, sync_events
from retail.nosql.profiles import build_customer_profiles, sync_customer_profiles
from retail.nosql.redact import redact_text, redact_uri
from retail.nosql.server import (
    MongoOperationError,
    MongoUnavailableError,
    MongoUriError,
    database_name,
    mongo_client,
    mongo_database,
)

__all__ = [
    "ConsistencyReport",
    "MongoOperationError",
    "MongoUnavailableError",
    "MongoUriError",
    "SyncResult",
    "aggregate_category_views_daily",
    "aggregate_most_viewed_products",
    "aggregate_session_funnel",
    "build_customer_profiles",
    "check_against_dbt",
    "database_name",
    "mongo_client",
    "mongo_database",
    "redact_text",
    "redact_uri",
    "run_aggregations",
    "sync_customer_profiles",
    "sync_events",
]
