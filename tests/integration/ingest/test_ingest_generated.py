"""Bronze ingest on a generated extract: every data line lands once, with its line number."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import TABLE_OF, csv_records

from retail.ingest import ingest_extract


@pytest.fixture(scope="module")
def generated_warehouse(tiny_extract, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ingest-generated") / "retail.duckdb"
    ingest_extract(tiny_extract.path, db)
    return db


def _data_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("relative", sorted(TABLE_OF))
def test_rows_equal_data_lines_and_manifest(tiny_extract, generated_warehouse: Path, relative):
    path = tiny_extract.path / relative
    lines = _data_lines(path)
    expected = len(lines) if relative.endswith(".jsonl") else len(lines) - 1
    first_line = 1 if relative.endswith(".jsonl") else 2
    with duckdb.connect(str(generated_warehouse), read_only=True) as con:
        count, low, high, distinct = con.execute(
            "select count(*), min(_source_row), max(_source_row), count(distinct _source_row) "
            f"from bronze.{TABLE_OF[relative]} where _source_file = ?",
            [relative],
        ).fetchone()
    assert count == expected == tiny_extract.manifest["row_counts"][relative]
    assert (low, high, distinct) == (first_line, first_line + expected - 1, expected)


def test_generated_values_equal_an_independent_csv_read(tiny_extract, generated_warehouse: Path):
    relative = "source_crm/cust_info.csv"
    header, records = csv_records((tiny_extract.path / relative).read_text(encoding="utf-8"))
    select = ", ".join(header)
    with duckdb.connect(str(generated_warehouse), read_only=True) as con:
        rows = con.execute(
            f"select {select} from bronze.crm_cust_info order by _source_row"
        ).fetchall()
    assert rows == records


def test_generated_raw_lines_are_the_file_lines(tiny_extract, generated_warehouse: Path):
    lines = _data_lines(tiny_extract.path / "source_web" / "events.jsonl")
    with duckdb.connect(str(generated_warehouse), read_only=True) as con:
        raw = con.execute("select _raw_line from bronze.web_events order by _source_row").fetchall()
        malformed = con.execute(
            "select count(*) from bronze.web_events where event_id is null"
        ).fetchone()[0]
    assert [line for (line,) in raw] == lines
    assert malformed >= tiny_extract.manifest["defects"]["web_malformed"]


def test_generated_reingest_and_second_batch(tiny_extract, tmp_path: Path):
    db = tmp_path / "retail.duckdb"
    ingest_extract(tiny_extract.path, db)
    again = ingest_extract(tiny_extract.path, db)
    copy = shutil.copytree(tiny_extract.path, tmp_path / "batch-0002")
    second = ingest_extract(copy, db)
    with duckdb.connect(str(db), read_only=True) as con:
        per_batch = dict(
            con.execute(
                "select _batch_id, count(*) from bronze.crm_sales_details group by all"
            ).fetchall()
        )
    lines = tiny_extract.manifest["row_counts"]["source_crm/sales_details.csv"]
    assert again.rows == second.rows
    assert per_batch == {tiny_extract.path.name: lines, "batch-0002": lines}
