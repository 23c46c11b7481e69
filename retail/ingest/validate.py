"""Checks that need no database: is this an extract, are the files there, are the headers right.

They run before the warehouse is opened, so the commonest mistakes (wrong folder, missing or
renamed column, empty file) are refused without touching it at all. Problems only visible
while parsing every line (ragged rows, bad bytes deep in a file) are caught by DuckDB inside
the load transaction, which then rolls back.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from retail.errors import BadInputError
from retail.ingest.layout import LAYOUT, SYSTEM_FOLDERS, SourceFile, find_file

MAX_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class PlannedFile:
    """A present, header-checked file and how to read it."""

    source: SourceFile
    path: Path
    header: tuple[str, ...]  # lower-cased column names in file order (empty for JSON Lines)
    source_file: str  # path relative to the extract root, as found (the `_source_file` value)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def plan_extract(raw_dir: Path) -> list[PlannedFile]:
    """Every present file of the extract, checked; raises BadInputError on the first problem."""
    raw_dir = Path(raw_dir)
    if not raw_dir.exists():
        raise BadInputError(raw_dir, "no such folder")
    if not raw_dir.is_dir():
        raise BadInputError(raw_dir, "not a folder (expected an extract folder)")
    if not any(_find_dir(raw_dir, name) for name in SYSTEM_FOLDERS[:2]):
        found = ", ".join(sorted(p.name for p in raw_dir.iterdir())[:8]) or "nothing"
        raise BadInputError(
            raw_dir,
            f"not an extract: expected the folders source_crm/ and source_erp/ (found: {found})",
        )
    located = [(source, find_file(raw_dir, source.relpath)) for source in LAYOUT]
    for source, path in located:
        if path is None:
            _refuse_non_file(raw_dir, source.relpath)
    missing = [source.relpath for source, path in located if path is None and not source.optional]
    if missing:
        others = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise BadInputError(raw_dir / missing[0], f"required file is missing{others}")
    planned = []
    for source, path in located:
        if path is None:
            continue
        try:
            planned.append(_check_file(raw_dir, source, path))
        except OSError as exc:  # unreadable (permissions, a broken link, ...)
            raise BadInputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return planned


def _refuse_non_file(raw_dir: Path, relpath: str) -> None:
    """A folder or a broken link where a file belongs is named as such, not as "missing"
    (for an optional file, not silently taken as absent)."""
    entry = raw_dir
    for part in relpath.split("/"):
        if not entry.is_dir():
            return
        matches = sorted(p for p in entry.iterdir() if p.name.lower() == part.lower())
        if not matches:
            return
        entry = matches[0]
    if entry.is_dir():
        raise BadInputError(entry, "is a directory, expected a file")
    if entry.is_symlink() and not entry.exists():
        raise BadInputError(entry, f"is a broken symbolic link (to {entry.readlink()})")
    if entry.exists() and not entry.is_file():
        raise BadInputError(entry, "is not a regular file (a pipe, socket or device?)")


def _find_dir(raw_dir: Path, name: str) -> bool:
    return any(p.is_dir() and p.name.lower() == name for p in raw_dir.iterdir())


def _check_file(raw_dir: Path, source: SourceFile, path: Path) -> PlannedFile:
    relative = path.relative_to(raw_dir).as_posix()
    if source.kind == "jsonl":
        return PlannedFile(source, path, (), relative)  # an empty events file is zero events
    if path.stat().st_size == 0:
        raise BadInputError(path, "file is empty (0 bytes): expected at least the header line")
    header = read_header(path)
    check_header(path, header, source.columns)
    return PlannedFile(source, path, header, relative)


def read_header(path: Path) -> tuple[str, ...]:
    """Column names of line 1, lower-cased and stripped (a UTF-8 BOM is ignored)."""
    with path.open("rb") as fh:
        raw = fh.readline(MAX_HEADER_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            path, f"not UTF-8: byte {raw[exc.start]:#04x} in the header is not valid UTF-8", line=1
        ) from None
    try:
        fields = next(csv.reader([text.rstrip("\r\n")], strict=True), [])
    except csv.Error as exc:
        raise BadInputError(path, f"unreadable header: {exc}", line=1) from None
    return tuple(name.strip().lower() for name in fields)


def check_header(path: Path, header: tuple[str, ...], expected: tuple[str, ...]) -> None:
    """Same column names as the contract (any order, any case); say exactly what differs."""
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise BadInputError(path, f"header repeats column(s) {_names(duplicates)}", line=1)
    missing = [name for name in expected if name not in header]
    unexpected = [name for name in header if name not in expected]
    if not missing and not unexpected:
        return
    problems = []
    if missing:
        problems.append(f"missing column(s) {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s) {_names(unexpected)}")
    if missing and unexpected:
        problems.append("renamed?")
    raise BadInputError(
        path, f"header does not match: {'; '.join(problems)} (expected: {','.join(expected)})", 1
    )


def _names(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
