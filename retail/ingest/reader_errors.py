"""Turning a DuckDB reader error into a BadInputError a person can act on.

DuckDB's CSV errors name the line and the problem, but in a page of parser options and
"possible fixes" that do not apply to an extract. We keep the line and one sentence. DuckDB
counts a record that spans lines as one line, so when the file holds quote characters the
line is re-located exactly with a Python pass (this only runs on the error path).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from retail.errors import BadInputError
from retail.ingest import lines

_LINE = re.compile(r"CSV Error on Line: (\d+)")
_WIDTH = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def translate(exc: duckdb.Error, path: Path, width: int, may_span_lines: bool) -> BadInputError:
    """The BadInputError for DuckDB's refusal of `path` (records of `width` fields)."""
    message = str(exc)
    match = _LINE.search(message)
    line = int(match.group(1)) if match else None
    if "unicode" in message.lower() or "utf-8" in message.lower():
        found = lines.locate_bad_utf8(path)
        if found:
            return BadInputError(path, f"not UTF-8: {found[1]}", line=found[0])
        return BadInputError(path, "not UTF-8", line=line)
    width_match = _WIDTH.search(message)
    if width_match:
        if may_span_lines:
            located = lines.locate_ragged(path, width)
            if located:
                line = located[0]
        expected, found = width_match.groups()
        if width == 1:
            return BadInputError(
                path, "contains a raw U+0001 control character, which JSON does not allow", line
            )
        return BadInputError(
            path, f"ragged row: expected {expected} fields, found {found}", line=line
        )
    if "unterminated quote" in message:
        if may_span_lines:
            line = lines.locate_quote_error(path) or line
        return BadInputError(path, "a quoted value is never closed (unterminated quote)", line)
    if "invalid state" in message:
        mixed = lines.locate_mixed_line_endings(path)
        if mixed is not None:
            return BadInputError(path, f"mixed line endings: {mixed[1]}", line=mixed[0])
    return BadInputError(path, _first_sentence(message), line=line)


def _first_sentence(message: str) -> str:
    """DuckDB's own explanation without its option dump."""
    for text in message.splitlines():
        text = text.strip()
        if (
            text
            and not text.startswith(("Original Line", "Possible"))
            and "Error on Line" not in text
        ):
            return text.removeprefix("Invalid Input Error: ")
    return message.strip().splitlines()[0] if message.strip() else "unreadable file"
