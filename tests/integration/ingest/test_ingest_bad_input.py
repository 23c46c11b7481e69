"""Bad extracts are refused with file, line and problem, and leave the warehouse untouched."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import CUST_INFO, EVENTS, SALES, snapshot, write_extract

from retail.errors import BadInputError, RetailError, UsageError
from retail.ingest import ingest_extract


@dataclass(frozen=True)
class Case:
    """How to break the extract, and what the error must say."""

    break_it: Callable[[Path], None]
    file: str  # the end of the path the error must name
    line: int | None
    problem: str  # a phrase the message must contain


def _put(relative: str, content: str | bytes) -> Callable[[Path], None]:
    return lambda folder: write_extract(folder, {relative: content}) and None


def _remove(relative: str) -> Callable[[Path], None]:
    return lambda folder: (folder / relative).unlink()


def _append(relative: str, text: str | bytes, base: str) -> Callable[[Path], None]:
    extra = text if isinstance(text, bytes) else text.encode()
    return _put(relative, base.encode() + extra)


CUST = "source_crm/cust_info.csv"
SALES_FILE = "source_crm/sales_details.csv"
HEADER = CUST_INFO.splitlines()[0]

CASES = {
    "required file missing": Case(
        _remove(SALES_FILE), "sales_details.csv", None, "required file is missing"
    ),
    "header column missing": Case(
        _put(CUST, HEADER.replace(",cst_gndr", "") + "\n1,AW1,a,b,M,2025-01-01\n"),
        "cust_info.csv",
        1,
        "missing column(s) 'cst_gndr'",
    ),
    "header column renamed": Case(
        _put(CUST, HEADER.replace("cst_gndr", "cst_gender") + "\n"),
        "cust_info.csv",
        1,
        "unexpected column(s) 'cst_gender'",
    ),
    "not utf-8 in a record": Case(
        _append(CUST, "11009,AW00011009,Ren\xe9e,X,S,F,2025-10-06\n".encode("latin-1"), CUST_INFO),
        "cust_info.csv",
        6,
        "not UTF-8",
    ),
    "not utf-8 in the header": Case(
        _put(SALES_FILE, b"sls_ord_num\xff" + SALES.encode()[11:]),
        "sales_details.csv",
        1,
        "not UTF-8",
    ),
    "too many fields": Case(
        _append(SALES_FILE, "SO1,FR-R92B-58,11000,20241229,20250105,20250110,1,1,1,9\n", SALES),
        "sales_details.csv",
        5,
        "expected 9 fields, found 10",
    ),
    "too few fields": Case(
        _put(SALES_FILE, SALES.replace(",3578,1,3578\n", ",3578\n")),
        "sales_details.csv",
        2,
        "expected 9 fields, found 7",
    ),
    "too few fields after a multi-line value": Case(
        _append(CUST, '11010,AW1,"two\nlines",x,M,M,2025-01-01\n11011,AW2\n', CUST_INFO),
        "cust_info.csv",
        8,
        "expected 7 fields, found 2",
    ),
    "unterminated quote": Case(
        _append(CUST, '11012,AW3,"never closed,x,M,M,2025-01-01\n', CUST_INFO),
        "cust_info.csv",
        6,
        "unterminated quote",
    ),
    "text after a closing quote, after a multi-line value": Case(
        _append(
            CUST,
            '11013,AW4,"two\nlines",x,M,M,2025-01-01\n11014,AW5,"a"b,x,M,M,2025-01-01\n',
            CUST_INFO,
        ),
        "cust_info.csv",
        8,
        "unterminated quote",
    ),
    # (web event lines with U+0001 or mixed endings are not refused: test_ingest_real_world.py)
    "mixed line endings (CRLF file with an LF line)": Case(
        _put("source_erp/LOC_A101.csv", "CID,CNTRY\r\nAW-1,DE\r\nAW-2,FR\nAW-3,US\r\n"),
        "LOC_A101.csv",
        3,
        "mixed line endings: the line ends with LF, line 1 with CRLF",
    ),
    "header repeats a column": Case(
        _put("source_erp/LOC_A101.csv", "CID,CNTRY,cid\nAW-1,DE,AW-1\n"),
        "LOC_A101.csv",
        1,
        "header repeats column(s) 'cid'",
    ),
    "empty file": Case(_put("source_erp/LOC_A101.csv", b""), "LOC_A101.csv", None, "empty"),
    "bad bytes in the last file (web events)": Case(
        _append("source_web/events.jsonl", b'{"event_id":"\xc3\x28"}\n', EVENTS),
        "events.jsonl",
        6,
        "not UTF-8",
    ),
    "not an extract": Case(
        lambda folder: (
            [shutil.rmtree(folder / name) for name in ("source_crm", "source_erp")] and None
        ),
        "batch-a",
        None,
        "not an extract",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_and_changes_nothing(
    case: Case, extract_dir: Path, warehouse: Path, tmp_path: Path
):
    previous = shutil.copytree(extract_dir, tmp_path / "landing" / "batch-0")
    ingest_extract(previous, warehouse)
    ingest_extract(extract_dir, warehouse)  # the batch the bad re-delivery would replace
    before = snapshot(warehouse)

    case.break_it(extract_dir)
    with pytest.raises(BadInputError) as raised:
        ingest_extract(extract_dir, warehouse)

    error = raised.value
    assert error.file.endswith(case.file)
    assert error.line == case.line
    assert case.problem in str(error)
    if case.line is not None:
        assert f"line {case.line}" in str(error)
    assert snapshot(warehouse) == before


DURING_LOAD = [  # found by DuckDB while loading, after the warehouse file was opened
    "not utf-8 in a record",
    "too many fields",
    "too few fields after a multi-line value",
    "bad bytes in the last file (web events)",
    "mixed line endings (CRLF file with an LF line)",
]


@pytest.mark.parametrize("name", DURING_LOAD)
def test_failed_first_ingest_leaves_no_warehouse_file(
    name: str, extract_dir: Path, warehouse: Path
):
    CASES[name].break_it(extract_dir)
    with pytest.raises(BadInputError):
        ingest_extract(extract_dir, warehouse)
    assert not warehouse.exists()
    assert not warehouse.with_name(warehouse.name + ".wal").exists()


def test_missing_folder_is_named(tmp_path: Path, warehouse: Path):
    with pytest.raises(BadInputError, match="no such folder") as raised:
        ingest_extract(tmp_path / "nowhere", warehouse)
    assert raised.value.file.endswith("nowhere")


def test_malformed_json_is_not_an_error(extract_dir: Path, warehouse: Path):
    write_extract(extract_dir, {"source_web/events.jsonl": '{oops\n[1,2]\n"text"\n'})
    result = ingest_extract(extract_dir, warehouse)
    assert result.rows["web_events"] == 3


def test_empty_batch_id_is_a_usage_error(extract_dir: Path, warehouse: Path):
    with pytest.raises(UsageError, match="batch id"):
        ingest_extract(extract_dir, warehouse, batch_id=" ")
    assert not warehouse.exists()


def test_a_bronze_table_with_other_columns_is_refused_untouched(extract_dir: Path, warehouse: Path):
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema bronze")
        con.execute("create table bronze.erp_loc_a101 (cid varchar, country varchar)")
        con.execute("insert into bronze.erp_loc_a101 values ('AW-1', 'DE')")
    before = snapshot(warehouse)
    with pytest.raises(RetailError, match="holds bronze tables this version did not write"):
        ingest_extract(extract_dir, warehouse)
    assert snapshot(warehouse) == before
