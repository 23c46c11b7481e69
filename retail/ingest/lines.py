"""Physical line numbers: cheap checks on the fast path, exact Python passes on the rare paths.

DuckDB numbers CSV *records*; `_source_row` must be the file's *line*. The two agree unless a
quoted value spans lines or a blank line sits between records (DuckDB skips it). `scan_shape`
answers "could they disagree?" with one fast chunked scan of the bytes, so an ordinary
extract pays almost nothing. Only when they could do we walk the file with Python's csv module
(`record_start_lines`), and the `locate_*` helpers run only after DuckDB has already refused
a file, to name the exact line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

csv.field_size_limit(1 << 30)

CHUNK = 8 << 20
BLANK_LINES = (b"\n\n", b"\n\r\n", b"\r\r")


@dataclass(frozen=True)
class Shape:
    """What the byte scan found: quote characters anywhere, blank lines between records."""

    has_quote: bool
    has_blank_line: bool


def scan_shape(path: Path) -> Shape:
    """Look for `"` and for an empty line followed by more content (trailing ones are harmless).

    Reads 8 MiB at a time (memchr-speed `find`), so memory stays flat on multi-GB files.
    """
    quote = blank = candidate = False
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            quote = quote or b'"' in chunk
            data = tail + chunk
            if candidate:
                blank = blank or bool(chunk.strip(b"\r\n"))
            else:
                found = [at for at in (data.find(p) for p in BLANK_LINES) if at >= 0]
                if found:
                    candidate = True
                    blank = bool(data[min(found) :].strip(b"\r\n"))
            if quote and blank:
                break
            tail = data[-2:]
    return Shape(has_quote=quote, has_blank_line=blank)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) of each record after the header; blank lines skipped, as DuckDB does."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        next(reader, None)
        previous_end = reader.line_num
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if row:
                yield start, row


def record_start_lines(path: Path) -> list[int]:
    """The physical line on which each record starts, in file order (record i -> list[i])."""
    return [start for start, _ in _records(path)]


def locate_ragged(path: Path, width: int) -> tuple[int, int] | None:
    """(line, field count) of the first record whose width is not `width`, if any."""
    try:
        for start, row in _records(path):
            if len(row) != width:
                return start, len(row)
    except (csv.Error, UnicodeDecodeError):
        return None
    return None


def locate_quote_error(path: Path) -> int | None:
    """Start line of the first record whose quoting is broken (never closed, text after it)."""
    start = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            for _ in reader:
                start = reader.line_num + 1
    except csv.Error:
        return start
    except UnicodeDecodeError:
        return None
    return None


def locate_bad_utf8(path: Path) -> tuple[int, str] | None:
    """(line, description) of the first line that is not valid UTF-8, if any."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.end].hex(" ")
                return (
                    number,
                    f"byte(s) {bad} at byte {exc.start + 1} of the line are not valid UTF-8",
                )
    return None


def locate_mixed_line_endings(path: Path) -> tuple[int, str] | None:
    """(line, description) of the first line whose ending differs from line 1's (LF vs CRLF),
    or that holds a lone CR; DuckDB's strict reader refuses such files without naming a line.
    """
    first: bytes | None = None
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            body, ending = _split_ending(raw)
            if b"\r" in body:
                return number, "a carriage return (CR) inside the line"
            if not ending:
                break  # the last line may end without a newline
            if first is None:
                first = ending
            elif ending != first:
                return number, f"the line ends with {_NAMES[ending]}, line 1 with {_NAMES[first]}"
    return None


_NAMES = {b"\r\n": "CRLF", b"\n": "LF"}


def _split_ending(raw: bytes) -> tuple[bytes, bytes]:
    for ending in (b"\r\n", b"\n"):
        if raw.endswith(ending):
            return raw[: -len(ending)], ending
    return raw, b""
