"""Incremental silver: the two big base models (order lines, web events) rebuild only the batches
that changed in bronze, and always end up equal to a full rebuild of the same bronze.

The scenarios cover every way a batch can change another batch's rows: an order line re-sent
by a later batch (the latest copy wins, so the earlier copy becomes a duplicate), an event
repeated by a later batch (the first copy wins), an earlier batch ingested again without the
first copy of that event, a later batch ingested again without the re-sent line, and a batch
removed from bronze.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from silver_fixtures import Query, querier, settings_under

from retail.dbt import run_dbt
from retail.ingest import ingest_extract
from retail.settings import Settings
from retail.warehouse import connect

BRONZE_OF = {"base_crm__sales": "crm_sales_details", "base_web__events": "web_events"}
BASE_MODELS = tuple(BRONZE_OF)
INCREMENTAL_RUN = ["run", "--select", *BASE_MODELS]
SALES = Path("source_crm") / "sales_details.csv"
EVENTS = Path("source_web") / "events.jsonl"
LATEST_LINE_WINS = ("duplicate order line: the same order and product was sent again; "
                    "the latest copy was kept")
FIRST_EVENT_WINS = "duplicate event: an earlier line with the same event_id was kept"
# The later batch's id sorts BEFORE the first one's ("2026-..." < "batch-..."): batches are
# ordered by when they were first ingested (_batch_seq), never by the spelling of their ids.
SECOND = "2026-01-04"


@dataclass(frozen=True)
class TwoBatches:
    """A warehouse holding batch-0001 (the tiny extract) and, ingested after it, SECOND (a
    follow-on that also re-sends one order line and repeats one event of batch-0001), built
    incrementally."""

    settings: Settings
    first: Path  # the extract folders as ingested
    second: Path
    order_line: tuple[str, str]  # (order_number, product_number) sent by both batches
    event_id: str  # sent by both batches


def base_rows(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    return {model: sorted(query(f"select * from silver.{model}"), key=repr)
            for model in BASE_MODELS}


def assert_incremental_equals_full_rebuild(settings: Settings, target: Path) -> Query:
    """Run the base models incrementally, then rebuild them in full: same rows, same reasons."""
    query = querier(settings.duckdb_path)
    run_dbt(INCREMENTAL_RUN, settings, target_path=target)
    incremental = base_rows(query)
    run_dbt([*INCREMENTAL_RUN, "--full-refresh"], settings, target_path=target)
    assert base_rows(query) == incremental
    return query


def file_line(path: Path, line_number: int) -> str:
    """Line `line_number` of a file (1 = the header), without its newline."""
    return path.read_text(encoding="utf-8").splitlines()[line_number - 1]


def rewrite(path: Path, keep_line: Callable[[str], bool], extra: Sequence[str] = ()) -> None:
    """Keep the lines for which `keep_line(line)` is true, then append `extra`."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if keep_line(line)]
    path.write_text("".join(f"{line}\n" for line in [*lines, *extra]), encoding="utf-8")


def copies(query: Query, model: str, where: str) -> dict[str, str | None]:
    """batch -> rejection_reason of the copies of one row."""
    return dict(query(f"select _batch_id, rejection_reason from silver.{model} where {where}"))


@pytest.fixture(scope="module")
def two_batches(built_warehouse: Any, dbt_target: Path,
                tmp_path_factory: pytest.TempPathFactory) -> TwoBatches:
    from generators import generate_followon

    root = tmp_path_factory.mktemp("silver-incremental")
    settings = settings_under(root)
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built_warehouse.duckdb_path, settings.duckdb_path)
    first = shutil.copytree(built_warehouse.extract.path, root / "landing" / "batch-0001")
    second = root / "landing" / SECOND
    generate_followon(first, 3, second)

    query = querier(settings.duckdb_path)
    order, product, sales_row = query(
        "select order_number, product_number, _source_row from silver.stg_crm__sales "
        "order by _source_row limit 1")[0]
    event_id, event_row = query(
        "select event_id, _source_row from silver.stg_web__events order by _source_row limit 1")[0]
    rewrite(second / SALES, bool, [file_line(first / SALES, sales_row)])
    rewrite(second / EVENTS, bool, [file_line(first / EVENTS, event_row)])
    ingest_extract(second, settings.duckdb_path)
    assert_incremental_equals_full_rebuild(settings, dbt_target)
    return TwoBatches(settings, first, second, (order, product), event_id)


