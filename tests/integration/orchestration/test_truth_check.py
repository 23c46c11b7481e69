"""The blocking truth check, called directly against small hand-made warehouses."""

import json
from pathlib import Path

import duckdb
import pytest


def _setup(root: Path, truth: dict | None, batches: tuple[str, ...] = ("batch-0001",)) -> tuple:
    from orchestration.resources import RetailResource

    extract = root / "batch-0001"
    extract.mkdir(parents=True)
    if truth is not None:
        (extract / "manifest.json").write_text(json.dumps({"truth": truth}))
    db = root / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema bronze")
        con.execute("create schema gold")
        con.execute("create table bronze.crm_sales_details (_batch_id varchar)")
        con.executemany("insert into bronze.crm_sales_details values (?)", [[b] for b in batches])
        con.execute("create table gold.fct_sales (order_number varchar, sales_amount "
                    "decimal(18,2), quantity integer, channel varchar)")
        con.execute("insert into gold.fct_sales values ('SO1', 10.00, 1, 'Online'), "
                    "('SO1', 5.50, 2, 'Online'), ('SO2', 3.00, 1, 'Store')")
    return str(extract), RetailResource(duckdb_path=str(db))


def _check(extract: str, retail):
    from orchestration.checks import gold_matches_extract_truth

    return gold_matches_extract_truth(extract=extract, retail=retail)


def test_passes_when_gold_reproduces_every_truth_figure(tmp_path: Path) -> None:
    truth = {"order_lines": 3, "orders": 2, "revenue": 18.5, "units": 4, "online_orders": 1}
    result = _check(*_setup(tmp_path, truth))
    assert result.passed
    assert result.metadata["mismatches"].value == "none"


@pytest.mark.parametrize("figure, wrong", [("revenue", 18.51), ("orders", 3), ("units", 5)])
def test_fails_with_error_severity_on_any_difference(tmp_path: Path, figure, wrong) -> None:
    import dagster as dg

    truth = {"order_lines": 3, "orders": 2, "revenue": 18.5, "units": 4, figure: wrong}
    result = _check(*_setup(tmp_path, truth))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["mismatches"].value == figure


def test_real_extracts_and_multi_batch_warehouses_have_no_truth_to_hold(tmp_path: Path) -> None:
    assert _check(*_setup(tmp_path / "real", None)).passed
    result = _check(*_setup(tmp_path / "two", {"orders": 99}, ("batch-0000", "batch-0001")))
    assert result.passed and "several batches" in result.metadata["note"].value
