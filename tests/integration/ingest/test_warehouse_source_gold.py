"""Batch order and source identity as gold sees them (real warehouse, real dbt).

- batch-10 ingested after batch-9 wins in gold although "batch-10" < "batch-9", and keeps
  winning when batch-9 is ingested again (a batch keeps its place: order of first ingestion);
- the README flow: the generated demo, then the user's own extract: gold holds the user's
  extract alone and `dbt build` is green;
- `retail run` refuses a generated extract onto a user's warehouse before it starts (exit 2);
- `dbt build` on a warehouse with nothing ingested, or ingested by an older version, says what
  to do in one line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from retail.dbt import DbtError, run_dbt
from retail.ingest import ingest_extract
from retail.settings import Settings

pytestmark = pytest.mark.dbt

SALES = Path("source_crm") / "sales_details.csv"
MODELS_ONLY = ("build", "--exclude", "resource_type:test", "resource_type:unit_test")
RETAIL = Path(sys.executable).with_name("retail")


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def gold_quantity(db: Path, order: str, product: str) -> list[tuple[Any, ...]]:
    return query(db, "select quantity, _batch_id from gold.fct_sales join gold.dim_products "
                     f"using (product_key) where order_number = '{order}' "
                     f"and product_number = '{product}'")


def test_the_later_batch_wins_whatever_its_name(built_warehouse: Any, tmp_path: Path) -> None:
    nine = shutil.copytree(built_warehouse.extract.path, tmp_path / "batch-9")
    ten = shutil.copytree(built_warehouse.extract.path, tmp_path / "batch-10")
    header, *lines = lines_of(ten / SALES)
    index = next(i for i, line in enumerate(lines)
                 if line.split(",")[8].isdigit() and int(line.split(",")[8]) > 0
                 and line.split(",")[7].isdigit())
    fields = lines[index].split(",")
    corrected = int(fields[7]) + 1
    lines[index] = ",".join([*fields[:6], "", str(corrected), fields[8]])  # sales repaired
    (ten / SALES).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    order, product = fields[0].strip(), fields[1].strip()
    assert "batch-10" < "batch-9"  # the premise: string order would pick batch-9

    settings = Settings.rooted_at(tmp_path / "root")
    ingest_extract(nine, settings.duckdb_path)
    ingest_extract(ten, settings.duckdb_path)
    run_dbt(MODELS_ONLY, settings, target_path=tmp_path / "target")
    assert gold_quantity(settings.duckdb_path, order, product) == [(corrected, "batch-10")]

    ingest_extract(nine, settings.duckdb_path)  # batch-9 again: it stays the earlier batch
    run_dbt(MODELS_ONLY, settings, target_path=tmp_path / "target")
    assert gold_quantity(settings.duckdb_path, order, product) == [(corrected, "batch-10")]


def test_the_users_extract_replaces_the_demo_and_builds_green(
    built_warehouse: Any, tmp_path: Path
) -> None:
    settings = Settings.rooted_at(tmp_path / "root")
    settings.duckdb_path.parent.mkdir(parents=True)
    shutil.copyfile(built_warehouse.duckdb_path, settings.duckdb_path)  # demo, built
    mine = shutil.copytree(built_warehouse.extract.path, tmp_path / "my_extract")
    (mine / "manifest.json").unlink()  # not generated: the user's own ERP/CRM export
    header, *lines = lines_of(mine / SALES)
    kept_orders = {line.split(",")[0].strip() for line in lines[::2]}
    dropped = {line.split(",")[0].strip() for line in lines} - kept_orders
    (mine / SALES).write_text(
        "\n".join([header, *(line for line in lines if line.split(",")[0].strip()
                             in kept_orders)]) + "\n", encoding="utf-8")
    assert dropped  # the premise: the demo has orders this extract does not

    result = ingest_extract(mine, settings.duckdb_path)
    assert result.new_warehouse and "generated demo" in (result.note or "")
    run_dbt(["build"], settings, target_path=tmp_path / "target")  # green, tests included

    gold_orders = {order for (order,) in query(
        settings.duckdb_path, "select distinct order_number from gold.fct_sales")}
    assert gold_orders and gold_orders <= kept_orders and not gold_orders & dropped
    assert query(settings.duckdb_path, "select distinct _batch_id from gold.fct_sales") == [
        ("my_extract",)]


def test_retail_run_refuses_another_source_before_it_starts(
    built_warehouse: Any, tmp_path: Path
) -> None:
    mine = shutil.copytree(built_warehouse.extract.path, tmp_path / "my_extract")
    (mine / "manifest.json").unlink()
    settings = Settings.rooted_at(tmp_path / "root")
    ingest_extract(mine, settings.duckdb_path, source="crm-eu")
    env = settings.child_env()
    done = subprocess.run(
        [str(RETAIL), "run", "--raw", str(built_warehouse.extract.path)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "'crm-eu'" in done.stderr and "--new" in done.stderr
    assert query(settings.duckdb_path, "select batch_id, source from bronze._batches") == [
        ("my_extract", "crm-eu")]


def test_dbt_on_a_warehouse_with_nothing_ingested_says_what_to_do(tmp_path: Path) -> None:
    settings = Settings.rooted_at(tmp_path / "root")
    settings.duckdb_path.parent.mkdir(parents=True)  # e.g. a first ingest killed: no file
    with pytest.raises(DbtError, match=r"holds nothing ingested yet .*run `retail ingest"):
        run_dbt(["build"], settings, target_path=tmp_path / "target")
    with duckdb.connect(str(settings.duckdb_path)) as con:  # bronze of an older version
        con.execute("create schema bronze")
        con.execute("create table bronze.crm_cust_info (cst_id varchar, _batch_id varchar)")
    with pytest.raises(DbtError, match=r"older version .*`retail ingest --new"):
        run_dbt(["build"], settings, target_path=tmp_path / "target")
