"""The Power BI exports: one CSV per gold table, written after every gold producer has run."""

import time
from collections.abc import Sequence

import dagster as dg

from orchestration.describe import markdown_table
from orchestration.resources import RetailResource

EXPORTS_KEY = dg.AssetKey(["exports", "powerbi"])


def build_exports_asset(gold_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The exports asset, downstream of every asset that writes a gold table."""

    @dg.asset(key=EXPORTS_KEY, deps=list(gold_keys), group_name="exports", kinds={"csv"})
    def powerbi_exports(retail: RetailResource) -> dg.MaterializeResult:
        """Gold tables as CSV for Power BI (UTF-8 with BOM, DOUBLEs rounded to 4 places, no
        lineage columns), plus manifest.json (rows, columns, types). Guide: docs/powerbi.md."""
        from retail.exports import export_powerbi

        settings = retail.settings()
        started = time.perf_counter()
        result = export_powerbi(settings.duckdb_path, settings.powerbi_dir)
        rows = [(t.table, t.file, t.rows, t.bytes) for t in result.tables]
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.out_dir)),
                "manifest": dg.MetadataValue.path(str(result.manifest_path)),
                "tables": len(result.tables),
                "total_rows": sum(t.rows for t in result.tables),
                "size_bytes": sum(t.bytes for t in result.tables),
                "files": dg.MetadataValue.md(
                    markdown_table(["table", "file", "rows", "bytes"], rows)
                ),
                "duration_seconds": round(time.perf_counter() - started, 3),
            }
        )

    return powerbi_exports
