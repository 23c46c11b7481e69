"""`ingest_extract`: one extract folder into the bronze tables, all files or none.

Order of work: check the folder, files and headers without opening the warehouse; then, in ONE
transaction, create missing tables, delete the batch's earlier rows and load every file. Any
refusal rolls the transaction back, so the warehouse stays exactly as it was (a warehouse file
that this call created is removed again).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retail.errors import UsageError
from retail.ingest import batches
from retail.ingest.csv_loader import load_csv
from retail.ingest.jsonl_loader import load_jsonl
from retail.ingest.layout import LAYOUT
from retail.ingest.load_warnings import IngestWarning, batch_warnings
from retail.ingest.tables import count_rows, delete_batch, ensure_tables
from retail.ingest.validate import PlannedFile, plan_extract
from retail.progress import progress_bar
from retail.warehouse import connect


@dataclass(frozen=True)
class IngestResult:
    """What one ingest loaded: rows of the batch per bronze table, and what it cost."""

    batch_id: str
    raw_dir: Path
    duckdb_path: Path
    rows: dict[str, int]
    files: dict[str, str | None] = field(default_factory=dict)  # table -> source file or None
    bytes_read: int = 0
    seconds: float = 0.0
    warnings: tuple[IngestWarning, ...] = ()  # loaded, but worth a look (load_warnings.py)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def ingest_extract(
    raw_dir: Path,
    duckdb_path: Path,
    batch_id: str | None = None,
    *,
    progress: bool | None = None,
) -> IngestResult:
    """Load the extract in `raw_dir` into `bronze.*` of `duckdb_path` as batch `batch_id`.

    `batch_id` defaults to the folder's name. Re-ingesting a batch replaces its rows; other
    batches are kept. Raises BadInputError (nothing written) when the extract is not usable.
    """
    started = time.perf_counter()
    raw_dir = Path(raw_dir).absolute()
    duckdb_path = Path(duckdb_path)
    batch_id = raw_dir.name if batch_id is None else batch_id
    if not batch_id.strip():
        raise UsageError("the batch id must not be empty")
    plan = plan_extract(raw_dir)
    existed = duckdb_path.exists()
    con = connect(duckdb_path)
    try:
        rows = _load_batch(con, plan, batch_id, raw_dir, "extract", progress)
    except BaseException:
        con.close()
        if not existed:
            _remove_database(duckdb_path)
        raise
    try:
        warnings = tuple(batch_warnings(con, plan, batch_id, rows))
    finally:
        con.close()
    by_table = {planned.source.table: planned for planned in plan}
    return IngestResult(
        batch_id=batch_id,
        raw_dir=raw_dir,
        duckdb_path=duckdb_path,
        rows=rows,
        files={
            s.table: by_table[s.table].source_file if s.table in by_table else None for s in LAYOUT
        },
        bytes_read=sum(planned.size for planned in plan),
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    plan: list[PlannedFile],
    batch_id: str,
    raw_dir: Path,
    source: str,
    progress: bool | None,
) -> dict[str, int]:
    """Everything inside one transaction: tables, delete of the old batch, every file, the
    register row. Returns the batch's rows per table."""
    # Row numbers come from an order-fixed window, so the insert itself need not keep order;
    # letting it go skips DuckDB's order-preserving "Batch Insert", the costliest part. SESSION:
    # other connections to the same database in this process keep their settings.
    con.execute("set session preserve_insertion_order = false")
    con.execute("set session enable_progress_bar = false")  # ours (rich) is the one display
    con.execute("begin transaction")
    try:
        ensure_tables(con)
        batches.ensure_registry(con)
        batch_seq = batches.sequence_for(con, batch_id)
        delete_batch(con, batch_id)
        with progress_bar(progress) as bar:
            task = bar.add_task(f"Ingesting {batch_id}", total=len(plan))
            for planned in plan:
                loader = load_jsonl if planned.source.kind == "jsonl" else load_csv
                loader(con, planned, batch_id, batch_seq)
                bar.advance(task)
        rows = count_rows(con, batch_id)
        batches.record_batch(con, batch_id, batch_seq, source, raw_dir, rows)
        con.execute("commit")
    except BaseException:
        # A failed commit has already ended the transaction: keep the original error.
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    return rows


def _remove_database(path: Path) -> None:
    """Undo the creation of a warehouse file by a failed first ingest."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
