"""`ingest_extract`: one extract folder into the bronze tables, all files or none.

Order of work: check the folder, files and headers without opening the warehouse; check that
the batch's source may join the warehouse (source.py); then, in ONE transaction, create missing
tables, delete the batch's earlier rows, load every file and register the batch. Any refusal
rolls the transaction back, so the warehouse stays exactly as it was.

A batch the warehouse holds, ingested again from files with the same contents as its last load
(fingerprint.py: a digest of every byte, computed beside the load), is not loaded again: the
warehouse is left as it is, and the result says so (`unchanged`). `force` loads it anyway.

A NEW warehouse (none yet, `new=True`, or one holding only the generated demo when another
source arrives) is built in a temporary file beside the target and renamed over it at the end:
a failure or a kill midway leaves the previous warehouse (or no file) exactly as it was, never
an empty or half-loaded one. Replacing a warehouse also removes its `.wal` and its derived Spark
segments, so nothing from the old one survives.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retail.errors import UsageError
from retail.ingest import batches
from retail.ingest.csv_loader import load_csv
from retail.ingest.fingerprint import digest_in_background
from retail.ingest.jsonl_loader import load_jsonl
from retail.ingest.layout import LAYOUT
from retail.ingest.load_warnings import IngestWarning, batch_warnings
from retail.ingest.source import Verdict, check_source, source_label
from retail.ingest.tables import count_rows, delete_batch, ensure_tables
from retail.ingest.validate import PlannedFile, plan_extract
from retail.progress import progress_bar
from retail.settings import Settings
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
    source: str = "extract"  # the batch's source label (source.py)
    batch_seq: int = 0  # the batch's place in the warehouse's batch order
    new_warehouse: bool = False  # the batch started a new warehouse file
    note: str | None = None  # one line for the user, e.g. the demo warehouse was replaced
    unchanged: bool = False  # the batch's files hold what it was last loaded from: not loaded

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def ingest_extract(
    raw_dir: Path,
    duckdb_path: Path,
    batch_id: str | None = None,
    *,
    progress: bool | None = None,
    source: str | None = None,
    new: bool = False,
    force: bool = False,
) -> IngestResult:
    """Load the extract in `raw_dir` into `bronze.*` of `duckdb_path` as batch `batch_id`.

    `batch_id` defaults to the folder's name. Re-ingesting a batch replaces its rows; other
    batches are kept. A batch whose files are unchanged since its last load is not loaded
    again (`unchanged` in the result) unless `force`. `source` names a non-generated extract's
    source system (source.py); `new` starts a new warehouse for this extract, replacing the
    file. Raises BadInputError (nothing written) when the extract is not usable, UsageError
    when its source may not join the warehouse.
    """
    started = time.perf_counter()
    raw_dir = Path(raw_dir).absolute()
    duckdb_path = Path(duckdb_path)
    batch_id = raw_dir.name if batch_id is None else batch_id
    if not batch_id.strip():
        raise UsageError("the batch id must not be empty")
    plan = plan_extract(raw_dir)
    digest = digest_in_background(plan)
    label = source_label(raw_dir, source)
    verdict, held = Verdict.NEW if new else Verdict.APPEND, ""
    if duckdb_path.exists():
        con = connect(duckdb_path)  # another process holds it: exit 3, before any change
        try:
            if not new:
                verdict = check_source(con, duckdb_path, label, plan, batch_id)
                held = ", ".join(sorted({r.source for r in batches.registered(con)}))
            last = batches.last_load(con, batch_id) if verdict is Verdict.APPEND else None
            if (not force and last is not None and last.source == label
                    and last.files_digest == digest.result()):
                # the same warnings as its load gave (the batch's rows are the same)
                warnings = tuple(batch_warnings(con, plan, batch_id, last.table_rows))
                return _unchanged(raw_dir, duckdb_path, batch_id, plan, last, warnings, started)
            if verdict is Verdict.APPEND:
                rows, batch_seq = _load_batch(con, plan, batch_id, raw_dir, label, progress,
                                              digest)
                warnings = tuple(batch_warnings(con, plan, batch_id, rows))
        finally:
            con.close()
    else:
        verdict = Verdict.NEW
    if verdict is not Verdict.APPEND:
        rows, batch_seq, warnings = _build_new_warehouse(
            duckdb_path, plan, batch_id, raw_dir, label, progress, digest
        )
    note = None
    if verdict is Verdict.REPLACE:
        note = (
            f"new warehouse: {duckdb_path} held the generated demo ({held}), which this extract "
            f"({label}) replaces; the demo's batches are gone from bronze, silver and gold"
        )
    elif verdict is Verdict.NEW and new:
        note = f"started a new warehouse {duckdb_path} for this extract ({label})"
    return IngestResult(
        batch_id=batch_id,
        raw_dir=raw_dir,
        duckdb_path=duckdb_path,
        rows=rows,
        files=_files(plan),
        bytes_read=sum(planned.size for planned in plan),
        seconds=time.perf_counter() - started,
        warnings=warnings,
        source=label,
        batch_seq=batch_seq,
        new_warehouse=verdict is not Verdict.APPEND,
        note=note,
    )


def _files(plan: list[PlannedFile]) -> dict[str, str | None]:
    """Each bronze table's source file in the extract (None: an optional file it lacks)."""
    by_table = {planned.source.table: planned for planned in plan}
    return {s.table: by_table[s.table].source_file if s.table in by_table else None
            for s in LAYOUT}


