"""What a warehouse holds: one source system's batches, ordered by first ingestion.

Real files, real warehouse files: the batch register, the refusal of another source (warehouse
untouched), the generated demo replaced by the user's extract, `--new`, the continuation
heuristic, and new warehouses that appear only once complete (failure or kill midway).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import GOOD_EXTRACT, snapshot, write_extract

from retail.errors import BadInputError, UsageError
from retail.ingest import ingest_extract
from retail.ingest.source import source_label
from retail.settings import Settings

RETAIL = Path(sys.executable).with_name("retail")
SALES = "source_crm/sales_details.csv"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny generated extract (seed 7) and, beside it, its generated follow-on batch."""
    from generators import generate_extract, generate_followon

    root = tmp_path_factory.mktemp("generated")
    generate_extract(root / "gen-1", scale=0.02, seed=7, progress=False)
    generate_followon(root / "gen-1", 3, root / "gen-2", progress=False)
    return root


def register(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select batch_id, batch_seq, source from bronze._batches order by batch_seq"
        ).fetchall()


def bronze_batches(db: Path, table: str = "crm_cust_info") -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select distinct _batch_id, _batch_seq from bronze.{table} order by 2"
        ).fetchall()


def leftovers(db: Path) -> list[str]:
    """Files beside the warehouse file named after it: a staging file, a WAL."""
    return sorted(p.name for p in db.parent.glob(db.name + ".*"))


def csv_column(text: str, column: int) -> list[str]:
    return [line.split(",")[column] for line in text.splitlines()[1:]]