@pytest.fixture
def two_batches_copy(two_batches: TwoBatches, tmp_path: Path) -> TwoBatches:
    """A private copy of the two-batch warehouse and of its extracts, free to change."""
    settings = settings_under(tmp_path)
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(two_batches.settings.duckdb_path, settings.duckdb_path)
    first = shutil.copytree(two_batches.first, tmp_path / "landing" / "batch-0001")
    second = shutil.copytree(two_batches.second, tmp_path / "landing" / SECOND)
    return TwoBatches(settings, first, second, two_batches.order_line, two_batches.event_id)


def test_a_later_batch_resolves_copies_like_a_full_rebuild(two_batches: TwoBatches) -> None:
    query = querier(two_batches.settings.duckdb_path)
    order, product = two_batches.order_line
    line = f"order_number = '{order}' and product_number = '{product}'"
    assert copies(query, "base_crm__sales", line) == {
        "batch-0001": LATEST_LINE_WINS, SECOND: None}
    assert copies(query, "base_web__events", f"event_id = '{two_batches.event_id}'") == {
        "batch-0001": None, SECOND: FIRST_EVENT_WINS}
    for model, bronze in BRONZE_OF.items():
        per_batch = "select _batch_id, count(*) from {} group by 1 order by 1"
        assert query(per_batch.format(f"silver.{model}")) == query(
            per_batch.format(f"bronze.{bronze}")), model


def test_a_later_batch_ingested_again_without_a_resent_line_gives_it_back(
    two_batches_copy: TwoBatches, dbt_target: Path
) -> None:
    """Only SECOND is rebuilt, yet batch-0001's copy of the line it no longer re-sends is
    kept again."""
    case = two_batches_copy
    order, product = case.order_line
    resent = file_line(case.second / SALES, len((case.second / SALES).read_text().splitlines()))
    rewrite(case.second / SALES, lambda text: text != resent)
    ingest_extract(case.second, case.settings.duckdb_path)

    query = assert_incremental_equals_full_rebuild(case.settings, dbt_target)
    line = f"order_number = '{order}' and product_number = '{product}'"
    assert copies(query, "base_crm__sales", line) == {"batch-0001": None}
    assert query("select count(*) from silver.base_crm__sales") == query(
        "select count(*) from bronze.crm_sales_details")


def test_an_earlier_batch_ingested_again_without_an_event_keeps_the_later_copy(
    two_batches_copy: TwoBatches, dbt_target: Path
) -> None:
    case = two_batches_copy
    rewrite(case.first / EVENTS, lambda text: case.event_id not in text)
    ingest_extract(case.first, case.settings.duckdb_path)

    query = assert_incremental_equals_full_rebuild(case.settings, dbt_target)
    assert copies(query, "base_web__events", f"event_id = '{case.event_id}'") == {
        SECOND: None}
    assert query("select count(*) from silver.base_web__events") == query(
        "select count(*) from bronze.web_events")


def test_a_batch_removed_from_bronze_leaves_silver(
    two_batches_copy: TwoBatches, dbt_target: Path
) -> None:
    case = two_batches_copy
    con = connect(case.settings.duckdb_path)
    try:
        # web_events is a view over bronze._web_event_lines (retail/ingest/tables.py)
        for table in ("crm_sales_details", "_web_event_lines"):
            con.execute(f"delete from bronze.{table} where _batch_id = '{SECOND}'")
    finally:
        con.close()

    query = assert_incremental_equals_full_rebuild(case.settings, dbt_target)
    for model in BASE_MODELS:
        assert query(f"select distinct _batch_id from silver.{model}") == [("batch-0001",)]
    order, product = case.order_line
    line = f"order_number = '{order}' and product_number = '{product}'"
    assert copies(query, "base_crm__sales", line) == {"batch-0001": None}
