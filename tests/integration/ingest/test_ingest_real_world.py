"""Extracts with the defects of real exports (issue 10, cases 5, 6 and 10): they load.

A quoted value spanning lines, a web event line with a raw U+0001 or over 1 MiB, mixed line
endings in events.jsonl: each lands in bronze on its physical line, and silver rejects the bad
events with a reason. A folder where a file belongs is named as such. A header-only required
file and an order dated 2999 load with a warning naming the file and line. Expectations are
computed from the bytes each test writes, never from the loader.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import bronze_rows

from retail.dbt import run_dbt
from retail.errors import BadInputError
from retail.ingest import ingest_extract, lines
from retail.ingest.jsonl_loader import KEPT_BYTES, MAX_LINE_BYTES
from retail.settings import Settings

RETAIL = Path(sys.executable).with_name("retail")
RETURNS = "source_erp/RET_ORD_Q1.csv"
EVENTS = "source_web/events.jsonl"
SALES = "source_crm/sales_details.csv"


def _retail_ingest(raw: Path, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RETAIL_DUCKDB_PATH": str(db), "COLUMNS": "200"}
    return subprocess.run(
        [str(RETAIL), "ingest", "--raw", str(raw)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def extract(tiny_extract, tmp_path: Path) -> Path:
    """A private copy of the tiny generated extract, free to damage."""
    return Path(shutil.copytree(tiny_extract.path, tmp_path / "landing" / "batch-rw"))


def _records_with_lines(text: str) -> list[tuple[int, list[str]]]:
    """(physical start line, fields) of each data record, by Python's csv module."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    found, end = [], reader.line_num
    for row in reader:
        found.append((end + 1, row))
        end = reader.line_num
    return found


# --- case 5: a quoted value spanning lines, no blank line in the file ----------------------------


def test_multiline_quoted_value_ingests_with_physical_lines(extract: Path, tmp_path: Path):
    path = extract / RETURNS
    rows = path.read_text().splitlines()
    assert len(rows) > 5 and '"' not in path.read_text()  # the premise: a plain generated file
    rows[3] = rows[3].rsplit(",", 1)[0] + ',"Damaged,\nbox crushed"'
    path.write_text("\n".join(rows) + "\n")
    db = tmp_path / "wh" / "retail.duckdb"

    done = _retail_ingest(extract, db)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    expected = [
        (*[value if value != "" else None for value in fields], line)
        for line, fields in _records_with_lines(path.read_text())
    ]
    got = bronze_rows(
        db, "erp_ret_ord_q1", ["ord_num", "prd_key", "ret_dt", "ret_qty", "reason", "_source_row"]
    )
    assert got == expected
    # the record after the two-line value starts one line later than its position says
    assert (got[2][4], got[2][5]) == ("Damaged,\nbox crushed", 4)
    assert got[3][5] == 6 and got[-1][5] == len(rows) + 1


# --- case 6: web event lines DuckDB's reader cannot take ------------------------------------------


def _bad_events(extract: Path) -> tuple[list[bytes], dict[int, str]]:
    """Damage events.jsonl; returns its physical lines and line -> what was done."""
    path = extract / EVENTS
    content = path.read_bytes()
    assert content.endswith(b"\n") and b"\r" not in content
    physical = content.split(b"\n")[:-1]
    assert len(physical) > 20
    control = b'{"event_id":"ctl-1","event_type":"page_view","page_url":"/a\x01b"}'
    huge = b'{"event_id":"big-1","event_type":"page_view","page_url":"/' + b"x" * (3 << 20) + b'"}'
    physical[4] = control
    physical[9] = huge
    physical[12] = b""  # a blank line: skipped, still counted
    physical[15] = physical[15] + b"\r"  # one CRLF ending in an LF file
    path.write_bytes(b"\n".join(physical) + b"\n")
    return physical, {5: "control", 10: "huge", 13: "blank", 16: "crlf"}


