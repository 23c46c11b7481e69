"""The Power BI exposure (models/marts/_exposures.yml) names exactly the tables the export writes.

The export (retail.exports.powerbi.export_powerbi) writes every gold table: the dbt marts plus the
`nosql_*` tables the MongoDB step adds. Here it runs on a copy of the session warehouse to which
the MongoDB step's tables (named by retail.nosql.aggregations) are added as empty tables.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from retail.exports.powerbi import export_powerbi
from retail.nosql import aggregations
from retail.warehouse import connect

ROOT = Path(__file__).resolve().parents[3]
EXPOSURES = ROOT / "models" / "marts" / "_exposures.yml"
NOSQL_SOURCES = ROOT / "models" / "marts" / "nosql" / "_nosql__sources.yml"
NOSQL_TABLES = (aggregations.MOST_VIEWED_TABLE, aggregations.CATEGORY_DAILY_TABLE,
                aggregations.FUNNEL_TABLE)
DEPENDENCY = re.compile(r"""^(ref|source)\((?:'(\w+)',\s*)?'(\w+)'\)$""")


def exposure_tables() -> list[str]:
    """The table names of the Power BI exposure's depends_on (ref('x') and source('s', 'x'))."""
    exposures = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    (report,) = [e for e in exposures if e["name"] == "powerbi_retail_sales_report"]
    names = []
    for item in report["depends_on"]:
        match = DEPENDENCY.match(item)
        assert match, f"{EXPOSURES}: cannot read depends_on entry {item!r}"
        kind, source, name = match.groups()
        if kind == "source":
            assert source == "mongodb", item
        names.append(name)
    return names


def test_the_mongodb_tables_are_declared_as_a_source() -> None:
    sources = yaml.safe_load(NOSQL_SOURCES.read_text(encoding="utf-8"))["sources"]
    (mongodb,) = [s for s in sources if s["name"] == "mongodb"]
    assert mongodb["schema"] == "gold"
    assert sorted(t["name"] for t in mongodb["tables"]) == sorted(NOSQL_TABLES)


def test_the_exposure_lists_every_exported_table(built_warehouse: Any, tmp_path: Path) -> None:
    warehouse = tmp_path / "retail.duckdb"
    shutil.copyfile(built_warehouse.duckdb_path, warehouse)
    with connect(warehouse) as con:
        for table in NOSQL_TABLES:
            con.execute(f'create table gold."{table}" as select 1 as stand_in')
    result = export_powerbi(warehouse, tmp_path / "powerbi")
    exported = [Path(t.file).stem for t in result.tables]
    listed = exposure_tables()
    assert len(listed) == len(set(listed)), "the exposure names a table twice"
    assert sorted(listed) == sorted(exported)
    assert set(NOSQL_TABLES) <= set(exported) and "customer_segments" in exported