def test_batches_are_ordered_by_first_ingestion_not_by_name(tmp_path: Path, warehouse: Path):
    nine = write_extract(tmp_path / "batch-9", GOOD_EXTRACT)
    ten = write_extract(tmp_path / "batch-10", GOOD_EXTRACT)
    ingest_extract(nine, warehouse)
    ingest_extract(ten, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (first_9,) = con.execute(
            "select first_ingested_at from bronze._batches where batch_id = 'batch-9'"
        ).fetchone()
    cust = nine / "source_crm" / "cust_info.csv"
    cust.write_text(cust.read_text().replace(" Jon ", " Jan "))  # a correction
    again = ingest_extract(nine, warehouse)  # a corrected re-ingest keeps its place in time

    assert again.batch_seq == 1
    assert register(warehouse) == [("batch-9", 1, "extract"), ("batch-10", 2, "extract")]
    for table in ("crm_cust_info", "crm_sales_details", "web_events"):
        assert bronze_batches(warehouse, table) == [("batch-9", 1), ("batch-10", 2)], table
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first, last, total, per_table = con.execute(
            "select first_ingested_at, ingested_at, total_rows, table_rows "
            "from bronze._batches where batch_id = 'batch-9'"
        ).fetchone()
    assert first == first_9 and last > first
    customers = len(GOOD_EXTRACT["source_crm/cust_info.csv"].splitlines()) - 1
    assert per_table["crm_cust_info"] == customers
    assert total == sum(per_table.values())


def test_a_generated_followon_continues_its_extract(generated: Path, warehouse: Path):
    assert source_label(generated / "gen-1") == "generated seed=7"
    assert source_label(generated / "gen-2") == "generated seed=7"
    ingest_extract(generated / "gen-1", warehouse)
    result = ingest_extract(generated / "gen-2", warehouse)
    assert result.note is None and not result.new_warehouse
    assert register(warehouse) == [
        ("gen-1", 1, "generated seed=7"), ("gen-2", 2, "generated seed=7")]


def test_a_user_extract_replaces_the_generated_demo(
    generated: Path, extract_dir: Path, warehouse: Path
):
    ingest_extract(generated / "gen-1", warehouse)
    ingest_extract(generated / "gen-2", warehouse)
    segments = Settings.rooted_at(warehouse.parent.parent).segments_dir
    segments.mkdir(parents=True)
    (segments / "part-0.parquet").write_bytes(b"stale")

    result = ingest_extract(extract_dir, warehouse)

    assert result.new_warehouse and result.note and "generated seed=7" in result.note
    assert register(warehouse) == [("batch-a", 1, "extract")]
    customers = len(GOOD_EXTRACT["source_crm/cust_info.csv"].splitlines()) - 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from bronze.crm_cust_info").fetchone() == (customers,)
        schemas = con.execute("select distinct schema_name from information_schema.schemata "
                              "where schema_name in ('silver', 'gold')").fetchall()
    assert schemas == []  # nothing built from the demo survives
    assert not segments.exists()
    assert leftovers(warehouse) == []


def test_a_generated_extract_onto_a_user_warehouse_is_refused_untouched(
    generated: Path, extract_dir: Path, warehouse: Path
):
    ingest_extract(extract_dir, warehouse)
    before = snapshot(warehouse)
    with pytest.raises(UsageError) as refused:
        ingest_extract(generated / "gen-1", warehouse)
    message = str(refused.value)
    assert refused.value.exit_code == 2
    assert "'generated seed=7'" in message and "'extract'" in message
    assert "--new" in message and "RETAIL_DUCKDB_PATH" in message
    assert snapshot(warehouse) == before


def test_a_named_source_onto_another_is_refused(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse, source="erp-eu")
    before = snapshot(warehouse)
    with pytest.raises(UsageError, match="'erp-us'.*'erp-eu'"):
        ingest_extract(extract_dir, warehouse, batch_id="b2", source="erp-us")
    assert snapshot(warehouse) == before
    ingest_extract(extract_dir, warehouse, batch_id="b2", source="erp-eu")
    assert [row[2] for row in register(warehouse)] == ["erp-eu", "erp-eu"]


def test_new_starts_a_fresh_warehouse(generated: Path, extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    result = ingest_extract(generated / "gen-2", warehouse, new=True)
    assert result.new_warehouse and result.batch_seq == 1
    assert register(warehouse) == [("gen-2", 1, "generated seed=7")]


def other_system(tmp_path: Path, keep_customers: bool) -> Path:
    """The hand-made extract with every product key, and unless `keep_customers` every
    customer id, changed: another system's data in the same layout."""
    files = dict(GOOD_EXTRACT)
    files["source_crm/prd_info.csv"] = files["source_crm/prd_info.csv"].replace("CO-RF-", "ZZ-")
    files["source_crm/prd_info.csv"] = files["source_crm/prd_info.csv"].replace("AC-BC-", "ZY-")
    if not keep_customers:
        files["source_crm/cust_info.csv"] = files["source_crm/cust_info.csv"].replace(",AW", ",X")
        files["source_crm/cust_info.csv"] = files["source_crm/cust_info.csv"].replace("1100", "900")
    name = "other-customers" if not keep_customers else "same-customers"
    return write_extract(tmp_path / name, files)


def test_an_extract_sharing_nothing_with_the_warehouse_is_refused(
    tmp_path: Path, extract_dir: Path, warehouse: Path
):
    ingest_extract(extract_dir, warehouse)
    other = other_system(tmp_path, keep_customers=False)
    ours = set(csv_column(GOOD_EXTRACT["source_crm/cust_info.csv"], 0)) - {""}
    theirs = set(csv_column((other / "source_crm/cust_info.csv").read_text(), 0)) - {""}
    assert ours and theirs and not ours & theirs  # the premise: disjoint customer ids
    before = snapshot(warehouse)
    with pytest.raises(UsageError, match="does not continue") as refused:
        ingest_extract(other, warehouse)
    assert "--new" in str(refused.value)
    assert snapshot(warehouse) == before
    # sharing customers (not products) is enough to continue
    ingest_extract(other_system(tmp_path, keep_customers=True), warehouse)
    assert len(register(warehouse)) == 2


def test_a_warehouse_of_an_older_version_is_refused_with_the_way_out(
    extract_dir: Path, warehouse: Path
):
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema bronze")
        con.execute("create table bronze.crm_cust_info (cst_id varchar, _batch_id varchar)")
    with pytest.raises(UsageError, match="--new"):
        ingest_extract(extract_dir, warehouse)
    assert ingest_extract(extract_dir, warehouse, new=True).new_warehouse
    assert register(warehouse) == [("batch-a", 1, "extract")]


def test_a_failed_new_warehouse_leaves_the_old_one_intact(
    generated: Path, tmp_path: Path, extract_dir: Path, warehouse: Path
):
    broken_generated = shutil.copytree(generated / "gen-1", tmp_path / "broken")
    sales = broken_generated / SALES
    lines = sales.read_text().splitlines()
    lines[len(lines) // 2] += ",one field too many"  # found by DuckDB midway through the load
    sales.write_text("\n".join(lines) + "\n")
    broken_user = write_extract(tmp_path / "broken-user", {
        **GOOD_EXTRACT, SALES: GOOD_EXTRACT[SALES] + "SO9,X\n"})

    # --new onto the user's warehouse
    ingest_extract(extract_dir, warehouse)
    before = snapshot(warehouse)
    with pytest.raises(BadInputError, match="sales_details.csv"):
        ingest_extract(broken_generated, warehouse, new=True)
    assert snapshot(warehouse) == before
    assert leftovers(warehouse) == []

    # a user extract replacing the generated demo
    ingest_extract(generated / "gen-1", warehouse, new=True)
    before = snapshot(warehouse)
    with pytest.raises(BadInputError, match="sales_details.csv"):
        ingest_extract(broken_user, warehouse)
    assert snapshot(warehouse) == before
    assert leftovers(warehouse) == []


def test_a_failed_first_ingest_leaves_no_warehouse(generated: Path, tmp_path: Path,
                                                   warehouse: Path):
    broken = shutil.copytree(generated / "gen-1", tmp_path / "broken")
    (broken / SALES).write_text((broken / SALES).read_text() + "SO1,X\n")
    with pytest.raises(BadInputError):
        ingest_extract(broken, warehouse)
    assert not warehouse.parent.exists() or list(warehouse.parent.iterdir()) == []


def test_a_first_ingest_killed_midway_leaves_no_warehouse(
    tmp_path_factory: pytest.TempPathFactory, warehouse: Path
):
    from generators import generate_extract

    extract = tmp_path_factory.mktemp("bigger") / "batch-1"
    generate_extract(extract, scale=0.3, seed=3, progress=False)
    env = {**os.environ, "RETAIL_DUCKDB_PATH": str(warehouse)}
    process = subprocess.Popen([str(RETAIL), "ingest", "--raw", str(extract)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = warehouse.with_name(warehouse.name + ".new")
    deadline = time.monotonic() + 60
    while not staging.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert staging.exists(), "the ingest never started a warehouse file"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    assert not warehouse.exists()  # never an empty or half-loaded warehouse
    done = subprocess.run([str(RETAIL), "ingest", "--raw", str(extract)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert register(warehouse) == [("batch-1", 1, "generated seed=3")]
    assert not staging.exists()