def _unchanged(raw_dir: Path, duckdb_path: Path, batch_id: str, plan: list[PlannedFile],
               last: batches.LastLoad, warnings: tuple[IngestWarning, ...], started: float
               ) -> IngestResult:
    """The result of ingesting a batch again from the files of its last load: nothing loaded."""
    return IngestResult(
        batch_id=batch_id,
        raw_dir=raw_dir,
        duckdb_path=duckdb_path,
        rows=last.table_rows,
        files=_files(plan),
        bytes_read=sum(planned.size for planned in plan),  # read for the digest
        seconds=time.perf_counter() - started,
        warnings=warnings,
        source=last.source,
        batch_seq=last.batch_seq,
        note=(f"batch {batch_id!r} is unchanged since its ingest at {last.ingested_at} (same "
              "files, same contents): nothing loaded; --force loads it again"),
        unchanged=True,
    )


def _build_new_warehouse(
    duckdb_path: Path,
    plan: list[PlannedFile],
    batch_id: str,
    raw_dir: Path,
    label: str,
    progress: bool | None,
    digest: Future[str],
) -> tuple[dict[str, int], int, tuple[IngestWarning, ...]]:
    """Load the batch into a temporary file beside `duckdb_path`, then rename it over it."""
    staging = duckdb_path.with_name(duckdb_path.name + ".new")
    _remove_database(staging)  # left by an earlier attempt that was killed
    con = connect(staging)
    try:
        rows, batch_seq = _load_batch(con, plan, batch_id, raw_dir, label, progress, digest)
        warnings = tuple(batch_warnings(con, plan, batch_id, rows))
        con.execute("checkpoint")  # everything in the file itself: only the file is renamed
    except BaseException:
        con.close()
        _remove_database(staging)
        raise
    con.close()
    staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    # The old WAL goes first: replayed onto the new file it would corrupt it.
    duckdb_path.with_name(duckdb_path.name + ".wal").unlink(missing_ok=True)
    os.replace(staging, duckdb_path)
    segments = dataclasses.replace(Settings.from_env(), duckdb_path=duckdb_path).segments_dir
    shutil.rmtree(segments, ignore_errors=True)  # derived from the old warehouse's gold
    return rows, batch_seq, warnings


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    plan: list[PlannedFile],
    batch_id: str,
    raw_dir: Path,
    source: str,
    progress: bool | None,
    digest: Future[str],
) -> tuple[dict[str, int], int]:
    """Everything inside one transaction: tables, delete of the old batch, every file, the
    register row (with the files' digest, `digest`'s result). Returns the batch's rows per
    table and its `_batch_seq`."""
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
        batches.record_batch(con, batch_id, batch_seq, source, raw_dir, rows, digest.result())
        con.execute("commit")
    except BaseException:
        # A failed commit has already ended the transaction: keep the original error.
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    return rows, batch_seq


def _remove_database(path: Path) -> None:
    """Remove a warehouse file being built (and its WAL) after a failure."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
