"""`retail ingest`: exit codes and what it prints (the real console script in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from ingest_fixtures import snapshot, write_extract

RETAIL = Path(sys.executable).with_name("retail")


def _retail(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETAIL_DUCKDB_PATH": str(db), "COLUMNS": "160"}
    return subprocess.run(
        [str(RETAIL), "ingest", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_ingest_prints_rows_per_table_and_exits_0(extract_dir: Path, warehouse: Path):
    done = _retail("--raw", str(extract_dir), "--batch-id", "cli-1", db=warehouse)
    assert done.returncode == 0, done.stderr
    assert "bronze.crm_cust_info" in done.stdout and "cli-1" in done.stdout
    row = next(line for line in done.stdout.splitlines() if "bronze.crm_cust_info" in line)
    assert row.rstrip(" │").endswith("4")  # the fixture's cust_info.csv has 4 data lines
    assert "(absent)" not in done.stdout


def test_bad_input_exits_2_with_file_and_line(extract_dir: Path, warehouse: Path):
    assert _retail("--raw", str(extract_dir), db=warehouse).returncode == 0
    before = snapshot(warehouse)
    sales = (extract_dir / "source_crm" / "sales_details.csv").read_text()
    write_extract(extract_dir, {"source_crm/sales_details.csv": sales + "SO9,X\n"})

    done = _retail("--raw", str(extract_dir), db=warehouse)

    assert done.returncode == 2
    assert "sales_details.csv, line 5: ragged row: expected 9 fields, found 2" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(warehouse) == before


def test_not_an_extract_exits_2(tmp_path: Path, warehouse: Path):
    (tmp_path / "photos").mkdir()
    done = _retail("--raw", str(tmp_path / "photos"), db=warehouse)
    assert done.returncode == 2
    assert "not an extract" in done.stderr
    assert not warehouse.exists()


def test_locked_warehouse_exits_3_and_is_left_alone(extract_dir: Path, warehouse: Path):
    assert _retail("--raw", str(extract_dir), db=warehouse).returncode == 0
    with duckdb.connect(str(warehouse)) as holder:  # this process holds the write lock
        done = _retail("--raw", str(extract_dir), "--batch-id", "other", db=warehouse)
        batches = holder.execute("select distinct _batch_id from bronze.crm_cust_info").fetchall()
    assert done.returncode == 3
    assert "in use by another process" in done.stderr
    assert batches == [("batch-a",)]


def test_an_unchanged_batch_is_reported_last_and_force_loads_it(extract_dir: Path,
                                                                warehouse: Path):
    assert _retail("--raw", str(extract_dir), db=warehouse).returncode == 0
    before = snapshot(warehouse)

    again = _retail("--raw", str(extract_dir), db=warehouse)

    assert again.returncode == 0, again.stderr
    assert snapshot(warehouse) == before
    last = again.stdout.strip().splitlines()[-1]  # the summary, after the table
    assert last.startswith("batch 'batch-a' is unchanged since its ingest at ")
    assert last.endswith("nothing loaded; --force loads it again")
    assert "as loaded before" in again.stdout and "nothing" in again.stdout

    forced = _retail("--raw", str(extract_dir), "--force", db=warehouse)

    assert forced.returncode == 0, forced.stderr
    assert "is unchanged since" not in forced.stdout
    assert snapshot(warehouse) != before  # loaded again: new load times
