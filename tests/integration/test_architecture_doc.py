"""docs/architecture.md cannot silently drift from the code: what it names must exist.

Every `schema.table` it names is in a warehouse that `dbt build` made (or, for the tables only
the MongoDB step writes, in that step's table list); every repository path it names exists;
it names every bronze table of the extract layout, the load metadata columns in their order, and
every variable retail/settings.py reads.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from retail.ingest.layout import LAYOUT, METADATA_COLUMNS, SYSTEM_FOLDERS
from retail.nosql.aggregations import CATEGORY_DAILY_TABLE, FUNNEL_TABLE, MOST_VIEWED_TABLE
from retail.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")
#: `gold.fct_sales`, not `gold.kpi_*` (a family) nor `bronze.<system>_<file>` (a pattern)
TABLE = re.compile(r"\b(bronze|silver|gold)\.([a-z_][a-z0-9_]*)\b(?![*<])")
#: a backquoted repository path: `retail/ingest/layout.py`, `macros/incremental/`
PATH = re.compile(r"`((?:[\w.*-]+/)+[\w.*-]*)`")
#: written by the MongoDB step, not by dbt (retail/nosql/aggregations.py)
NOSQL_TABLES = {("gold", t) for t in (MOST_VIEWED_TABLE, CATEGORY_DAILY_TABLE, FUNNEL_TABLE)}
#: folders that exist only once the pipeline ran (defaults of retail/settings.py)
RUNTIME_DIRS = ("warehouse/", "exports/", "data/")
#: paths inside an extract folder, not the repository
EXTRACT = tuple(f"{folder}/" for folder in SYSTEM_FOLDERS)


def named_tables() -> set[tuple[str, str]]:
    return {(m[1], m[2]) for m in TABLE.finditer(TEXT)}


def test_every_table_the_document_names_exists(built_warehouse: Any) -> None:
    with duckdb.connect(str(built_warehouse.duckdb_path), read_only=True) as con:
        built = set(con.execute("select table_schema, table_name from information_schema.tables")
                    .fetchall())
    named = named_tables()
    assert len(named) >= 20, "the table pattern no longer finds the document's tables"
    missing = sorted(f"{schema}.{table}" for schema, table in named - built - NOSQL_TABLES)
    assert not missing, f"docs/architecture.md names tables that do not exist: {missing}"


@pytest.mark.logic
def test_every_path_the_document_names_exists() -> None:
    paths = [m[1] for m in PATH.finditer(TEXT) if not m[1].startswith(RUNTIME_DIRS + EXTRACT)]
    assert len(paths) >= 15, "the path pattern no longer finds the document's paths"
    missing = [p for p in paths if not any(PROJECT_ROOT.glob(p.rstrip("/")))]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


@pytest.mark.logic
def test_the_document_names_every_bronze_table_and_the_metadata_columns() -> None:
    assert {("bronze", f.table) for f in LAYOUT} <= named_tables()
    assert ("bronze", "_batches") in named_tables()
    assert f"`{', '.join(name for name, _ in METADATA_COLUMNS)}`" in TEXT


@pytest.mark.logic
def test_the_document_names_every_variable_the_settings_read() -> None:
    source = (PROJECT_ROOT / "retail" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r"\"((?:RETAIL|SPARK|MONGODB)_[A-Z_]+)\"", source))
    assert {"RETAIL_DUCKDB_PATH", "MONGODB_URI", "SPARK_REMOTE"} <= variables
    assert not {v for v in variables if f"`{v}`" not in TEXT}


@pytest.mark.logic
def test_no_docstring_cites_a_design_file_outside_the_repository() -> None:
    outside = re.compile(r"\b(?:DESIGN|COMMON)\.md\b")
    citing = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("cli", "retail", "generators", "orchestration", "models", "macros",
                       "tests", "benchmarks")
        for path in sorted((PROJECT_ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".sql", ".yml"} and outside.search(path.read_text("utf-8"))
    ]
    assert not citing, f"cite docs/architecture.md instead: {citing}"
