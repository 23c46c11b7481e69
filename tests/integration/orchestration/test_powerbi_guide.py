"""The Power BI files and the loading guide, checked as a person loading them would meet them.

One real pipeline run (ingest, dbt, Spark, MongoDB, exports) on the tiny extract; the checks read
only the exported files (bytes, headers, rows) and docs/powerbi.md, never the warehouse, so they
see what Power BI sees. Expected values are derived from the files themselves (dates from the
fact files, keys from the dimension files), never copied from a run.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "powerbi.md"
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def exports(tiny_extract, tmp_path_factory, run_env) -> Path:
    from orchestration.assets.raw import raw_run_config
    from orchestration.runner import run_pipeline

    root = tmp_path_factory.mktemp("powerbi")
    with run_env(root) as settings:
        summary = run_pipeline(raw_run_config(path=tiny_extract.path), settings, root / "logs",
                               progress=False)
    assert summary.ok, [s for s in summary.steps if s.status != "success"]
    return settings.powerbi_dir


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _headers(out: Path) -> dict[str, list[str]]:
    return {path.stem: _rows(path)[0] for path in sorted(out.glob("*.csv"))}


def test_every_file_has_a_bom_and_decodes_with_the_accents_intact(exports: Path) -> None:
    files = sorted(exports.glob("*.csv"))
    assert len(files) == len(_manifest(exports)["tables"]) >= 20
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(BOM), path.name
        raw[len(BOM):].decode("utf-8")  # strict: raises on any invalid byte
    assert _manifest(exports)["format"]["encoding"] == "utf-8-sig"
    _, customers = _rows(exports / "dim_customers.csv")
    names = [f"{c['first_name']} {c['last_name']}" for c in customers]
    accented = [n for n in names if any(ord(ch) > 127 for ch in n)]
    assert accented, "the tiny extract should have accented customer names"
    assert not any("\ufffd" in n or "Ã" in n for n in names)  # no mojibake written


def test_dim_date_is_a_valid_power_bi_date_table(exports: Path) -> None:
    _, days = _rows(exports / "dim_date.csv")
    assert all(d["calendar_date"] for d in days), "a blank date blocks 'Mark as date table'"
    assert len({d["calendar_date"] for d in days}) == len(days)
    unknown = [d for d in days if d["date_key"] == "-1"]
    assert len(unknown) == 1
    assert unknown[0]["is_unknown"] == "true"
    known = sorted(date.fromisoformat(d["calendar_date"]) for d in days if d["date_key"] != "-1")
    assert all(d["is_unknown"] == "false" for d in days if d["date_key"] != "-1")
    assert (known[0].month, known[0].day) == (1, 1)
    assert (known[-1].month, known[-1].day) == (12, 31)
    assert all(b - a == timedelta(days=1) for a, b in zip(known, known[1:], strict=False))
    # the sentinel is the day before the first real day: every date unique and contiguous
    assert date.fromisoformat(unknown[0]["calendar_date"]) == known[0] - timedelta(days=1)
    by_key = {d["date_key"]: d["calendar_date"] for d in days}
    assert all(by_key[k] == f"{k[:4]}-{k[4:6]}-{k[6:]}" for k in by_key if k != "-1")
    # the range covers every date the fact files use
    used = []
    for table, column in (("fct_sales", "order_date"), ("fct_sales", "ship_date"),
                          ("fct_sales", "due_date"), ("fct_returns", "return_date")):
        used += [date.fromisoformat(r[column]) for r in _rows(exports / f"{table}.csv")[1]
                 if r[column]]
    used += [date.fromisoformat(r["event_at"][:10])
             for r in _rows(exports / "fct_web_events.csv")[1] if r["event_at"]]
    assert used and known[0] <= min(used) and max(used) <= known[-1]
    assert known[0].year == min(used).year and known[-1].year == max(used).year


def test_no_lineage_columns_in_any_bi_file(exports: Path) -> None:
    headers = _headers(exports)
    assert {name: [c for c in cols if c.startswith("_")] for name, cols in headers.items()
            if any(c.startswith("_") for c in cols)} == {}
    tables = {t["table"]: t for t in _manifest(exports)["tables"]}
    assert {"_batch_id", "_batch_seq", "_ingested_at"} <= set(
        tables["gold.fct_sales"]["lineage_columns_left_out"])
    for entry in tables.values():
        assert [c["name"] for c in entry["columns"]] == headers[Path(entry["file"]).stem]


def test_every_double_column_has_at_most_four_decimals(exports: Path) -> None:
    doubles = [(e["file"], c["name"]) for e in _manifest(exports)["tables"]
               for c in e["columns"] if c["type"].upper() in ("DOUBLE", "FLOAT", "REAL")]
    assert {"kpi_customer_tiers.csv", "customer_segments.csv"} <= {f for f, _ in doubles}
    number = re.compile(r"^-?\d+(\.(\d+))?$")
    fractional = 0
    for file, column in doubles:
        for row in _rows(exports / file)[1]:
            value = row[column]
            if not value:
                continue
            match = number.match(value)
            assert match, (file, column, value)  # plain decimal, no exponent
            assert len(match.group(2) or "") <= 4, (file, column, value)
            fractional += bool(match.group(2)) and match.group(2) != "0"
    assert fractional > 0  # the check saw real ratios, not only whole numbers


# ---------------------------------------------------------------------------------------------
# The loading guide names only what the files have, and its relationships hold on the data.

QUALIFIED = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$")
DAX = re.compile(r"\b([a-z][a-z0-9_]*)\[([a-z_][a-z0-9_]*)\]")
NOT_TABLES = {"csv", "json", "md", "yml", "py"}


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _relationships(text: str) -> list[tuple[int, str, str, str, str, str]]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1].strip("`"), cells[2].strip("`"), *cells[3:]))
    return rows


def test_every_table_and_column_the_guide_names_exists_in_the_files(exports: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    headers = _headers(exports)
    named_files, named_columns = set(), set()
    for span in _code_spans(text):
        if span.endswith(".csv"):
            named_files.add(span[:-4])
        elif (match := QUALIFIED.match(span)) and match.group(2) not in NOT_TABLES:
            named_columns.add(match.groups())
        named_columns.update(DAX.findall(span))
    assert named_files == set(headers), "the guide must name every exported file, no other"
    missing = sorted(f"{t}.{c}" for t, c in named_columns if c not in headers.get(t, []))
    assert not missing, f"the guide names columns the files do not have: {missing}"
    assert ("dim_date", "calendar_date") in named_columns
    assert "Folder -> Combine" in text and "Do **not**" in text  # the old advice is retracted


def test_the_guides_relationships_hold_on_the_exported_rows(exports: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    relationships = _relationships(text)
    assert [r[0] for r in relationships] == list(range(1, len(relationships) + 1))
    assert len(relationships) >= 15
    values: dict[tuple[str, str], list[str]] = {}

    def column(qualified: str) -> list[str]:
        table, name = QUALIFIED.match(qualified).groups()
        if (table, name) not in values:
            header, rows = _rows(exports / f"{table}.csv")
            assert name in header, qualified
            values[table, name] = [r[name] for r in rows]
        return values[table, name]

    for step, source, target, cardinality, direction, active in relationships:
        many, one = column(source), column(target)
        assert all(one) and len(set(one)) == len(one), f"step {step}: {target} is not a key"
        orphans = {v for v in many if v} - set(one)
        assert not orphans, f"step {step}: {source} values missing from {target}: {orphans}"
        assert cardinality in ("Many to one (*:1)", "One to one (1:1)"), step
        if cardinality.startswith("One to one"):
            assert len(set(many)) == len(many) and direction == "Both", step
        else:
            assert direction == "Single", step
        assert active in ("yes", "no"), step
    # one active path from each fact to dim_date
    active_dates = [r[1].split(".")[0] for r in relationships
                    if r[2] == "dim_date.date_key" and r[5] == "yes"]
    assert len(active_dates) == len(set(active_dates))
