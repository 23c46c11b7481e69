"""Loading one CSV file into its bronze table with DuckDB's own reader, in one pass.

Options are pinned (no sniffing): comma, `"` quoting, every column VARCHAR named from the
checked header, blank -> NULL, strict widths. DuckDB keeps leading/trailing spaces and
un-doubles `""` inside quotes, so values land exactly as written.

`_source_row` comes from `row_number() over ()` on the scan. DuckDB runs that streaming window
in file order (it declares a fixed order), so the number is the record's position even with
`preserve_insertion_order = false`, which the caller sets to skip the costly order-preserving
insert. Record position + 1 is the line number unless a quoted value spans lines or blank lines
sit between records; `lines.scan_shape` spots the possibility and `_fix_line_numbers` then
rewrites the numbers from an exact Python pass.
"""

from __future__ import annotations

import duckdb

from retail.errors import BadInputError
from retail.ingest import lines, reader_errors
from retail.ingest.tables import ident, literal, qualified
from retail.ingest.validate import PlannedFile


def read_csv_sql(path: str, header: tuple[str, ...]) -> str:
    """The `read_csv(...)` call for a file of all-text columns named `header` (file order)."""
    columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header)
    return (
        f"read_csv({literal(path)}, columns = {{{columns}}}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        "encoding = 'utf-8')"
    )


def load_csv(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str, batch_seq: int
) -> int:
    """Append the file's records to its table; returns the row count. Raises BadInputError."""
    shape = lines.scan_shape(planned.path)
    selected = ", ".join(ident(name) for name in planned.header)
    sql = (
        f"insert into {qualified(planned.source)} by name "
        f"select {selected}, ? as _batch_id, ? as _batch_seq, ? as _source_file, "
        "row_number() over () + 1 as _source_row, now() as _ingested_at "
        f"from {read_csv_sql(str(planned.path), planned.header)}"
    )
    try:
        ((rows,),) = con.execute(sql, [batch_id, batch_seq, planned.source_file]).fetchall()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise reader_errors.translate(
            exc, planned.path, len(planned.header), shape.has_quote
        ) from None
    if shape.has_blank_line or (shape.has_quote and _has_multiline_value(con, planned, batch_id)):
        _fix_line_numbers(con, planned, batch_id, rows)
    return rows


def _scope(planned: PlannedFile) -> str:
    return f"{qualified(planned.source)} where _batch_id = ? and _source_file = ?"


def _has_multiline_value(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str
) -> bool:
    """Did any quoted value of this file span lines? (Only asked when the file has quotes.)"""
    spans = " or ".join(
        f"contains({ident(name)}, chr(10)) or contains({ident(name)}, chr(13))"
        for name in planned.header
    )
    # fetchall, not fetchone: a SELECT result stays open until read to its end, and an open
    # result makes the `con.register()` of _fix_line_numbers fail (ResourceInUseException).
    ((found,),) = con.execute(
        f"select exists (select 1 from {_scope(planned)} and ({spans}))",
        [batch_id, planned.source_file],
    ).fetchall()
    return bool(found)


def _fix_line_numbers(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str, rows: int
) -> None:
    """Replace record positions by the physical line on which each record starts."""
    import pyarrow as pa

    starts = lines.record_start_lines(planned.path)
    if len(starts) != rows:
        raise BadInputError(
            planned.path,
            f"cannot number lines: DuckDB read {rows} records but a line-by-line read found "
            f"{len(starts)}; check quoting and line endings",
        )
    line_map = pa.table({"record": pa.array(range(2, rows + 2), pa.int64()), "line": starts})
    con.register("_ingest_line_map", line_map)
    try:
        con.execute(
            f"update {qualified(planned.source)} as t set _source_row = m.line "
            "from _ingest_line_map as m "
            "where t._batch_id = ? and t._source_file = ? and t._source_row = m.record",
            [batch_id, planned.source_file],
        )
    finally:
        con.unregister("_ingest_line_map")
