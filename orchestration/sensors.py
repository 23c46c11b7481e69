"""Watch the landing folder (RETAIL_RAW_DIR): each new complete extract runs the pipeline once.

See landing.py for what "complete" means. Dagster skips a run key it has seen, so each folder
(name + marker hash) starts one run; the cursor records the keys for the UI.
"""

import json

import dagster as dg

from orchestration.assets.raw import raw_run_config
from orchestration.jobs import full_pipeline_job
from orchestration.landing import complete_extracts
from orchestration.resources import RetailResource


@dg.sensor(
    job=full_pipeline_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 30 s, looks at the landing folder (RETAIL_RAW_DIR) and starts one run of the "
        "whole pipeline for each new complete extract folder (it holds manifest.json or a "
        "_SUCCESS marker); a folder already seen (same name and marker) never runs twice."
    ),
)
def landing_folder_sensor(context: dg.SensorEvaluationContext, retail: RetailResource):
    """A run of the whole pipeline for every complete, not yet processed extract folder."""
    landing = retail.settings().raw_dir
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    new = [extract for extract in complete_extracts(landing) if extract.key not in seen]
    if not new:
        return dg.SkipReason(f"no new complete extract in {landing}")
    context.update_cursor(json.dumps(sorted(seen | {e.key for e in new})))
    return [
        dg.RunRequest(
            run_key=extract.key,
            run_config=raw_run_config(path=extract.path),
            tags={"retail/extract": extract.path.name},
        )
        for extract in new
    ]
