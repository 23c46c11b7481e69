"""Bronze ingest on hand-written extracts: exact values, line numbers, batches, optional files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import (
    GOOD_EXTRACT,
    TABLE_OF,
    bronze_rows,
    csv_records,
    snapshot,
    write_extract,
)

from retail.ingest import ingest_extract

CSV_FILES = [name for name in GOOD_EXTRACT if name.endswith(".csv")]
WEB_FIELDS = [
    "event_id",
    "session_id",
    "customer_id",
    "event_type",
    "product_key",
    "order_number",
    "payment_status",
    "ts",
    "device",
    "page_url",
]


@pytest.mark.parametrize("relative", CSV_FILES)
def test_csv_values_land_exactly_as_written(extract_dir: Path, warehouse: Path, relative: str):
    ingest_extract(extract_dir, warehouse)
    header, records = csv_records(GOOD_EXTRACT[relative])
    rows = bronze_rows(warehouse, TABLE_OF[relative], [*header, "_source_row", "_source_file"])
    assert [row[:-2] for row in rows] == records  # spaces, quotes, commas kept; blank -> NULL
    assert [row[-2] for row in rows] == list(range(2, len(records) + 2))
    assert {row[-1] for row in rows} == {relative}


def test_tricky_values_are_not_trimmed_or_unquoted(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    names = bronze_rows(warehouse, "crm_cust_info", ["cst_firstname", "cst_lastname", "cst_gndr"])
    assert names[0] == (" Jon ", "Yang, Jr", "M")
    assert names[1] == ("  Eugene", "Huang  ", None)
    assert names[3] == ('Ru"by', "Müller", "F")
    genders = bronze_rows(warehouse, "erp_cust_az12", ["gen"])
    assert genders == [("Male ",), ("  ",)]


def test_bronze_columns_and_types_follow_the_contract(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'bronze' and table_name = 'erp_loc_a101' "
            "order by ordinal_position"
        ).fetchall()
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'bronze'"
        ).fetchall()
        events = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'bronze' and table_name = 'web_events' "
            "order by ordinal_position"
        ).fetchall()
    assert columns == [
        ("cid", "VARCHAR"),
        ("cntry", "VARCHAR"),
        ("_batch_id", "VARCHAR"),
        ("_batch_seq", "BIGINT"),
        ("_source_file", "VARCHAR"),
        ("_source_row", "BIGINT"),
        ("_ingested_at", "TIMESTAMP WITH TIME ZONE"),
    ]
    # web_events is a view over the stored lines (tables.EVENT_LINES), with the same contract
    assert sorted(name for (name,) in tables) == sorted(
        [*TABLE_OF.values(), "_batches", "_web_event_lines"]
    )
    assert events == [(name, "VARCHAR") for name in (*WEB_FIELDS, "_raw_line")] + columns[2:]


def test_web_events_keep_every_line_and_extract_fields(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    rows = bronze_rows(warehouse, "web_events", [*WEB_FIELDS, "_raw_line", "_source_row"])
    lines = GOOD_EXTRACT["source_web/events.jsonl"].splitlines()
    assert [row[-2] for row in rows] == lines
    assert [row[-1] for row in rows] == list(range(1, len(lines) + 1))
    for row, line in zip(rows, lines, strict=True):
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            assert row[: len(WEB_FIELDS)] == (None,) * len(WEB_FIELDS)
            continue
        expected = tuple(
            None if parsed.get(name) is None else str(parsed[name]) for name in WEB_FIELDS
        )
        assert row[: len(WEB_FIELDS)] == expected


def test_batch_defaults_to_folder_name_and_one_timestamp(extract_dir: Path, warehouse: Path):
    result = ingest_extract(extract_dir, warehouse)
    assert result.batch_id == "batch-a"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stamps = set()
        for table in TABLE_OF.values():
            stamps |= set(
                con.execute(
                    f"select distinct _batch_id, _ingested_at from bronze.{table}"
                ).fetchall()
            )
    assert len(stamps) == 1 and next(iter(stamps))[0] == "batch-a"
    assert result.rows["crm_cust_info"] == 4 and result.rows["web_events"] == 5


def test_reingesting_a_batch_replaces_it(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    first = snapshot(warehouse)
    again = ingest_extract(extract_dir, warehouse, force=True)  # unchanged files, loaded anyway
    second = snapshot(warehouse)
    assert not again.unchanged
    assert second["bronze.crm_cust_info"] != first["bronze.crm_cust_info"]  # a new load time

    def without_timestamps(snap: dict[str, list]) -> dict[str, list]:
        return {
            table: [row[:-1] for row in rows]
            for table, rows in snap.items()
            if table != "bronze._batches"  # the register's timestamps are its own
        }

    assert without_timestamps(second) == without_timestamps(first)
    assert len(second["bronze.crm_cust_info"]) == 4


def test_batches_accumulate(extract_dir: Path, warehouse: Path, tmp_path: Path):
    other = shutil.copytree(extract_dir, tmp_path / "landing" / "batch-b")
    ingest_extract(extract_dir, warehouse)
    ingest_extract(other, warehouse)
    ingest_extract(extract_dir, warehouse, batch_id="manual-1")
    rows = bronze_rows(warehouse, "crm_sales_details", ["_batch_id"])
    assert sorted({batch for (batch,) in rows}) == ["batch-a", "batch-b", "manual-1"]
    assert len(rows) == 3 * 3


def test_optional_files_absent_give_empty_tables(tmp_path: Path, warehouse: Path):
    required = {k: v for k, v in GOOD_EXTRACT.items() if "RET_ORD" not in k and "web" not in k}
    folder = write_extract(tmp_path / "minimal", required)
    result = ingest_extract(folder, warehouse)
    assert result.rows["erp_ret_ord_q1"] == 0 and result.rows["web_events"] == 0
    assert result.files["web_events"] is None
    assert bronze_rows(warehouse, "web_events", ["event_id"]) == []
    assert bronze_rows(warehouse, "erp_ret_ord_q1", ["ord_num"]) == []


def test_reingest_without_an_optional_file_drops_its_old_rows(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    (extract_dir / "source_web" / "events.jsonl").unlink()
    ingest_extract(extract_dir, warehouse)
    assert bronze_rows(warehouse, "web_events", ["event_id"]) == []


def test_multiline_values_and_blank_lines_keep_physical_line_numbers(
    extract_dir: Path, warehouse: Path
):
    cust_info = (
        "cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date\n"
        '11000,AW00011000,Jon,"Yang\nsecond line",M,M,2025-10-06\n'  # lines 2-3
        "\n"  # line 4: blank
        "11001,AW00011001,Eugene,Huang,S,M,2025-10-06\n"  # line 5
        '11002,AW00011002,"a\r\nb\nc",x,S,M,2025-10-06\n'  # lines 6-8
        "11003,AW00011003,Ruben,Torres,M,M,2025-10-07\n"  # line 9
    )
    write_extract(extract_dir, {"source_crm/cust_info.csv": cust_info})
    ingest_extract(extract_dir, warehouse)
    rows = bronze_rows(warehouse, "crm_cust_info", ["cst_id", "cst_lastname", "_source_row"])
    assert [(cst_id, line) for cst_id, _, line in rows] == [
        ("11000", 2),
        ("11001", 5),
        ("11002", 6),
        ("11003", 9),
    ]
    assert rows[0][1] == "Yang\nsecond line"


def test_blank_lines_in_events_are_skipped_but_counted(extract_dir: Path, warehouse: Path):
    write_extract(
        extract_dir, {"source_web/events.jsonl": '{"event_id":"a"}\n\n{"event_id":"b"}\n\n'}
    )
    ingest_extract(extract_dir, warehouse)
    assert bronze_rows(warehouse, "web_events", ["event_id", "_source_row"]) == [("a", 1), ("b", 3)]


def test_crlf_bom_uppercase_header_and_other_column_order(extract_dir: Path, warehouse: Path):
    loc = "\ufeffCNTRY,CID\r\nDE,AW-00011000\r\n,AW-00011001\r\n"
    write_extract(extract_dir, {"source_erp/LOC_A101.csv": loc})
    ingest_extract(extract_dir, warehouse)
    rows = bronze_rows(warehouse, "erp_loc_a101", ["cid", "cntry", "_source_row"])
    assert rows == [("AW-00011000", "DE", 2), ("AW-00011001", None, 3)]


def test_header_only_file_is_an_empty_table(extract_dir: Path, warehouse: Path):
    write_extract(extract_dir, {"source_erp/PX_CAT_G1V2.csv": "ID,CAT,SUBCAT,MAINTENANCE\n"})
    result = ingest_extract(extract_dir, warehouse)
    assert result.rows["erp_px_cat_g1v2"] == 0


def test_file_names_match_case_insensitively(tmp_path: Path, warehouse: Path):
    renamed = {k.replace("cust_info", "CUST_INFO"): v for k, v in GOOD_EXTRACT.items()}
    folder = write_extract(tmp_path / "upper", renamed)
    result = ingest_extract(folder, warehouse)
    assert result.files["crm_cust_info"] == "source_crm/CUST_INFO.csv"
    assert result.rows["crm_cust_info"] == 4


def test_ingest_settings_do_not_leak_to_other_connections(extract_dir: Path, warehouse: Path):
    ingest_extract(extract_dir, warehouse)
    with duckdb.connect(str(warehouse)) as other:  # same process: the same database instance
        ingest_extract(extract_dir, warehouse)
        setting = "select current_setting('preserve_insertion_order')"
        assert other.execute(setting).fetchone()[0] is True


def test_line_numbers_follow_file_order_across_reader_buffers(extract_dir: Path, warehouse: Path):
    """~40 MB of sales (more than one DuckDB CSV buffer): each line names its own number."""
    sales = extract_dir / "source_crm" / "sales_details.csv"
    header = GOOD_EXTRACT["source_crm/sales_details.csv"].splitlines()[0]
    with duckdb.connect() as con:  # writes `SO<line number>` into each line's first field
        con.execute(
            f"copy (select 'SO' || (i + 2) as sls_ord_num, 'FR-R92B-58' as sls_prd_key, "
            "'11000' as a, '20241229' as b, '20250105' as c, '20250110' as d, "
            "'3578' as e, '1' as f, '3578' as g from range(650000) as t(i)) "
            f"to '{sales}' (header false, quote '')"
        )
    sales.write_bytes(header.encode() + b"\n" + sales.read_bytes())
    ingest_extract(extract_dir, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        count, misplaced = con.execute(
            "select count(*), count(*) filter (sls_ord_num <> 'SO' || _source_row) "
            "from bronze.crm_sales_details"
        ).fetchone()
    assert (count, misplaced) == (650000, 0)
