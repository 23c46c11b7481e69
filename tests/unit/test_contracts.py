"""The bronze contract has one home, `retail/ingest/layout.py` LAYOUT; its copies agree with it.

dbt cannot import Python, so the dbt side spells the contract out: the sources yml (tables,
columns, load metadata), the `bronze_tables()` macro (table -> source, base and staging model,
record columns) that rejected_rows and the reconcile test loop over, and the accepted table
names of rejected_rows.source_table. The generator writes the headers. These tests hold every
copy equal to LAYOUT, so changing the contract in one place and not the others fails here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

# a submodule import: the test folder tests/unit/generators shadows the package's own name here
from generators.api import generate_extract
from retail.ingest.layout import LAYOUT, METADATA_COLUMNS, WEB_EVENT_FIELDS

ROOT = Path(__file__).resolve().parents[2]
MACRO = ROOT / "macros" / "bronze_tables.sql"
STAGING = ROOT / "models" / "staging"
LAYOUT_BY_TABLE = {source.table: source for source in LAYOUT}
METADATA = tuple(name for name, _ in METADATA_COLUMNS)


def macro_tables() -> list[dict]:
    """The list literal of `bronze_tables()` (Jinja literals are Python literals)."""
    text = MACRO.read_text(encoding="utf-8")
    match = re.search(r"\{%-?\s*set tables =(?P<literal>.*?)-?%\}", text, re.DOTALL)
    assert match, f"{MACRO}: no `set tables = [...]` in bronze_tables()"
    return ast.literal_eval(match["literal"].strip())


def source_tables() -> dict[str, tuple[str, str, list[str]]]:
    """bronze identifier -> (source, table name, column names) from every sources yml."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for path in sorted(STAGING.glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            assert source["schema"] == "bronze", path
            for table in source["tables"]:
                identifier = table.get("identifier", table["name"])
                assert identifier not in found, f"{path}: bronze.{identifier} declared twice"
                columns = [column["name"] for column in table.get("columns", [])]
                found[identifier] = (source["name"], table["name"], columns)
    return found


def test_the_macro_lists_the_layout_tables_in_order() -> None:
    assert [entry["table"] for entry in macro_tables()] == [s.table for s in LAYOUT]


@pytest.mark.parametrize("entry", macro_tables(), ids=lambda entry: entry["table"])
def test_each_macro_entry_matches_layout_and_names_real_models(entry: dict) -> None:
    layout = LAYOUT_BY_TABLE[entry["table"]]
    assert tuple(entry["columns"]) == layout.table_columns
    assert entry["staging_model"] == layout.staging_model
    assert entry["base_model"] == "base_" + layout.staging_model.removeprefix("stg_")
    assert entry["source"] == entry["table"].split("_", 1)[0]
    for model in (entry["staging_model"], entry["base_model"]):
        assert len(list(STAGING.rglob(f"{model}.sql"))) == 1, f"no model {model}.sql"


def test_the_sources_yml_declare_exactly_the_layout_tables() -> None:
    assert set(source_tables()) == set(LAYOUT_BY_TABLE)


@pytest.mark.parametrize("entry", macro_tables(), ids=lambda entry: entry["table"])
def test_each_source_has_the_layout_columns_then_the_load_metadata(entry: dict) -> None:
    source, name, columns = source_tables()[entry["table"]]
    assert (source, name) == (entry["source"], entry["source_table"])
    assert tuple(columns) == LAYOUT_BY_TABLE[entry["table"]].table_columns + METADATA


def test_rejected_rows_accepts_exactly_the_layout_tables() -> None:
    spec = yaml.safe_load((STAGING / "rejected_rows.yml").read_text(encoding="utf-8"))
    (model,) = [m for m in spec["models"] if m["name"] == "rejected_rows"]
    (column,) = [c for c in model["columns"] if c["name"] == "source_table"]
    (accepted,) = [t["accepted_values"] for t in column["data_tests"]
                   if isinstance(t, dict) and "accepted_values" in t]
    assert accepted["arguments"]["values"] == [s.table for s in LAYOUT]


@pytest.mark.parametrize("path", [
    STAGING / "rejected_rows.sql",
    ROOT / "tests" / "dbt" / "singular" / "assert_bronze_rows_reconcile.sql",
    ROOT / "macros" / "bronze_record_columns.sql",
], ids=lambda path: path.name)
def test_dbt_code_reads_the_tables_from_the_macro_not_a_copy(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "bronze_tables()" in text
    copies = [s.table for s in LAYOUT if s.table in text or f"'{s.staging_model}'" in text]
    assert copies == [], f"{path.name} spells out bronze tables again: {copies}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "extract"
    generate_extract(out, scale=0.02, seed=7, progress=False)
    return out


@pytest.mark.parametrize("source", [s for s in LAYOUT if s.kind == "csv"],
                         ids=lambda source: source.relpath)
def test_the_generator_writes_the_layout_headers(generated: Path, source) -> None:
    with (generated / source.relpath).open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n")
    # ingest lower-cases header names, so the file's case is free (ERP files are upper case)
    assert tuple(name.lower() for name in header.split(",")) == source.columns


def test_the_generator_writes_only_layout_event_fields(generated: Path) -> None:
    (events,) = [s for s in LAYOUT if s.kind == "jsonl"]
    keys: set[str] = set()
    for line in (generated / events.relpath).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # the generator writes some malformed lines on purpose
            continue
        if isinstance(record, dict):
            keys |= set(record)
    assert keys == set(WEB_EVENT_FIELDS) == set(events.columns)
