"""A user's week, played end to end with `retail run`: after every run, every store agrees.

1. `retail run` on a generated extract (the demo);
2. `retail run --raw week-9`: the user's own hand-made export (orphan customers and products,
   bad dates, a multi-line quoted field, no web events) replaces the demo;
3. `retail run --raw week-10`: a later delivery whose name sorts before `week-9`, with web
   events, a corrected line and the customer week-9 did not know;
4. `retail run --raw week-10` again, corrected: fewer events, another correction;
5. the same again, unchanged (a scheduled re-run): the batch is not loaded again, MongoDB's
   events are left as they are, and every later step runs on the same data.
6. `retail ingest --raw week-11`, a new delivery loaded on its own, then `retail run --raw
   week-11`: the run finds the batch unchanged (not loaded twice), and builds it all the same:
   dbt, MongoDB and the exports catch up with what bronze holds.

After each step: the run is green; every bronze row is kept or rejected, per table; gold equals
`expected_gold` computed from the files the user meant to be in the warehouse; MongoDB holds
what dbt holds; the Power BI exports equal gold.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import user_extract as ux

from retail.ingest.layout import LAYOUT


def _run(args: list[str], capsys: pytest.CaptureFixture, settings) -> tuple[str, str]:
    """One `retail run`, which must succeed; returns what it printed on stdout (the summary)
    and on stderr (the progress)."""
    from cli.main import main

    code = main(["run", *args], settings)
    out = capsys.readouterr()
    assert code == 0, out.out[-4000:] + out.err[-4000:]
    assert "succeeded" in out.out
    return out.out, out.err


def _loads(settings) -> list[tuple]:
    """The register's batches and every bronze load (batch, load time, rows) of two tables."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return [*con.execute("select batch_id, batch_seq, ingested_at, files_digest "
                             "from bronze._batches order by all").fetchall(),
                *con.execute("select _batch_id, _ingested_at, count(*) from "
                             "bronze.crm_sales_details group by all order by all").fetchall(),
                *con.execute("select _batch_id, _ingested_at, count(*) from "
                             "bronze._web_event_lines group by all order by all").fetchall()]


def _events_identity(settings) -> tuple:
    """`events` as a collection (its uuid changes when it is dropped) and its load ledger."""
    from retail.nosql import mongo_database

    with mongo_database(settings) as db:
        info = next(iter(db.list_collections(filter={"name": "events"})))
        return info["info"].get("uuid"), db["load_ledger"].find_one({"_id": "events"})


def _assert_every_row_accounted_for(con: duckdb.DuckDBPyConnection) -> None:
    for source in LAYOUT:
        table, model = source.table, source.staging_model
        bronze = con.execute(f"select count(*) from bronze.{table}").fetchone()[0]
        kept = con.execute(f"select count(*) from silver.{model}").fetchone()[0]
        rejected = con.execute(
            "select count(*) from silver.rejected_rows where source_table = ?", [table]
        ).fetchone()[0]
        assert bronze == kept + rejected, (table, bronze, kept, rejected)


def _assert_gold(con: duckdb.DuckDBPyConnection, expected: ux.Expected) -> None:
    lines, orders, units, revenue = con.execute(
        "select count(*), count(distinct order_number), sum(quantity), sum(sales_amount) "
        "from gold.fct_sales"
    ).fetchone()
    assert (lines, orders, units, Decimal(revenue)) == (
        expected.order_lines, expected.orders, expected.units, expected.revenue)
    online = con.execute(
        "select count(distinct order_number) from gold.fct_sales where channel = 'Online'"
    ).fetchone()[0]
    assert online == expected.online_orders
    returned = con.execute("select coalesce(sum(return_quantity), 0) from gold.fct_returns"
                           ).fetchone()[0]
    assert returned == expected.returned_units
    assert con.execute("select count(*) from gold.fct_web_events").fetchone()[0] == (
        expected.web_events)
    # every fact row points at a member of each dimension (orphans at unknown/inferred ones)
    for column, dimension, key in (("customer_key", "dim_customers", "customer_key"),
                                   ("product_key", "dim_products", "product_key"),
                                   ("order_date_key", "dim_date", "date_key")):
        dangling = con.execute(
            f"select count(*) from gold.fct_sales as f anti join gold.{dimension} as d "
            f"on f.{column} = d.{key}"
        ).fetchone()[0]
        assert dangling == 0, (column, dangling)


def _assert_mongo_equals_dbt(settings, con: duckdb.DuckDBPyConnection) -> None:
    from retail.nosql import check_against_dbt, mongo_database

    with mongo_database(settings) as db, mongo_database(settings, profiles=True) as holder:
        # `events` holds session buckets: count the event sub-documents they carry
        events = sum(len(bucket["events"]) for bucket in db["events"].find({}, {"events": 1}))
        profiles = holder["customer_profiles"].count_documents({})
        report = check_against_dbt(db, settings.duckdb_path)
    assert events == con.execute("select count(*) from gold.fct_web_events").fetchone()[0]
    assert profiles == con.execute("select count(*) from gold.dim_customers").fetchone()[0]
    assert report.passed, report.as_metadata()


