"""Bronze: one asset per bronze table, all written by one `ingest_extract` call.

The keys (`bronze/<table>`) are those the dbt sources map to (see translator.py).
"""

import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.assets.raw import RAW_KEY
from orchestration.metadata import table_metadata
from orchestration.resources import DUCKDB_POOL, RetailResource
from retail.ingest.layout import LAYOUT
from retail.warehouse import connect

BRONZE_TABLES = tuple(source.table for source in LAYOUT)  # the extract contract's tables
BRONZE_OP = "bronze_ingest"


class BronzeIngestConfig(dg.Config):
    new: bool = Field(False, description="Start a new warehouse for this extract.")
    source: str = Field("", description='Source system of a non-generated extract ("extract").')
    force: bool = Field(False, description="Load the batch even when its files are unchanged "
                        "since its last load (otherwise such a batch is not loaded again).")


@dg.multi_asset(
    name=BRONZE_OP,
    ins={"extract": dg.AssetIn(RAW_KEY)},
    outs={
        table: dg.AssetOut(
            key=dg.AssetKey(["bronze", table]),
            kinds={"duckdb"},
            description=f"bronze.{table}: the source file as text, plus lineage columns.",
        )
        for table in BRONZE_TABLES
    },
    group_name="bronze",
    pool=DUCKDB_POOL,
)
def bronze_ingest(
    context: dg.AssetExecutionContext,
    config: BronzeIngestConfig,
    extract: str,
    retail: RetailResource,
) -> Iterator[dg.Output[None]]:
    """Load the extract into bronze (idempotent per batch) and describe each table."""
    from retail.ingest import ingest_extract
    from retail.nosql import early_sync

    settings = retail.settings()
    started = time.perf_counter()
    result = ingest_extract(
        Path(extract),
        settings.duckdb_path,
        progress=False,
        source=config.source or None,
        new=config.new,
        force=config.force,
    )
    seconds = round(time.perf_counter() - started, 3)
    if result.unchanged:
        context.log.info(result.note)
    else:
        if result.note:
            context.log.warning(result.note)
        context.log.info(f"ingested batch {result.batch_id}: {result.total_rows} rows in "
                         f"{seconds} s")
    for warning in result.warnings:
        context.log.warning(str(warning))
    with connect(settings.duckdb_path, read_only=True) as con:
        for table in BRONZE_TABLES:
            metadata = table_metadata(con, "bronze", table)
            metadata.update({
                "batch_id": result.batch_id,
                "batch_seq": result.batch_seq,
                "source": result.source,
                "batch_rows": result.rows.get(table, 0),
                "batch_unchanged": result.unchanged,  # not loaded again: same files as last time
                "source_file": result.files.get(table) or "(absent: optional file)",
                "duration_seconds": dg.MetadataValue.float(seconds),
                "bytes_read": result.bytes_read,
            })
            yield dg.Output(None, output_name=table, metadata=metadata)
    if early_sync.start(settings):  # `retail run`: MongoDB loads the events while dbt works
        context.log.info("web events staged; syncing them into MongoDB while dbt builds gold")
