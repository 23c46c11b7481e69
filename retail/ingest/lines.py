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


def plain_lines(path: Path, max_line_bytes: int) -> bool:
    """Can DuckDB's one-column reader take this JSON Lines file as it is?

    It can unless a line holds U+0001 (the reader's delimiter), a line is longer than
    `max_line_bytes`, or a CR is not part of a uniform CRLF ending (a lone CR or LF and CRLF
    mixed make DuckDB's reader stop). One chunked pass: `in`/`count` run at memchr speed, and
    long lines are found by probing one position every `max_line_bytes` (a longer line must
    cover a probe), so an ordinary file costs two or three scans of memory.
    """
    run = 0  # bytes of the line still open at the end of the previous chunk
    carriage = feeds = pairs = 0
    previous = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if b"\x01" in chunk:
                return False
            feeds += chunk.count(b"\n")
            pairs += previous == b"\r" and chunk[:1] == b"\n"  # a CRLF cut by the chunking
            if b"\r" in chunk:
                carriage += chunk.count(b"\r")
                pairs += chunk.count(b"\r\n")
            run = _longest_line_fits(chunk, run, max_line_bytes)
            if run < 0:
                return False
            previous = chunk[-1:]
    return carriage == 0 or carriage == pairs == feeds


def _longest_line_fits(chunk: bytes, run: int, max_line_bytes: int) -> int:
    """The open line's length after `chunk`, or -1 when a line longer than the limit was seen."""
    first = chunk.find(b"\n")
    if first < 0:
        run += len(chunk)
        return -1 if run > max_line_bytes else run
    if run + first > max_line_bytes:
        return -1
    last = chunk.rfind(b"\n")
    probe = first + 1
    while probe < last:
        start = chunk.rfind(b"\n", 0, probe) + 1
        end = chunk.find(b"\n", probe)
        if end - start > max_line_bytes:
            return -1
        probe = max(probe + max_line_bytes, end + 1)
    run = len(chunk) - last - 1
    return -1 if run > max_line_bytes else run


@dataclass(frozen=True)
class EventLine:
    """One non-blank line of a JSON Lines file, read by `event_lines`."""

    number: int  # physical line, 1-based
    text: str  # the line without its ending; only the first `keep` bytes when too long
    length: int  # the line's length in bytes (without its ending)


def event_lines(path: Path, max_line_bytes: int, keep: int) -> Iterator[EventLine]:
    """Every non-blank line with its number, never holding more than one line in memory.

    A line longer than `max_line_bytes` is read in pieces and only its first `keep` bytes are
    kept (cut back to a whole UTF-8 character). Endings are LF or CRLF, a lone CR stays in the
    line, a UTF-8 BOM on line 1 is dropped: the same lines DuckDB's reader returns when it can
    read the file. Raises UnicodeDecodeError (with `.line` set) for bytes that are not UTF-8.
    """
    limit = max_line_bytes + 2  # room for CRLF
    with path.open("rb") as fh:
        number = 0
        while raw := fh.readline(limit):
            number += 1
            cut = len(raw) == limit and not raw.endswith(b"\n")  # the line goes on
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            length = len(raw)
            if cut:
                tail = raw[-2:]
                while more := fh.readline(CHUNK):
                    length += len(more)
                    tail = (tail + more)[-2:]
                    if more.endswith(b"\n"):
                        break
            else:
                tail = raw[-2:]
            length -= 2 if tail == b"\r\n" else 1 if tail.endswith(b"\n") else 0
            if length == 0:
                continue
            body = raw[: min(length, keep if length > max_line_bytes else length)]
            yield EventLine(number, _decode(body, number, whole=length <= max_line_bytes), length)


def _decode(body: bytes, number: int, whole: bool) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not whole and exc.start >= len(body) - 3:  # a character cut by the truncation
            return body[: exc.start].decode("utf-8", errors="replace")
        exc.line = number  # type: ignore[attr-defined]
        raise