def _assert_exports_equal_gold(settings, con: duckdb.DuckDBPyConnection) -> None:
    exported = sorted(path.stem for path in settings.powerbi_dir.glob("*.csv"))
    assert "fct_sales" in exported and "dim_customers" in exported
    for table in exported:
        with (settings.powerbi_dir / f"{table}.csv").open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == con.execute(f"select count(*) from gold.{table}").fetchone()[0], table
    with (settings.powerbi_dir / "fct_sales.csv").open(newline="", encoding="utf-8-sig") as f:
        exported_revenue = sum(Decimal(row["sales_amount"]) for row in csv.DictReader(f))
    assert exported_revenue == Decimal(
        con.execute("select sum(sales_amount) from gold.fct_sales").fetchone()[0])


def _assert_headline(summary: str, expected: ux.Expected) -> None:
    """The summary's sales figures (gold/fct_sales's metadata, which the dbt step reports while
    dbt still builds the mart they read) are this run's gold, not the run's before."""
    match = re.search(r"revenue ([0-9,.]+) \| orders ([0-9,]+)", summary)
    assert match, summary[-3000:]
    assert (Decimal(match[1].replace(",", "")), int(match[2].replace(",", ""))) == (
        expected.revenue, expected.orders)


def _assert_stores_agree(settings, expected: ux.Expected | None) -> None:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        _assert_every_row_accounted_for(con)
        if expected is not None:
            _assert_gold(con, expected)
        _assert_mongo_equals_dbt(settings, con)
        _assert_exports_equal_gold(settings, con)


def test_a_users_week(tmp_path: Path, run_env, capsys: pytest.CaptureFixture) -> None:
    deliveries = tmp_path / "deliveries"
    with run_env(tmp_path / "root") as settings:
        # 1. the demo
        _run(["--scale", "0.02", "--seed", "7"], capsys, settings)
        _assert_stores_agree(settings, None)
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            assert con.execute("select count(*) from gold.fct_web_events").fetchone()[0] > 0

        # 2. the user's own export replaces the demo
        week_9 = ux.week_9()
        summary, progress = _run(["--raw", str(week_9.write(deliveries))], capsys, settings)
        assert "holds generated data only: this extract starts a new warehouse" in progress
        # its orphan customer and product: a warning, not a failure, of the run's checks
        assert " passed, 0 failed, 1 warned, " in summary
        assert "warn gold/fct_sales:assert_fct_sales_members_known" in summary
        _assert_stores_agree(settings, ux.expected_gold([week_9]))
        _assert_headline(summary, ux.expected_gold([week_9]))
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            assert con.execute("select distinct _batch_id from bronze.crm_sales_details"
                               ).fetchall() == [("week-9",)]
            reason = con.execute(
                "select reason from silver.rejected_rows where source_table = "
                "'crm_sales_details'").fetchall()
            assert len(reason) == 1 and "sls_quantity" in reason[0][0]
            reasons = con.execute("select return_reason from gold.fct_returns").fetchall()
            assert reasons == [("Damaged,\nbox crushed",)]  # the quoted value spans lines

        # 3. a later delivery whose name sorts first
        week_10 = ux.week_10()
        summary, progress = _run(["--raw", str(week_10.write(deliveries))], capsys, settings)
        assert "starts a new warehouse" not in progress
        _assert_stores_agree(settings, ux.expected_gold([week_9, week_10]))
        _assert_headline(summary, ux.expected_gold([week_9, week_10]))
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            quantity = con.execute(
                "select quantity from gold.fct_sales where order_number = 'SO70002'"
            ).fetchone()[0]
            assert quantity == 2  # week-10's correction wins though "week-10" < "week-9"
            late = con.execute(
                "select first_name from gold.dim_customers where customer_id = 11999"
            ).fetchone()
            assert late == ("Ana",)

        # 4. week-10 delivered again, corrected: fewer events, SO70011 withdrawn
        corrected = ux.week_10(events=ux.WEEK_10_EVENTS[:7])
        corrected.sales = [line for line in corrected.sales if line[0] != "SO70011"]
        summary, _ = _run(["--raw", str(corrected.write(deliveries))], capsys, settings)
        _assert_stores_agree(settings, ux.expected_gold([week_9, corrected]))
        _assert_headline(summary, ux.expected_gold([week_9, corrected]))
        loads, events = _loads(settings), _events_identity(settings)

        # 5. the same delivery again, unchanged: nothing is loaded again, nothing reloaded
        summary, _ = _run(["--raw", str(deliveries / "week-10")], capsys, settings)
        assert "Bronze: batch 'week-10' is unchanged since its last load" in summary
        _assert_stores_agree(settings, ux.expected_gold([week_9, corrected]))
        assert _loads(settings) == loads  # bronze's rows and register: as they were
        assert _events_identity(settings) == events  # `events` neither dropped nor reloaded

        # 6. a new delivery ingested on its own, then run: built, though not loaded again
        week_11 = ux.week_11()
        folder = week_11.write(deliveries)
        from cli.main import main

        assert main(["ingest", "--raw", str(folder)], settings) == 0
        capsys.readouterr()
        loads = _loads(settings)
        summary, _ = _run(["--raw", str(folder)], capsys, settings)
        assert "Bronze: batch 'week-11' is unchanged since its last load" in summary
        assert _loads(settings) == loads  # the ingest's load, not a second one
        expected = ux.expected_gold([week_9, corrected, week_11])
        assert expected.web_events == ux.expected_gold([week_9, corrected]).web_events + 2
        _assert_stores_agree(settings, expected)  # gold, MongoDB and exports hold week-11
        _assert_headline(summary, expected)
