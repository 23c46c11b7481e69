"""`retail ingest`: load one raw extract folder into the bronze tables of the warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "ingest"
HELP = "load one raw extract (CSV + JSONL folder) into bronze.* of the warehouse"
DESCRIPTION = """\
Load the extract in --raw DIR into the bronze tables of $RETAIL_DUCKDB_PATH, every column as
text exactly as in the files, in one transaction: all files or none. The batch id (default:
the folder's name) tags every row; ingesting the same batch again replaces its rows (a
correction), other batches accumulate. A batch ingested again from files with the same contents
as its last load is not loaded again (the warehouse stays as it is); --force loads it anyway.
Batches are ordered by when each batch id was first ingested here, never by the spelling of
their ids.

A warehouse holds one source system's history. A generated extract's source is its generator
seed; any other extract's is --source NAME (default "extract"). A batch from another source is
refused (exit 2), except onto the generated demo, which it replaces with a new warehouse.
--new starts a new warehouse for this extract (the current file is replaced only once the
load has succeeded).

Warnings (a required file with a header only, an order dated in the future) are printed on
stderr after the table; they do not stop the load.

Exit codes: 0 loaded (or unchanged), 2 bad input (the message names the file, line and
problem; nothing was written), 3 the warehouse is in use by another process.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw",
        type=Path,
        required=True,
        metavar="DIR",
        help="the extract folder (with source_crm/, source_erp/ and optionally source_web/)",
    )
    parser.add_argument(
        "--batch-id",
        default=None,
        metavar="ID",
        help="batch id for the rows (default: the folder's name)",
    )
    parser.add_argument(
        "--source",
        default=None,
        metavar="NAME",
        help='the source system of a non-generated extract (default: "extract")',
    )
    parser.add_argument(
        "--new",
        action="store_true",
        help="start a new warehouse for this extract, replacing $RETAIL_DUCKDB_PATH",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="load the batch even when its files are unchanged since its last load",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from retail.ingest import ingest_extract

    result = ingest_extract(
        args.raw, settings.duckdb_path, args.batch_id, source=args.source, new=args.new,
        force=args.force,
    )

    table = Table(
        title=f"bronze batch {result.batch_id!r} (#{result.batch_seq}, source "
        f"{result.source!r}) <- {result.raw_dir}"
    )
    table.add_column("table")
    table.add_column("source file")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(f"bronze.{name}", result.files.get(name) or "(absent)", f"{rows:,}")
    megabytes = result.bytes_read / 1e6
    table.caption = (
        f"{result.total_rows:,} rows, {megabytes:,.1f} MB in {result.seconds:.1f} s "
        f"-> {settings.duckdb_path}"
    ) if not result.unchanged else (
        f"{result.total_rows:,} rows, as loaded before; {megabytes:,.1f} MB compared in "
        f"{result.seconds:.1f} s, nothing written to {settings.duckdb_path}"
    )
    console = Console()
    note = f"[bold]{escape(result.note)}[/bold]" if result.note else None
    if note and not result.unchanged:  # what happened to the warehouse, then its batch
        console.print(note, soft_wrap=True)
    console.print(table)
    if note and result.unchanged:  # the table is the last load's: the summary says so last
        console.print(note, soft_wrap=True)
    warn = Console(stderr=True, highlight=False)
    for warning in result.warnings:  # loaded anyway: one quiet line each, on stderr
        warn.print(f"[yellow]warning:[/yellow] {escape(str(warning))}", soft_wrap=True)
    return 0
