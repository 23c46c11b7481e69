"""Running the whole pipeline in-process (what `retail run` and the benchmark do).

The job comes from the same Definitions that `dagster dev` loads. The instance is the persistent
one in $DAGSTER_HOME when that variable is set (so `dagster dev` with the same DAGSTER_HOME shows
these runs), otherwise an ephemeral one that disappears with the process.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration import dbt_forkserver
from orchestration.dbt_parse import saved_parse
from orchestration.instance import ephemeral_settings, prepare_home
from orchestration.progress import error_message
from retail.errors import UsageError
from retail.segmentation import warmup
from retail.segmentation.session import release_spark_gateway
from retail.settings import Settings

JOB = "full_pipeline"


@dataclass
class StepOutcome:
    step: str
    status: str  # success | failure | skipped | not run (an upstream step failed)
    seconds: float
    error: str = ""


@dataclass
class CheckOutcome:
    check: str
    passed: bool
    severity: str
    skipped: str = ""  # why the check had nothing to hold (metadata `skipped`); not a pass

    @property
    def failed(self) -> bool:
        return not self.passed and not self.skipped


@dataclass
class RunSummary:
    run_id: str
    success: bool
    wall_seconds: float
    log_file: Path | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    gold_rows: dict[str, int] = field(default_factory=dict)
    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    dbt_steps: dict[str, dict[str, float]] = field(default_factory=dict)  # each step's dbt build

    @property
    def failed_error_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.failed and c.severity == "ERROR"]

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_error_checks


@contextmanager
def pipeline_instance() -> Iterator[dg.DagsterInstance]:
    home = os.environ.get("DAGSTER_HOME")
    if home:
        if not Path(home).is_absolute():
            raise UsageError(f"DAGSTER_HOME must be an absolute path, got {home!r}")
        prepare_home(Path(home))  # the project's dagster.yaml when it has none
        with dg.DagsterInstance.get() as instance:
            yield instance
    else:
        with dg.DagsterInstance.ephemeral(settings=ephemeral_settings()) as instance:
            yield instance


def _metadata_values(metadata: dict[str, Any]) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in metadata.items()}


def watch_events(instance: dg.DagsterInstance, run_id: str) -> list[Any] | None:
    """The run `run_id`'s event log entries, gathered as the instance stores them, when its
    event log is in memory (`retail run` without DAGSTER_HOME); None for any other.

    Why: `summarize` otherwise reads the whole log back and decodes every entry again once the
    run has ended (~1,000 entries: 0.1 s after a real-size run, 0.37 s at scale 100), all of it
    after the last step. These are the entries the log stores, in its order."""
    from dagster._core.storage.event_log import InMemoryEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, InMemoryEventLogStorage):
        return None
    entries: list[Any] = []
    storage.watch(run_id, None, lambda entry, _cursor: entries.append(entry))
    return entries


def summarize(instance: dg.DagsterInstance, run_id: str, success: bool, wall: float,
              entries: list[Any] | None = None) -> RunSummary:
    """Step timings, check outcomes and gold row counts from the run's event log (`entries`
    when `watch_events` gathered them)."""
    from orchestration.dbt_build import parse_timing

    summary = RunSummary(run_id=run_id, success=success, wall_seconds=wall)
    started: dict[str, float] = {}
    for entry in instance.all_logs(run_id) if entries is None else entries:
        event = entry.dagster_event
        if event is None:
            timing = parse_timing(entry.user_message) if entry.step_key else None
            if timing is not None:
                summary.dbt_steps[entry.step_key] = timing
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            status = kind.removeprefix("STEP_").lower()
            seconds = entry.timestamp - started.get(event.step_key, entry.timestamp)
            error = error_message(event.step_failure_data.error) if status == "failure" else ""
            summary.steps.append(StepOutcome(event.step_key, status, round(seconds, 2), error))
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.asset_check_evaluation_data
            name = f"{data.asset_check_key.asset_key.to_user_string()}:{data.asset_check_key.name}"
            reason = getattr(data.metadata.get("skipped"), "value", "")
            summary.checks.append(CheckOutcome(name, data.passed, data.severity.value,
                                               str(reason or "")))
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.step_materialization_data.materialization
            key = materialization.asset_key.to_user_string()
            values = _metadata_values(dict(materialization.metadata))
            summary.materializations[key] = values
            if key.startswith("gold/") and "dagster/row_count" in values:
                summary.gold_rows[key.removeprefix("gold/")] = int(values["dagster/row_count"])
    return summary


def run_pipeline(
    run_config: dict[str, Any],
    settings: Settings,
    log_dir: Path | None = None,
    progress: bool = True,
) -> RunSummary:
    """Materialize every asset of the full pipeline job on `settings`; never raises for a
    failed step.

    Tool output written to stdout during the run (dbt's log) goes to `log_dir/run-<id>.log`
    (default: `<settings.data_dir>/logs`), the summary to `run-<id>.json` beside it; with
    `progress`, one line per finished step goes to stderr.
    """
    from orchestration.definitions import build_definitions
    from retail.nosql.server import started_early

    quiet = {"console": {"config": {"log_level": "ERROR"}}}
    config = {**run_config, "loggers": {"retail_progress": {}} if progress else quiet}
    run_id = str(uuid.uuid4())  # what Dagster's own run ids are
    log_dir = log_dir or settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"run-{run_id[:8]}.log"
    # the embedded MongoDB servers and the dbt server (unless `retail run` started it already)
    # start beside the definitions' loading
    with started_early(settings), dbt_forkserver.serving(saved_parse()):
        job = build_definitions(settings).resolve_job_def(JOB)
        summary = _execute(job, config, run_id, settings, log_file)
    ran = {step.step for step in summary.steps}
    summary.steps += [StepOutcome(node.name, "not run", 0.0)
                      for node in job.graph.nodes if node.name not in ran]
    summary.log_file = log_file
    write_record(summary, log_file.with_suffix(".json"))
    return summary


def _execute(job: dg.JobDefinition, config: dict[str, Any], run_id: str, settings: Settings,
             log_file: Path) -> RunSummary:
    """`job` in this process on a Dagster instance (`pipeline_instance`), dbt's output to
    `log_file`; its summary from the run's events."""
    from retail.nosql import early_sync

    with pipeline_instance() as instance, log_file.open("w") as log:
        entries = watch_events(instance, run_id)
        started = time.perf_counter()
        warmup.start(settings)  # unless `retail run` started it: the JVM starts while the
        # steps before Spark work
        try:
            with redirect_stdout(log), early_sync.allowed():
                result = job.execute_in_process(
                    run_config=config, instance=instance, raise_on_error=False, run_id=run_id
                )
        finally:
            warmup.discard()
            release_spark_gateway()
        wall = time.perf_counter() - started
        return summarize(instance, result.run_id, result.success, wall, entries)


def write_record(summary: RunSummary, path: Path) -> None:
    """The run's summary as JSON beside its log, for scripts (CI, benchmarks/bench_run.py):
    steps, checks, gold row counts and each asset's scalar metadata (durations, counts)."""
    record: dict[str, Any] = {
        "run_id": summary.run_id, "success": summary.success, "ok": summary.ok,
        "wall_seconds": round(summary.wall_seconds, 3), "log_file": str(summary.log_file),
        "steps": [asdict(step) for step in summary.steps],
        "checks": [asdict(check) for check in summary.checks],
        "gold_rows": summary.gold_rows,
        "dbt_steps": summary.dbt_steps,
        # whether this process imported dbt-core (orchestration/dbt_selection.py: a run on a
        # current parse needs none; dbt itself runs in processes of its own)
        "dbt_core_imported": "dbt.version" in sys.modules,
    }
    record["materializations"] = {
        key: {name: value for name, value in values.items()
              if isinstance(value, str | int | float | bool) and len(str(value)) <= 200}
        for key, values in summary.materializations.items()
    }
    path.write_text(json.dumps(record, indent=1))
