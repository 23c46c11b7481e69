"""Power BI exports from a real DuckDB file: formats, manifest, atomicity, stale files."""

import csv
import json
from pathlib import Path

import duckdb
import pytest

from retail.exports import export_powerbi


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("set timezone = 'Europe/Berlin'")
        con.execute("create schema gold")
        con.execute(
            "create table gold.dim_things (thing_key varchar, name varchar, born date, "
            "price decimal(18,2), ratio double, is_current boolean, seen_at timestamptz)"
        )
        con.execute(
            "insert into gold.dim_things values "
            "('b2', 'two, with \"quotes\"', '2024-02-29', 1234.50, 0.25, false, "
            "'2024-03-01 12:30:00+01'), "
            "('a1', 'one', null, 7.00, null, true, null)"
        )
        con.execute("create table gold.kpi_empty (step_order integer, step varchar)")
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_every_gold_table_is_exported_in_power_bi_friendly_formats(tmp_path: Path) -> None:
    db = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "powerbi"
    result = export_powerbi(db, out)

    assert sorted(f.name for f in out.iterdir()) == ["dim_things.csv", "kpi_empty.csv",
                                                     "manifest.json"]
    rows = _read(out / "dim_things.csv")
    assert list(rows[0]) == ["thing_key", "name", "born", "price", "ratio", "is_current",
                             "seen_at"]
    # rows sorted, so the same warehouse gives the same file
    assert [r["thing_key"] for r in rows] == ["a1", "b2"]
    second = rows[1]
    assert second["name"] == 'two, with "quotes"'
    assert second["born"] == "2024-02-29"
    assert second["price"] == "1234.50"
    assert second["ratio"] == "0.25"
    assert second["is_current"] == "false"
    assert second["seen_at"] == "2024-03-01T11:30:00Z"
    assert rows[0]["born"] == "" and rows[0]["seen_at"] == ""
    assert _read(out / "kpi_empty.csv") == []
    assert (out / "kpi_empty.csv").read_bytes() == b"\xef\xbb\xbfstep_order,step\n"

    manifest = json.loads((out / "manifest.json").read_text())
    tables = {t["table"]: t for t in manifest["tables"]}
    assert tables["gold.dim_things"]["rows"] == 2
    assert tables["gold.kpi_empty"]["rows"] == 0
    assert tables["gold.dim_things"]["file"] == "dim_things.csv"
    assert [c["name"] for c in tables["gold.dim_things"]["columns"]][:3] == [
        "thing_key", "name", "born"]
    assert tables["gold.dim_things"]["columns"][3]["type"] == "DECIMAL(18,2)"
    assert manifest["format"]["encoding"] == "utf-8-sig"
    assert manifest["exported_at"] == result.exported_at


def test_reexport_is_byte_identical_and_drops_tables_gold_no_longer_has(tmp_path: Path) -> None:
    db = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "powerbi"
    export_powerbi(db, out)
    first = (out / "dim_things.csv").read_bytes()
    with duckdb.connect(str(db)) as con:
        con.execute("drop table gold.kpi_empty")
    export_powerbi(db, out)
    assert (out / "dim_things.csv").read_bytes() == first
    assert not (out / "kpi_empty.csv").exists()


def test_a_failing_table_leaves_the_previous_export_untouched(tmp_path: Path) -> None:
    db = _warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "powerbi"
    export_powerbi(db, out)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    with duckdb.connect(str(db)) as con:
        con.execute("create table main.source (x integer)")
        con.execute("create view gold.zz_broken as select * from main.source")
        con.execute("insert into gold.dim_things values ('c3', 'new', null, 1, 1, true, null)")
        con.execute("drop table main.source")
    with pytest.raises(duckdb.Error):
        export_powerbi(db, out)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


def test_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    from retail.errors import RetailError

    with pytest.raises(RetailError, match="no warehouse yet"):
        export_powerbi(tmp_path / "absent.duckdb", tmp_path / "out")


def test_files_carry_a_bom_round_doubles_and_leave_lineage_out(tmp_path: Path) -> None:
    """Accented text reads right with default settings (BOM), every DOUBLE has at most four
    decimals, and `_`-prefixed lineage columns stay in the warehouse."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema gold")
        con.execute(
            "create table gold.fct_things (thing_key varchar, name varchar, share double, "
            "amount decimal(18,2), _batch_id varchar, _batch_seq bigint, "
            "_ingested_at timestamptz)"
        )
        con.execute(
            "insert into gold.fct_things values ('a', 'José Müller', 2.0 / 3, 10.10, 'b1', 1, "
            "'2024-01-01 00:00:00+00'), ('b', 'Zoë', 0.00004, 1.00, 'b1', 1, null)"
        )
    out = tmp_path / "powerbi"
    export_powerbi(db, out)
    raw = (out / "fct_things.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
    rows = _read(out / "fct_things.csv")
    assert list(rows[0]) == ["thing_key", "name", "share", "amount"]
    assert [(r["name"], r["share"], r["amount"]) for r in rows] == [
        ("José Müller", str(round(2 / 3, 4)), "10.10"), ("Zoë", "0.0", "1.00")]
    entry = json.loads((out / "manifest.json").read_text())["tables"][0]
    assert [c["name"] for c in entry["columns"]] == ["thing_key", "name", "share", "amount"]
    assert entry["lineage_columns_left_out"] == ["_batch_id", "_batch_seq", "_ingested_at"]
    assert entry["bytes"] == len(raw)
    # DuckDB (the exports_match_gold check) reads the BOM file with the right header
    with duckdb.connect() as con:
        header = con.execute(
            f"select * from read_csv('{out / 'fct_things.csv'}', header = true) limit 0"
        ).description
    assert [c[0] for c in header] == ["thing_key", "name", "share", "amount"]
