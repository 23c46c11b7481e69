"""Warnings about a loaded batch: accepted, but probably not what the user meant to send.

Ingest refuses only what it cannot load. Some extracts load fine and are still suspicious:
a required file with a header and no data (an export that ran on an empty selection), or
an order dated in the future (a typo such as 2999, or a clock set wrong on the source system).
Silver keeps such rows, so nothing would ever say a word; these checks run inside the load
transaction, on the rows just loaded, and cost one small query each. They never fail the
ingest: `retail ingest` prints them after its table, Dagster logs them as warnings.

Why at ingest and not as a dbt warn-severity test: the warning can name the file and its line
(dbt only sees typed silver rows), and the user reads it when deciding whether to go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from retail.ingest.tables import qualified
from retail.ingest.validate import PlannedFile

#: Days an order date may lie ahead of today before it is called "in the future" (time zones,
#: an extract dated tomorrow by the source system's clock).
FUTURE_TOLERANCE_DAYS = 1


@dataclass(frozen=True)
class IngestWarning:
    """A problem worth a look that did not stop the ingest; says file, line and problem."""

    file: str
    problem: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line is not None else self.file
        return f"{where}: {self.problem}"


def batch_warnings(
    con: duckdb.DuckDBPyConnection, plan: list[PlannedFile], batch_id: str, rows: dict[str, int]
) -> list[IngestWarning]:
    """Every warning about batch `batch_id`, loaded from `plan` with `rows` rows per table."""
    found = [
        IngestWarning(
            str(planned.path),
            "header only, no data rows: the batch has none of these records "
            "(an export of an empty selection?)",
        )
        for planned in plan
        if planned.source.kind == "csv"
        and not planned.source.optional
        and rows.get(planned.source.table, 0) == 0
    ]
    sales = next((p for p in plan if p.source.table == "crm_sales_details"), None)
    if sales is not None:
        found.extend(_future_order_dates(con, sales, batch_id))
    return found


def _future_order_dates(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str
) -> list[IngestWarning]:
    """One warning for the sales lines dated after tomorrow, naming the first of them."""
    # The same reading of YYYYMMDD as silver's parse_yyyymmdd_date; unreadable dates are
    # silver's business (it nulls them), only readable future ones are suspicious here.
    ((count, first_line, first_value),) = con.execute(
        f"""
        select count(*), min(_source_row), arg_min(sls_order_dt, _source_row)
        from {qualified(planned.source)}
        where _batch_id = ? and _source_file = ?
          and regexp_full_match(trim(sls_order_dt), '[0-9]{{8}}')
          and try_strptime(trim(sls_order_dt), '%Y%m%d')
              > current_date + to_days(?)
        """,
        [batch_id, planned.source_file, FUTURE_TOLERANCE_DAYS],
    ).fetchall()
    if not count:
        return []
    others = f" ({count - 1:,} more line(s) like it)" if count > 1 else ""
    return [
        IngestWarning(
            str(Path(planned.path)),
            f"order date {first_value.strip()} is in the future{others}; silver keeps such "
            "orders as dated",
            line=first_line,
        )
    ]
