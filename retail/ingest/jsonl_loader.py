"""Loading `source_web/events.jsonl`: every line kept as text, fields extracted when it is JSON.

DuckDB's JSON readers drop or refuse malformed lines, but bronze must keep them (silver rejects
them with a reason). So the file is read as one-column CSV with no quoting and a delimiter JSON
never contains raw (U+0001): each line arrives intact as `_raw_line`, in parallel-friendly
chunks. Only the line and the load columns are stored (`tables.EVENT_LINES`): the view
bronze.web_events parses the ten fields from `_raw_line` when read (`tables._event_view`),
because storing them cost ~3x the time of storing the line (issue 12). Blank lines carry nothing and
are skipped; numbering counts them, so `_source_row` stays the physical line (no header: line
1 is first).

That reader stops on a line holding U+0001, a line over its 2 MB line limit, or line endings
it cannot follow (a lone CR, LF and CRLF mixed), which would refuse the whole batch for one bad
event. `lines.plain_lines` rules those out with one cheap byte scan; only a file that has one
goes through `_load_line_by_line`, a Python read of each line fed to the same SQL in Arrow
batches. A line longer than MAX_LINE_BYTES is kept truncated: `_raw_line` is the marker
`truncated_marker(length)` followed by the line's first KEPT_BYTES bytes, and silver rejects it
as "line of N bytes exceeds ...". Every other line lands exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import duckdb

from retail.errors import BadInputError
from retail.ingest import lines, reader_errors
from retail.ingest.tables import literal, storage
from retail.ingest.validate import PlannedFile

DELIMITER = "\x01"
MAX_LINE_BYTES = 1 << 20  # an event line is a few hundred bytes; DuckDB's reader stops at 2 MB
KEPT_BYTES = 64 << 10
BATCH_LINES = 50_000
_LINES_VIEW = "_ingest_event_lines"


def truncated_marker(length: int) -> str:
    """Start of `_raw_line` for a line too long to keep (base_web__events.sql parses it).

    U+0001 first: a line read whole never starts with it unless it is malformed anyway.
    """
    return f"\x01truncated: line of {length} bytes, first {KEPT_BYTES} kept\x01"


def load_jsonl(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, batch_id: str, batch_seq: int
) -> int:
    """Append the file's non-blank lines to bronze.web_events; returns the row count."""
    if planned.size == 0:
        return 0
    params = [batch_id, batch_seq, planned.source_file]
    if not lines.plain_lines(planned.path, MAX_LINE_BYTES):
        return _load_line_by_line(con, planned, params)
    reader = (
        f"read_csv({literal(str(planned.path))}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = {literal(DELIMITER)}, quote = '', escape = '', "
        "strict_mode = true, encoding = 'utf-8')"
    )
    numbered = f"select line, row_number() over () as line_number from {reader}"
    try:
        ((rows,),) = con.execute(_insert_sql(planned, numbered), params).fetchall()
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise reader_errors.translate(exc, planned.path, 1, may_span_lines=False) from None
    return rows


def _insert_sql(planned: PlannedFile, numbered: str) -> str:
    """Insert the rows of `numbered` (columns `line`, `line_number`; NULL line = blank)."""
    return f"""
        insert into {storage(planned.source)} by name
        select line as _raw_line, ? as _batch_id, ? as _batch_seq, ? as _source_file,
            line_number as _source_row, now() as _ingested_at
        from ({numbered})
        where line is not null
    """


def _load_line_by_line(
    con: duckdb.DuckDBPyConnection, planned: PlannedFile, params: list
) -> int:
    """The slow, exact path for a file with a line DuckDB's reader cannot take."""
    import pyarrow as pa

    sql = _insert_sql(planned, f"select line, line_number from {_LINES_VIEW}")
    total = 0
    for numbers, texts in _batches(planned):
        con.register(
            _LINES_VIEW,
            pa.table({"line": pa.array(texts, pa.string()), "line_number": numbers}),
        )
        try:
            ((rows,),) = con.execute(sql, params).fetchall()
        finally:
            con.unregister(_LINES_VIEW)
        total += rows
    return total


def _batches(planned: PlannedFile) -> Iterator[tuple[list[int], list[str]]]:
    """(line numbers, texts) of up to BATCH_LINES lines at a time."""
    found = lines.event_lines(planned.path, MAX_LINE_BYTES, KEPT_BYTES)
    try:
        while chunk := list(islice(found, BATCH_LINES)):
            yield (
                [line.number for line in chunk],
                [
                    line.text
                    if line.length <= MAX_LINE_BYTES
                    else truncated_marker(line.length) + line.text
                    for line in chunk
                ],
            )
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.end].hex(" ")
        raise BadInputError(
            planned.path,
            f"not UTF-8: byte(s) {bad} at byte {exc.start + 1} of the line are not valid UTF-8",
            line=getattr(exc, "line", None),
        ) from None
