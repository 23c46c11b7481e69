"""The run's summary (orchestration/runner.py): on the in-memory instance of `retail run` it is
made from the event log entries gathered as they are stored (`watch_events`), and equals the
one made by reading the whole log back, as on a persistent instance; a real Dagster run of a
small job with what the summary reads: step timings and failures, asset checks (passed,
failed, skipped), materializations with metadata, and a dbt step's timing line."""

from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.dbt_build import timing_message
from orchestration.runner import summarize, watch_events


@dg.asset(key=["gold", "fct_sales"], check_specs=[
    dg.AssetCheckSpec("sums", asset=dg.AssetKey(["gold", "fct_sales"])),
    dg.AssetCheckSpec("stale", asset=dg.AssetKey(["gold", "fct_sales"])),
])
def fct_sales(context: dg.AssetExecutionContext) -> Any:
    context.log.info(timing_message({"dbt_build_seconds": 2.5, "dbt_elapsed_seconds": 1.75}))
    yield dg.Output(None, metadata={"dagster/row_count": 42, "duration_seconds": 0.5})
    yield dg.AssetCheckResult(check_name="sums", passed=False,
                              severity=dg.AssetCheckSeverity.WARN)
    yield dg.AssetCheckResult(check_name="stale", passed=False,
                              metadata={"skipped": "nothing to compare"})


@dg.asset(key=["gold", "dim_customers"], deps=[fct_sales])
def dim_customers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 7})


@dg.asset(key=["exports", "broken"], deps=[dim_customers])
def broken() -> None:
    raise RuntimeError("the export failed")


@dg.asset(key=["exports", "after"], deps=[broken])
def after() -> None:
    pass


JOB = dg.Definitions(assets=[fct_sales, dim_customers, broken, after],
                     jobs=[dg.define_asset_job("all")]).resolve_job_def("all")


def test_watched_entries_make_the_summary_the_whole_log_makes() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        run_id = "0f0e0d0c-0000-4000-8000-000000000001"
        entries = watch_events(instance, run_id)
        assert entries == [], "watching before the run: nothing yet"
        result = JOB.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id)
        assert not result.success
        watched = summarize(instance, run_id, result.success, 1.0, entries)
        read_back = summarize(instance, run_id, result.success, 1.0)

    assert watched == read_back
    steps = {step.step: step.status for step in watched.steps}
    assert steps == {"gold__fct_sales": "success", "gold__dim_customers": "success",
                     "exports__broken": "failure"}  # (exports__after never started)
    assert "the export failed" in next(s.error for s in watched.steps if s.status == "failure")
    checks = {check.check: (check.passed, check.severity, check.skipped)
              for check in watched.checks}
    assert checks == {"gold/fct_sales:sums": (False, "WARN", ""),
                      "gold/fct_sales:stale": (False, "ERROR", "nothing to compare")}
    assert watched.gold_rows == {"fct_sales": 42, "dim_customers": 7}
    assert watched.dbt_steps == {"gold__fct_sales": {"dbt_build_seconds": 2.5,
                                                     "dbt_elapsed_seconds": 1.75}}


def test_a_persistent_instance_is_read_back(tmp_path: Path) -> None:
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert watch_events(instance, "any") is None
