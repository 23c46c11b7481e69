"""Bronze ingestion: one raw extract folder into the `bronze.*` tables of the warehouse.

`ingest_extract(raw_dir, duckdb_path, batch_id=None)` checks the folder, then loads every
file in one transaction with DuckDB's own readers. See `load.py` for the flow, `layout.py`
for the input contract and `tables.py` for the bronze tables.
"""

from retail.ingest.load import IngestResult, ingest_extract

__all__ = ["IngestResult", "ingest_extract"]
