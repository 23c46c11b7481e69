"""What a built table holds, as plain values: its row count, columns and a readable preview.

Dagster-free (orchestration/metadata.py turns a description into materialization metadata),
so the process that builds a table can describe it too: dbt's children in a `retail run`
(orchestration/dbt_describe.py) describe each model as soon as it is built.

The preview is for a person: the columns that say what a row is (natural keys, names, dates,
amounts), not the 32-character surrogate/hash keys nor the lineage columns (`_batch_id`,
`_ingested_at`, ...), and at most PREVIEW_COLUMNS of them. The full column list stays in
`dagster/column_schema`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import duckdb

from retail.warehouse import table_columns

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8
_HASH = re.compile(r"[0-9a-fA-F]{32}([0-9a-fA-F]{8}|[0-9a-fA-F]{32})?")  # md5, sha1, sha256
_SENTINEL = re.compile(r"-\d+")
_KEY_SUFFIXES = ("_key", "_hash", "_sk")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:40]


def _is_hash_column(name: str, type_: str, values: Sequence[Any]) -> bool:
    """A surrogate/hash key: text whose values are hex digests, apart from the unknown
    members' sentinels ('-1', '-2'); with no rows to look at, a text `*_key` column."""
    texts = [v for v in values if v is not None]
    digests = [v for v in texts if isinstance(v, str) and _HASH.fullmatch(v)]
    if digests:
        return all(v in digests or _SENTINEL.fullmatch(str(v)) for v in texts)
    return not texts and "VARCHAR" in type_.upper() and name.endswith(_KEY_SUFFIXES)


def preview_columns(
    columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], limit: int = PREVIEW_COLUMNS
) -> list[int]:
    """Indexes of the columns worth reading, at most `limit`: no lineage (`_...`), no hash key,
    no `x_key` beside its readable `x` (order_date_key beside order_date)."""
    names = {name for name, _ in columns}
    keep = [i for i, (name, type_) in enumerate(columns)
            if not name.startswith("_")
            and not (name.endswith("_key") and name.removesuffix("_key") in names)  # date keys
            and not _is_hash_column(name, type_, [row[i] for row in rows])]
    return keep[:limit]


def preview_markdown(
    columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]], total_rows: int
) -> str:
    """The first rows on the readable columns, with a line saying what was left out."""
    keep = preview_columns(columns, rows)
    table = markdown_table([columns[i][0] for i in keep], [[row[i] for i in keep] for row in rows])
    hidden = len(columns) - len(keep)
    note = f"{len(rows)} of {total_rows:,} rows"
    if hidden:
        note += (f"; {hidden} of {len(columns)} columns not shown (surrogate keys, lineage, "
                 "the rest: see the column schema)")
    return f"{table}\n\n_{note}_"


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def describe_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, preview_rows: int = PREVIEW_ROWS,
    columns: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """`schema.name`'s row count, (name, type) columns and a markdown preview of its first rows
    (`columns`: its columns when the caller has read them already), as JSON-ready values."""
    columns = table_columns(con, schema, name) if columns is None else columns
    relation = f'"{schema}"."{name}"'
    ((count,),) = con.execute(f"select count(*) from {relation}").fetchall()
    preview = con.execute(f"select * from {relation} limit {int(preview_rows)}").fetchall()
    return {
        "table_name": f"{schema}.{name}",
        "row_count": int(count),
        "columns": [[str(col), str(typ)] for col, typ in columns],
        "preview": preview_markdown(columns, preview, int(count)),
    }
