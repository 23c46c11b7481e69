"""Loading `source_web/events.jsonl`: every line kept as text, fields extracted when it is JSON.

DuckDB's JSON readers drop or refuse malformed lines, but bronze must keep them (silver rejects
them with a reason). So the file is read as one-column CSV with no quoting and a delimiter JSON
never contains raw (U+0001): each line arrives intact as `_raw_line`, in parallel-friendly
chunks, and `json_transform` pulls all ten fields as text in one parse when `json_valid` says
the line is JSON (it reads numbers, booleans and nested values as their JSON text, like
`json_extract_string`, but was ~30% faster here). Blank lines carry nothing and are skipped;
numbering counts them, so `_source_row` stays the physical line (no header: line 1 is first).
"""

from __future__ import annotations

import duckdb

from retail.ingest import reader_errors
from retail.ingest.layout import WEB_EVENT_FIELDS
from retail.ingest.tables import ident, literal, qualified
from retail.ingest.validate import PlannedFile

DELIMITER = "\x01"


def load_jsonl(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str, batch_seq: int
) -> int:
    """Append the file's non-blank lines to bronze.web_events; returns the row count."""
    if planned.size == 0:
        return 0
    structure = "{" + ", ".join(f'"{name}": "VARCHAR"' for name in WEB_EVENT_FIELDS) + "}"
    fields = ", ".join(f"fields.{ident(name)} as {ident(name)}" for name in WEB_EVENT_FIELDS)
    reader = (
        f"read_csv({literal(str(planned.path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = {literal(DELIMITER)}, quote = '', escape = '', "
        "strict_mode = true, encoding = 'utf-8')"
    )
    sql = f"""
        insert into {qualified(planned.source)} by name
        with numbered as (
            select line, row_number() over () as line_number from {reader}
        ),
        parsed as (
            select
                line,
                line_number,
                case when json_valid(line) then json_transform(line, {literal(structure)}) end
                    as fields
            from numbered
            where line is not null
        )
        select {fields}, line as _raw_line, ? as _batch_id, ? as _batch_seq, ? as _source_file,
            line_number as _source_row, now() as _ingested_at
        from parsed
    """
    try:
        return con.execute(sql, [batch_id, batch_seq, planned.source_file]).fetchone()[0]
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise reader_errors.translate(exc, planned.path, 1, may_span_lines=False) from None
