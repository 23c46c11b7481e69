"""User-facing errors: the CLI prints their message (no stack trace) and exits with their code."""

from __future__ import annotations

from pathlib import Path


class RetailError(Exception):
    """An error a person can act on. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1


class UsageError(RetailError):
    """Bad arguments or an unusable target (unwritable folder, existing folder without --force)."""

    exit_code = 2


class BadInputError(RetailError):
    """Bad input data: names the file, the line (when known) and the problem."""

    exit_code = 2

    def __init__(self, file: str | Path, problem: str, line: int | None = None) -> None:
        self.file = str(file)
        self.line = line
        self.problem = problem
        where = f"{self.file}, line {line}" if line is not None else self.file
        super().__init__(f"{where}: {problem}")


class WarehouseLockedError(RetailError):
    """Another process holds the DuckDB write lock."""

    exit_code = 3
