"""One real end-to-end run of every asset (ingest, dbt, Spark, MongoDB, exports) on a tiny extract.

The run goes through `run_pipeline`, the code behind `retail run`: the job from the same
Definitions `dagster dev` loads, an ephemeral instance, settings handed over as a value.
Expected figures come from the generator's manifest (its own truth), never from the run.
"""

import csv
import json
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def run(tiny_extract, tmp_path_factory, run_env):
    from orchestration.assets.raw import raw_run_config
    from orchestration.runner import run_pipeline

    root = tmp_path_factory.mktemp("e2e")
    with run_env(root) as settings:
        summary = run_pipeline(raw_run_config(path=tiny_extract.path), settings, root / "logs",
                               progress=False)
    return summary, settings, tiny_extract


def test_every_step_and_check_succeeds(run) -> None:
    summary, _, _ = run
    assert summary.ok, [s for s in summary.steps if s.status != "success"]
    assert {s.status for s in summary.steps} == {"success"}
    steps = {s.step for s in summary.steps}
    assert {"raw__extract", "bronze_ingest", "dbt_models", "dbt_segmentation_models",
            "segmentation__customer_segments_parquet", "nosql", "exports__powerbi"} <= steps
    assert len(summary.checks) > 50 and all(c.passed for c in summary.checks)
    names = {c.check for c in summary.checks}
    assert {"gold/fct_sales:gold_matches_extract_truth", "exports/powerbi:exports_match_gold",
            "gold/nosql_session_funnel:mongo_matches_dbt"} <= names


def test_gold_reproduces_the_generator_truth(run) -> None:
    from retail.truth import TRUTH_SQL  # the queries; the expected figures are the manifest's

    _, settings, extract = run
    truth = extract.manifest["truth"]
    assert set(TRUTH_SQL) <= set(truth)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        def one(sql: str):
            return con.execute(sql).fetchone()[0]

        for name, sql in TRUTH_SQL.items():
            assert one(sql) == truth[name], name
        segmented = one("select count(*) from gold.customer_segments")
        buyers = one("select count(distinct customer_key) from gold.fct_sales")
    assert segmented == buyers > 0


def test_exports_hold_every_gold_table_with_its_rows(run) -> None:
    _, settings, _ = run
    out = settings.powerbi_dir
    manifest = json.loads((out / "manifest.json").read_text())
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        gold = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'gold'"
        ).fetchall()}
        assert {t["table"] for t in manifest["tables"]} == {f"gold.{name}" for name in gold}
        for entry in manifest["tables"]:
            with (out / entry["file"]).open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                rows = sum(1 for _ in reader)
            expected = con.execute(f"select count(*) from {entry['table']}").fetchone()[0]
            assert rows == expected == entry["rows"], entry["table"]
            assert header == [c["name"] for c in entry["columns"]]
    assert not list(out.glob(".*.tmp"))


def test_materializations_carry_counts_schema_preview_and_headlines(run) -> None:
    summary, settings, extract = run
    truth = extract.manifest["truth"]
    sales = summary.materializations["gold/fct_sales"]
    assert sales["dagster/row_count"] == truth["order_lines"]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        models = con.execute(  # every relation dbt builds, with its columns in table order
            "select table_schema, table_name, list((column_name, data_type) order by "
            "ordinal_position) from information_schema.columns "
            "where table_schema in ('silver', 'gold') group by all").fetchall()
    for schema, name, columns in models:
        described = summary.materializations[f"{schema}/{name}"]
        assert described["dagster/table_name"] == f"{schema}.{name}"
        assert [(c.name, c.type) for c in described["dagster/column_schema"].columns] == [
            tuple(column.values()) if isinstance(column, dict) else tuple(column)
            for column in columns], name
    assert sales["preview"].startswith("| ")
    assert sales["revenue"] == pytest.approx(truth["revenue"])
    assert sales["orders"] == truth["orders"]
    assert sales["average_order_value"] == pytest.approx(truth["revenue"] / truth["orders"],
                                                         abs=0.005)
    funnel = summary.materializations["gold/kpi_web_funnel"]
    assert funnel["failed_payments"] == truth["failed_payments"]
    tiers = summary.materializations["gold/kpi_customer_tiers"]
    shares = [v for k, v in tiers.items() if k.startswith("tier_share_")]
    assert len(shares) == 3 and sum(shares) == pytest.approx(1, abs=0.001)
    bronze = summary.materializations["bronze/crm_sales_details"]
    assert bronze["batch_rows"] == extract.manifest["row_counts"]["source_crm/sales_details.csv"]
    assert summary.materializations["exports/powerbi"]["tables"] == len(summary.gold_rows)
    assert summary.gold_rows["fct_sales"] == truth["order_lines"]


def test_the_run_log_holds_dbt_output(run) -> None:
    summary, _, _ = run
    assert isinstance(summary.log_file, Path)
    assert "dbt" in summary.log_file.read_text()


def test_retail_docs_generates_a_site_with_the_catalog_and_serves_it(run) -> None:
    import threading
    import urllib.request

    from cli.commands import docs

    _, settings, _ = run
    folder = docs.generate(settings)
    assert folder == settings.export_dir / "dbt-docs"
    catalog = json.loads((folder / "catalog.json").read_text())
    fct_sales = catalog["nodes"]["model.retail.fct_sales"]
    assert "sales_amount" in {c.lower() for c in fct_sales["columns"]}
    assert (folder / "index.html").exists() and (folder / "manifest.json").exists()

    server = docs.make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{base}/index.html", timeout=10) as response:
            assert b"dbt" in response.read().lower()
        with urllib.request.urlopen(f"{base}/catalog.json", timeout=10) as response:
            assert json.loads(response.read())["nodes"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
