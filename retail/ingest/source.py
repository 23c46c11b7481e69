"""Which source system an extract comes from, and whether it may join this warehouse.

A warehouse holds ONE source system's history of batches: mixing two systems' customers and
products in one bronze makes silver merge them and gold wrong. Every batch therefore carries a
source label, recorded in `bronze._batches`:

- a generated extract (its `manifest.json` written by `generators/`): `generated seed=<seed>`;
  follow-on batches (`retail generate --after`) keep their parent's seed, so they continue it;
- any other extract: the `--source NAME` given to `retail ingest` / `retail run`, else `extract`.

`check_source` decides before anything is written:

- same label: the batch joins the warehouse (new batch appended, known batch id replaced);
  for a non-generated label, unless the batch shares nothing with the warehouse (see
  `_continues`), which is refused;
- the warehouse holds only generated data (the disposable demo) and the label differs:
  the extract gets a new warehouse of its own (`REPLACE`);
- any other mismatch: refused with exit 2 and the ways to start fresh.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import duckdb

from retail.errors import UsageError
from retail.ingest import batches
from retail.ingest.csv_loader import read_csv_sql
from retail.ingest.validate import PlannedFile
from retail.warehouse import schema_tables

GENERATOR_NAME = "retail-elt generators"
DEFAULT_SOURCE = "extract"
START_FRESH = (
    "start a new warehouse for it with `retail ingest --new` / `retail run --new` "
    "(this replaces the current one), or point RETAIL_DUCKDB_PATH at another file"
)


class Verdict(Enum):
    APPEND = "append"  # into the existing warehouse
    REPLACE = "replace"  # a new warehouse replaces the existing (generated) one
    NEW = "new"  # the warehouse holds no batch yet: build it


def source_label(raw_dir: Path, source: str | None = None) -> str:
    """The extract's source label (module docstring)."""
    manifest = Path(raw_dir) / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("generator") == GENERATOR_NAME and "seed" in data:
            return f"generated seed={data['seed']}"
    label = (source or "").strip()
    return label or DEFAULT_SOURCE


def is_generated(label: str) -> bool:
    return label.startswith("generated ")


def check_source(
    con: duckdb.DuckDBPyConnection,
    where: Path,
    label: str,
    plan: list[PlannedFile],
    batch_id: str,
) -> Verdict:
    """May this batch join the warehouse open on `con` (the file `where`)? Raises UsageError."""
    if not batches.has_registry(con):
        if _has_bronze_tables(con):
            raise UsageError(
                f"{where} holds bronze tables this version did not write (no bronze._batches "
                "register, no _batch_seq: an older version of this project or another tool); "
                f"to ingest, {START_FRESH}"
            )
        return Verdict.NEW
    held = batches.registered(con)
    if not held:
        return Verdict.NEW
    held_labels = sorted({record.source for record in held})
    shown = ", ".join(repr(name) for name in held_labels)
    if label in held_labels:
        if not is_generated(label) and not _continues(con, plan, batch_id):
            raise UsageError(
                f"this batch does not continue the warehouse {where} (source {label!r}): none of "
                "its customer ids (cust_info.csv) and none of its product keys (prd_info.csv) "
                f"are in the warehouse. If it comes from another system, {START_FRESH}"
            )
        return Verdict.APPEND
    if all(is_generated(name) for name in held_labels):
        return Verdict.REPLACE
    raise UsageError(
        f"this extract's source ({label!r}) is not the one the warehouse {where} holds "
        f"({shown}, {len(held)} batch(es)); a warehouse holds one source system's history. "
        f"To load this extract, {START_FRESH}"
    )


def _has_bronze_tables(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(schema_tables(con, "bronze"))


#: (bronze table, key column) pairs the continuation heuristic compares.
_KEYS = (("crm_cust_info", "cst_id"), ("crm_prd_info", "prd_key"))


def _continues(con: duckdb.DuckDBPyConnection, plan: list[PlannedFile], batch_id: str) -> bool:
    """Heuristic: a batch continues the warehouse unless BOTH its customer ids and its product
    keys are disjoint from those of the warehouse's other batches (each set non-empty). Real
    deltas re-send some customers or the product list; another system's extract shares neither.
    A file the check cannot read is left to the load, which reports it properly."""
    by_table = {planned.source.table: planned for planned in plan}
    for table, column in _KEYS:
        planned = by_table.get(table)
        if planned is None or column not in planned.header:
            return True
        sql = f"""
            with batch as (
                select distinct trim({column}) as v
                from {read_csv_sql(str(planned.path), planned.header)}
                where nullif(trim({column}), '') is not null
            ),
            warehouse as (
                select distinct trim({column}) as v from bronze.{table}
                where _batch_id <> ? and nullif(trim({column}), '') is not null
            )
            select (select count(*) from batch), (select count(*) from warehouse),
                (select count(*) from batch semi join warehouse using (v))
        """
        try:
            in_batch, in_warehouse, shared = con.execute(sql, [batch_id]).fetchall()[0]
        except duckdb.Error:
            return True
        if not in_batch or not in_warehouse or shared:
            return True
    return False


def preflight(
    duckdb_path: Path, raw_dir: Path | None, seed: int, source: str | None, new: bool
) -> Verdict | None:
    """For `retail run`: refuse an extract whose source may not join the warehouse (UsageError,
    exit 2) before the pipeline starts, rather than as a failed bronze step, and tell what the
    ingest will do (None when the pipeline decides: `--new`, no warehouse, an unreadable
    extract). Problems with the extract itself are left to the pipeline, which reports them."""
    from retail.errors import BadInputError
    from retail.ingest.validate import plan_extract
    from retail.warehouse import connect

    if new or not Path(duckdb_path).exists():
        return None
    if raw_dir is None:
        label, plan, batch_id = f"generated seed={seed}", [], ""
    else:
        label, batch_id = source_label(raw_dir, source), Path(raw_dir).name
        try:
            plan = plan_extract(raw_dir)
        except BadInputError:
            return None
    with connect(duckdb_path) as con:
        return check_source(con, Path(duckdb_path), label, plan, batch_id)