@pytest.mark.dbt
def test_bad_event_lines_land_in_bronze_and_are_rejected_in_silver(extract: Path, tmp_path: Path):
    physical, damaged = _bad_events(extract)
    settings = Settings.rooted_at(tmp_path / "root")

    result = ingest_extract(extract, settings.duckdb_path, progress=False)

    expected = {
        number: raw.removesuffix(b"\r").decode()
        for number, raw in enumerate(physical, start=1)
        if raw
    }
    got = dict(bronze_rows(settings.duckdb_path, "web_events", ["_source_row", "_raw_line"]))
    assert result.rows["web_events"] == len(expected) == len(physical) - 1
    assert set(got) == set(expected)
    huge = physical[9]
    for number, text in expected.items():
        if number != 10:
            assert got[number] == text, number
    assert got[10].startswith("\x01truncated: line of ")
    assert f"line of {len(huge)} bytes" in got[10]
    assert got[10].endswith(huge[:KEPT_BYTES].decode())
    assert len(got[10].encode()) < KEPT_BYTES + 100

    run_dbt(["seed"], settings, target_path=tmp_path / "target")
    run_dbt(["run", "--select", "+rejected_rows"], settings, target_path=tmp_path / "target")
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select source_row, reason from silver.rejected_rows "
                "where source_table = 'web_events'"
            ).fetchall()
        )
        kept = {
            row
            for (row,) in con.execute(
                "select _source_row from silver.base_web__events where rejection_reason is null"
            ).fetchall()
        }
    assert reasons[5] == "malformed JSON line"
    assert reasons[10] == (
        f"line of {len(huge)} bytes exceeds the 1 MiB limit of an event line "
        "(bronze keeps its first 64 KiB)"
    )
    crlf = json.loads(expected[16])["event_id"]
    ids = dict(bronze_rows(settings.duckdb_path, "web_events", ["_source_row", "event_id"]))
    assert ids[16] == crlf  # the CRLF line's fields were extracted
    assert set(reasons) | kept == set(expected)  # every bronze line accounted for


def test_event_read_paths_agree(extract: Path, tmp_path: Path):
    """The fast (DuckDB) and the line-by-line path give the same rows for an ordinary file."""
    fast = ingest_extract(extract, tmp_path / "fast.duckdb", progress=False)
    events = extract / EVENTS
    last_line = events.read_bytes().count(b"\n")
    events.write_bytes(events.read_bytes() + b'{"event_id":"late","x":"\x01"}\n')
    slow = ingest_extract(extract, tmp_path / "slow.duckdb", progress=False)
    columns = ["_source_row", "_raw_line", "event_id", "customer_id", "ts", "page_url"]
    fast_rows = bronze_rows(tmp_path / "fast.duckdb", "web_events", columns)
    slow_rows = bronze_rows(tmp_path / "slow.duckdb", "web_events", columns)
    assert slow.rows["web_events"] == fast.rows["web_events"] + 1
    assert slow_rows[:-1] == fast_rows
    assert slow_rows[-1][:3] == (last_line + 1, '{"event_id":"late","x":"\x01"}', None)


PLAIN = {
    b'{"a":1}\n{"b":2}\n': True,
    b'{"a":1}\r\n{"b":2}\r\n': True,
    b'{"a":1}\r\n{"b":2}': True,
    b'{"a":1}\n{"b":2}\r\n': False,  # mixed endings
    b'{"a":"x\ry"}\n': False,  # a lone CR
    b'{"a":"\x01"}\n': False,
    b"x" * 40 + b"\nshort\n": False,  # a line over the limit (32 below)
    b"short\n" + b"y" * 33: False,  # ... also as the last line without an ending
    b"a\n" + b"z" * 32 + b"\nb\n": True,  # exactly the limit
}


