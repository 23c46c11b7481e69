"""The blocking truth check, called directly against small hand-made warehouses."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from retail.settings import Settings


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
    settings = replace(Settings.rooted_at(root), duckdb_path=db)
    return str(extract), RetailResource.from_settings(settings)


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


def _skipped_not_passed(result, reason: str) -> None:
    """Skipped: a WARN failure whose `skipped` metadata says why; never a pass."""
    import dagster as dg

    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert reason in result.metadata["skipped"].value
    assert result.description.startswith("skipped: ")


def test_a_real_extract_without_manifest_is_skipped_not_passed(tmp_path: Path) -> None:
    result = _check(*_setup(tmp_path, None))
    _skipped_not_passed(result, "no manifest truth for a real extract")


def test_several_batches_are_skipped_with_the_batches_named(tmp_path: Path) -> None:
    result = _check(*_setup(tmp_path, {"orders": 2}, ("batch-0000", "batch-0001")))
    _skipped_not_passed(result, "several batches")
    assert result.metadata["batches"].value == "batch-0000, batch-0001"


def test_a_tampered_gold_figure_fails_a_built_warehouse(built_warehouse, tmp_path: Path) -> None:
    """The real pipeline's gold passes against its manifest; one changed sale makes it fail."""
    import dagster as dg

    from orchestration.checks import gold_matches_extract_truth
    from orchestration.resources import RetailResource

    copy = tmp_path / "w.duckdb"
    shutil.copyfile(built_warehouse.duckdb_path, copy)
    extract = str(built_warehouse.extract.path)
    retail = RetailResource.from_settings(replace(built_warehouse.settings, duckdb_path=copy))
    before = gold_matches_extract_truth(extract=extract, retail=retail)
    assert before.passed, before.metadata

    with duckdb.connect(str(copy)) as con:
        con.execute("update gold.fct_sales set sales_amount = sales_amount + 1 "
                    "where rowid = (select min(rowid) from gold.fct_sales)")
    after = gold_matches_extract_truth(extract=extract, retail=retail)
    assert not after.passed
    assert after.severity == dg.AssetCheckSeverity.ERROR
    assert after.metadata["mismatches"].value == "revenue"


def test_retail_run_summary_says_skipped_not_passed(tmp_path: Path) -> None:
    """`retail run`'s summary counts a skipped check apart, with its reason."""
    from rich.console import Console

    from orchestration.report import print_summary
    from orchestration.runner import CheckOutcome, RunSummary
    from retail.settings import Settings

    reason = "no manifest truth for a real extract"
    summary = RunSummary(run_id="0123456789", success=True, wall_seconds=1.0, checks=[
        CheckOutcome("gold/fct_sales:gold_matches_extract_truth", False, "WARN", reason),
        CheckOutcome("exports/powerbi:exports_match_gold", True, "ERROR")])
    console = Console(record=True, width=200)
    print_summary(summary, Settings.rooted_at(tmp_path), console)
    text = console.export_text()
    assert "Checks: 1 passed, 0 failed, 0 warned, 1 skipped" in text
    assert f"skipped gold/fct_sales:gold_matches_extract_truth: {reason}" in text
    assert summary.ok  # a skipped check does not fail the run
