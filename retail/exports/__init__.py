"""Exports of the gold layer for BI tools (Power BI CSVs)."""

from retail.exports.powerbi import ExportedTable, ExportResult, export_powerbi

__all__ = ["ExportResult", "ExportedTable", "export_powerbi"]
