"""The end-of-run summary of `retail run`: steps, gold rows, checks, where the outputs are."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from orchestration.progress import step_label
from orchestration.runner import RunSummary
from retail.settings import Settings


def _steps_table(summary: RunSummary) -> Table:
    table = Table(title="Steps", title_justify="left")
    table.add_column("step")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    for step in summary.steps:
        style = {"success": "green", "failure": "red"}.get(step.status, "yellow")
        seconds = "-" if step.status == "not run" else f"{step.seconds:.1f}"
        table.add_row(step_label(step.step), f"[{style}]{step.status}[/]", seconds)
    return table


def _gold_table(summary: RunSummary) -> Table:
    table = Table(title="Gold tables", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in sorted(summary.gold_rows.items()):
        table.add_row(name, f"{rows:,}")
    return table


def _headlines(summary: RunSummary) -> list[str]:
    sales = summary.materializations.get("gold/fct_sales", {})
    web = summary.materializations.get("gold/kpi_web_funnel", {})
    tiers = summary.materializations.get("gold/kpi_customer_tiers", {})
    lines = []
    if "revenue" in sales:
        lines.append(f"revenue {sales['revenue']:,.2f} | orders {sales['orders']:,} | "
                     f"AOV {sales['average_order_value']:,.2f}")
    if "payment_failure_rate" in web:
        lines.append(f"payment failure rate {web['payment_failure_rate']:.2%}")
    shares = {k.removeprefix("tier_share_"): v for k, v in tiers.items()
              if k.startswith("tier_share_")}
    if shares:
        lines.append("tiers " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    return lines


def _unchanged_batch(summary: RunSummary) -> str | None:
    """The run's batch when its ingest found it unchanged (bronze's metadata), else None."""
    for key, values in summary.materializations.items():
        if key.startswith("bronze/") and values.get("batch_unchanged"):
            return str(values.get("batch_id"))
    return None


def print_summary(summary: RunSummary, settings: Settings, console: Console | None = None) -> None:
    console = console or Console()
    console.print(_steps_table(summary))
    unchanged = _unchanged_batch(summary)
    if unchanged:
        console.print(f"Bronze: batch {unchanged!r} is unchanged since its last load (the same "
                      "files): not loaded again, every later step ran; `--force` loads it again")
    for step in summary.steps:
        if step.error:
            console.print(f"[red]{step_label(step.step)} failed:[/] {step.error}")
    if summary.gold_rows:
        console.print(_gold_table(summary))
    passed = sum(c.passed for c in summary.checks)
    failed = [c for c in summary.checks if c.failed]
    skipped = [c for c in summary.checks if c.skipped]
    warned = sum(c.severity != "ERROR" for c in failed)  # a WARN check that failed: a finding
    console.print(f"Checks: {passed} passed, {len(failed) - warned} failed, {warned} warned, "
                  f"{len(skipped)} skipped")
    for check in failed:
        colour = "red" if check.severity == "ERROR" else "yellow"
        console.print(f"  [{colour}]{check.severity.lower()}[/] {check.check}")
    for check in skipped:
        console.print(f"  [yellow]skipped[/] {check.check}: {check.skipped}")
    for line in _headlines(summary):
        console.print(f"KPIs: {line}")
    console.print(f"Warehouse: {settings.duckdb_path}")
    console.print(f"Power BI exports: {settings.powerbi_dir} (manifest.json lists the files)")
    console.print("dbt docs: `retail docs` builds them into "
                  f"{settings.export_dir / 'dbt-docs'} and serves them on http://127.0.0.1:8080")
    if summary.log_file:
        console.print(f"Run log (dbt output): {summary.log_file}")
    verdict = "[green]succeeded[/]" if summary.ok else "[red]FAILED[/]"
    console.print(f"Run {summary.run_id[:8]} {verdict} in {summary.wall_seconds:.1f} s")
