"""When a model's description (orchestration/dbt_describe.py) is final: read from the lines a
dbt process writes, in the order it writes them (hand-made here, as dbt would write them)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.dbt_describe import Descriptions


def table(name: str, rows: int) -> dict:
    return {"table_name": f"gold.{name}", "row_count": rows, "columns": [["x", "INTEGER"]],
            "preview": "| x |"}


def write(path: Path, *lines: dict, partial: str = "") -> None:
    with path.open("a") as out:
        out.write("".join(json.dumps(line) + "\n" for line in lines) + partial)


def test_a_headline_waits_for_every_model_it_reads_that_the_step_builds(tmp_path: Path) -> None:
    path = tmp_path / "descriptions.jsonl"
    descriptions = Descriptions(path)
    descriptions.refresh()  # no file yet: nothing described
    assert descriptions.final("gold", "dim_date", ["dim_date"]) is None

    stale = {"figures": {"revenue": 1.0}}  # fct_sales built: kpi_daily_sales is last run's
    write(path, {"schema": "gold", "name": "dim_date", "table": table("dim_date", 3),
                 "headlines": {}},
          {"schema": "gold", "name": "fct_sales", "table": table("fct_sales", 7),
           "headlines": {"fct_sales": stale, "kpi_daily_sales": stale}},
          partial='{"schema": "gold", "name": "kpi_d')  # a line still being written
    descriptions.refresh()
    building = ["dim_date", "fct_sales", "kpi_daily_sales"]
    assert descriptions.final("gold", "dim_date", building) == (table("dim_date", 3), None)
    assert descriptions.final("gold", "fct_sales", building) is None  # waits for the mart
    # a step that does not build the mart: fct_sales's own line is final
    assert descriptions.final("gold", "fct_sales", ["fct_sales"]) == (table("fct_sales", 7), stale)

    fresh = {"figures": {"revenue": 2.0}}
    with path.open("a") as out:
        out.write('aily_sales", "table": ' + json.dumps(table("kpi_daily_sales", 2))
                  + ', "headlines": ' + json.dumps({"fct_sales": fresh, "kpi_daily_sales": fresh})
                  + "}\n")
    descriptions.refresh()
    assert [line["name"] for line in descriptions.lines] == [
        "dim_date", "fct_sales", "kpi_daily_sales"]
    assert descriptions.final("gold", "fct_sales", building) == (table("fct_sales", 7), fresh)
    assert descriptions.final("gold", "kpi_daily_sales", building) == (
        table("kpi_daily_sales", 2), fresh)


def test_a_failed_headline_is_final_with_its_error(tmp_path: Path) -> None:
    path = tmp_path / "descriptions.jsonl"
    failed = {"error": "Catalog Error: Table with name kpi_web_funnel does not exist!"}
    write(path, {"schema": "gold", "name": "kpi_web_funnel", "table": table("kpi_web_funnel", 0),
                 "headlines": {"kpi_web_funnel": failed}})
    descriptions = Descriptions(path)
    descriptions.refresh()
    assert descriptions.final("gold", "kpi_web_funnel", ["kpi_web_funnel"]) == (
        table("kpi_web_funnel", 0), failed)