@pytest.mark.logic
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize("content", PLAIN, ids=[repr(c)[:40] for c in PLAIN])
def test_plain_lines_across_chunk_boundaries(
    content: bytes, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(lines, "CHUNK", chunk)
    path = tmp_path / "e.jsonl"
    path.write_bytes(content)
    assert lines.plain_lines(path, 32) is PLAIN[content]


@pytest.mark.logic
def test_event_lines_number_truncate_and_strip_endings(tmp_path: Path):
    path = tmp_path / "e.jsonl"
    long = "é" * 30  # 60 bytes: over the limit of 40, kept to 9 bytes = 4 whole characters
    path.write_bytes(f"\ufeffone\r\n\ntwo\rstill two\n{long}\r\nlast".encode())
    found = [(e.number, e.text, e.length) for e in lines.event_lines(path, 40, keep=9)]
    assert found == [(1, "one", 3), (3, "two\rstill two", 13), (4, "éééé", 60), (5, "last", 4)]


def test_event_lines_not_utf8_is_refused_with_its_line(extract: Path, tmp_path: Path):
    events = extract / EVENTS
    count = len(events.read_bytes().split(b"\n")) - 1
    events.write_bytes(events.read_bytes() + b'{"x":"\x01"}\n{"event_id":"\xc3\x28"}\n')
    with pytest.raises(BadInputError) as raised:
        ingest_extract(extract, tmp_path / "w.duckdb", progress=False)
    assert raised.value.line == count + 2 and "not UTF-8" in raised.value.problem
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.logic
def test_bounds_are_what_the_silver_reason_says():
    assert (MAX_LINE_BYTES, KEPT_BYTES) == (1 << 20, 64 << 10)  # "1 MiB", "64 KiB"


# --- case 10: a folder where a file belongs; suspicious but loadable extracts --------------------


@pytest.mark.parametrize("relative", ["source_crm/cust_info.csv", EVENTS])
def test_a_directory_instead_of_a_file_is_named(extract: Path, tmp_path: Path, relative: str):
    (extract / relative).unlink()
    (extract / relative).mkdir()
    db = tmp_path / "wh" / "retail.duckdb"

    done = _retail_ingest(extract, db)

    assert done.returncode == 2
    assert f"{extract / relative}: is a directory, expected a file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists()


def test_header_only_file_and_future_order_date_warn(extract: Path, tmp_path: Path):
    locations = extract / "source_erp/LOC_A101.csv"
    locations.write_text(locations.read_text().splitlines()[0] + "\n")
    sales = extract / SALES
    rows = list(csv.reader(io.StringIO(sales.read_text(), newline="")))
    assert all("\n" not in value for row in rows for value in row)  # one line per record
    order_dt = rows[0].index("sls_order_dt")
    future_lines = [7, 12]  # physical lines, 1-based
    for line in future_lines:
        rows[line - 1][order_dt] = "29990101"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    sales.write_text(out.getvalue())
    db = tmp_path / "wh" / "retail.duckdb"

    done = _retail_ingest(extract, db)

    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, done.stderr
    assert f"{locations}: header only, no data rows" in warnings[0]
    assert f"{sales}, line {future_lines[0]}: order date 29990101 is in the future" in warnings[1]
    assert "1 more line(s)" in warnings[1]
    assert "warning" not in done.stdout  # the table stays clean
    assert len(bronze_rows(db, "crm_sales_details", ["sls_ord_num"])) == len(rows) - 1

    again = _retail_ingest(extract, db)  # unchanged: not loaded again, the same warnings

    assert again.returncode == 0, again.stderr
    assert "is unchanged since its ingest" in again.stdout
    assert [line for line in again.stderr.splitlines() if line.startswith("warning:")] == (
        warnings)


def test_generated_extract_loads_without_warnings(extract: Path, tmp_path: Path):
    result = ingest_extract(extract, tmp_path / "w.duckdb", progress=False)
    assert result.total_rows > 0
    assert result.warnings == ()
