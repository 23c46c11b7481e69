"""Gold on the session warehouse (tiny generated extract, full dbt build) against the truth
the generator computed itself, and the referential integrity of the star schema."""

from __future__ import annotations

from typing import Any

import pytest
from gold_fixtures import FACT_KEYS, TRUTH_QUERIES, query


@pytest.mark.parametrize("figure", sorted(TRUTH_QUERIES))
def test_gold_figure_equals_manifest_truth(
    figure: str, gold_figures: dict[str, int], built_warehouse: Any
) -> None:
    assert gold_figures[figure] == built_warehouse.extract.manifest["truth"][figure]


@pytest.mark.parametrize(("fact", "column", "dimension", "key"), FACT_KEYS)
def test_no_orphan_fact_keys(
    fact: str, column: str, dimension: str, key: str, built_warehouse: Any
) -> None:
    orphans = query(
        built_warehouse.duckdb_path,
        f"select {column}, count(*) from gold.{fact}"
        f" where {column} is not null"
        f" and {column} not in (select {key} from gold.{dimension}) group by 1",
    )
    assert orphans == []


def test_every_fact_has_rows_and_keys(built_warehouse: Any) -> None:
    """The tiny extract has returns and web events, so no fact may be empty (guards the
    orphan checks above against passing on empty tables)."""
    counts = {
        fact: query(built_warehouse.duckdb_path, f"select count(*) from gold.{fact}")[0][0]
        for fact in ("fct_sales", "fct_returns", "fct_web_events")
    }
    assert all(count > 0 for count in counts.values()), counts


def test_every_sales_line_has_a_dated_or_unknown_order_day(built_warehouse: Any) -> None:
    """A bad date never drops a line: it points at the unknown day -1, which exists."""
    rows = query(
        built_warehouse.duckdb_path,
        "select count(*) filter (where order_date is null and order_date_key <> -1),"
        " count(*) filter (where order_date is not null and order_date_key = -1),"
        " (select count(*) from gold.dim_date where date_key = -1)"
        " from gold.fct_sales",
    )
    assert rows == [(0, 0, 1)]


def test_web_funnel_matches_the_events(built_warehouse: Any) -> None:
    """The funnel's payment figures equal the failed-payments truth, step 1 counts all
    sessions, and no step has more sessions than the step before it would allow for steps
    that require the previous one (payment success needs a payment attempt)."""
    path = built_warehouse.duckdb_path
    funnel = {row[0]: row[1:] for row in query(
        path, "select step, sessions, failed_payments from gold.kpi_web_funnel"
    )}
    assert len(funnel) == 7
    assert funnel["sessions"][0] == query(
        path, "select count(distinct session_id) from gold.fct_web_events"
    )[0][0]
    assert funnel["payment_attempt"][1] == built_warehouse.extract.manifest["truth"][
        "failed_payments"
    ]
    assert funnel["payment_success"][0] <= funnel["payment_attempt"][0]
