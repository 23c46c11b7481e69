"""Python asset checks (dbt data tests become checks on their own, through dagster-dbt).

- `gold_matches_extract_truth` (blocking): on a generated extract, the warehouse reproduces the
  truth figures of its manifest exactly. Where no truth applies (a real extract has no manifest;
  a warehouse holding several batches is not one manifest's extract) it cannot fail, so it does
  not pass either: it is reported skipped, as a WARN-severity failure whose metadata `skipped`
  says why (Dagster has no "skipped" result for a check that ran; WARN never blocks the run).
- `exports_match_gold`: every exported CSV has as many rows as its gold table.
"""

import json
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.assets.exports import EXPORTS_KEY
from orchestration.assets.raw import RAW_KEY
from orchestration.describe import markdown_table
from orchestration.resources import RetailResource
from retail.truth import TRUTH_SQL
from retail.warehouse import connect

TRUTH_DEPS = [dg.AssetKey(["gold", name]) for name in
              ("dim_customers", "dim_products", "fct_returns", "fct_web_events")]


SKIPPED = "skipped"  # metadata key of a check that had nothing to hold (see runner.summarize)


def skipped(reason: str, **metadata: Any) -> dg.AssetCheckResult:
    """A check with nothing to compare: a WARN failure that says why, never a pass."""
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                               description=f"skipped: {reason}",
                               metadata={SKIPPED: reason, **metadata})


def _number(value: Any) -> float:
    return float(value or 0)


# The connection type is quoted on purpose: a live reference to it from these functions kept
# DuckDB's binding alive past interpreter exit (`nanobind: leaked ...` after `retail run`).
def compare_with_truth(con: "duckdb.DuckDBPyConnection", truth: dict[str, Any]) -> list[tuple]:
    """(figure, expected, actual, ok) for every truth figure the manifest carries."""
    rows = []
    for name, sql in TRUTH_SQL.items():
        if name in truth:
            ((actual,),) = con.execute(sql).fetchall()
            rows.append((name, truth[name], actual, _number(actual) == _number(truth[name])))
    return rows


def _batches(con: "duckdb.DuckDBPyConnection") -> list[str]:
    return [b for (b,) in con.execute(
        "select distinct _batch_id from bronze.crm_sales_details order by 1").fetchall()]


@dg.asset_check(
    asset=dg.AssetKey(["gold", "fct_sales"]),
    additional_ins={"extract": dg.AssetIn(RAW_KEY)},
    additional_deps=TRUTH_DEPS,
    blocking=True,
    description="Gold reproduces the generator's truth figures exactly (generated extracts).",
)
def gold_matches_extract_truth(extract: str, retail: RetailResource) -> dg.AssetCheckResult:
    manifest_file = Path(extract) / "manifest.json"
    truth = json.loads(manifest_file.read_text()).get("truth") if manifest_file.exists() else None
    if not truth:
        return skipped("no manifest truth for a real extract")
    with connect(retail.settings().duckdb_path, read_only=True) as con:
        batches = _batches(con)
        if batches != [Path(extract).name]:
            held = ", ".join(batches) or "none"
            reason = (f"the warehouse holds several batches ({held}); one manifest's truth "
                      "does not apply" if len(batches) > 1 else
                      f"the warehouse holds batch {held}, not this extract's")
            return skipped(reason, batches=held)
        rows = compare_with_truth(con, truth)
    failed = [name for name, _, _, ok in rows if not ok]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"figures": dg.MetadataValue.md(markdown_table(
                      ["figure", "truth", "gold", "ok"], rows)),
                  "mismatches": ", ".join(failed) or "none"},
    )


@dg.asset_check(asset=EXPORTS_KEY, description="Each exported CSV has its gold table's rows.")
def exports_match_gold(retail: RetailResource) -> dg.AssetCheckResult:
    settings = retail.settings()
    manifest = json.loads((settings.powerbi_dir / "manifest.json").read_text())
    rows = []
    with connect(settings.duckdb_path, read_only=True) as con:
        for entry in manifest["tables"]:
            ((gold,),) = con.execute(f"select count(*) from {entry['table']}").fetchall()
            csv = str(settings.powerbi_dir / entry["file"]).replace("'", "''")
            in_file = con.execute(
                f"select count(*) from read_csv('{csv}', header = true, all_varchar = true)"
            ).fetchall()[0][0]
            rows.append((entry["table"], gold, in_file, gold == in_file))
    return dg.AssetCheckResult(
        passed=all(ok for *_, ok in rows),
        metadata={"tables": dg.MetadataValue.md(
            markdown_table(["table", "gold rows", "csv rows", "ok"], rows))},
    )


ASSET_CHECKS = [gold_matches_extract_truth, exports_match_gold]
