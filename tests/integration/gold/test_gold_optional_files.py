"""An extract without the optional files (returns, web events) builds green: the facts that
depend on them are empty with their full column list, everything else still meets the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gold_fixtures import build, copy_extract, ingest_all, query, settings_under, truth_figures

RETURNS_COLUMNS = [
    "return_key", "order_number", "customer_key", "product_key", "return_date",
    "return_date_key", "return_quantity", "return_reason", "return_amount",
]
WEB_EVENTS_COLUMNS = [
    "event_id", "session_id", "customer_key", "product_key", "event_type", "order_number",
    "payment_status", "event_at", "event_date_key", "device", "page_url", "_batch_id",
    "_batch_seq", "_ingested_at",
]


def columns(path: Path, table: str) -> list[str]:
    return [row[0] for row in query(
        path,
        "select column_name from information_schema.columns"
        f" where table_schema = 'gold' and table_name = '{table}' order by ordinal_position",
    )]


def test_extract_without_returns_and_web_events_builds_green(
    built_warehouse: Any, tmp_path: Path
) -> None:
    extract = copy_extract(built_warehouse.extract.path, tmp_path / "batch-0001")
    (extract / "source_erp" / "RET_ORD_Q1.csv").unlink()
    (extract / "source_web" / "events.jsonl").unlink()
    settings = settings_under(tmp_path)
    ingest_all(settings, [extract])

    build(settings, tmp_path / "target")  # raises with dbt's output on any failing test

    path = settings.duckdb_path
    assert query(path, "select count(*) from gold.fct_returns") == [(0,)]
    assert query(path, "select count(*) from gold.fct_web_events") == [(0,)]
    assert columns(path, "fct_returns") == RETURNS_COLUMNS
    assert columns(path, "fct_web_events") == WEB_EVENTS_COLUMNS
    assert query(path, "select count(*), sum(sessions) from gold.kpi_web_funnel") == [(7, 0)]

    truth = built_warehouse.extract.manifest["truth"]
    figures = truth_figures(path)
    without_web = {"online_orders": 0, "failed_payments": 0, "returned_units": 0}
    assert figures == {**truth, **without_web}
