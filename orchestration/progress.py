"""A Dagster logger that prints one line per finished step (used by `retail run`).

Dagster attaches the structured event to each log record it emits; this logger prints only the
step and check outcomes, so a headless run reads like a short checklist instead of a debug log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import dagster as dg

_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "ASSET_CHECK_EVALUATION"}


def step_label(step_key: str) -> str:
    return step_key.replace("__", "/")


def error_message(error: Any, limit: int = 600) -> str:
    """The innermost cause of a step's error (the user's exception), not Dagster's wrapper."""
    if error is None:
        return "failed"
    while getattr(error, "cause", None) is not None:
        error = error.cause
    text = " ".join(error.message.split())
    return text if len(text) <= limit else text[:limit] + " ..."


def describe(event: Any) -> str | None:
    """The line printed for a Dagster event, or None for events not worth a line."""
    kind = event.event_type_value
    step = step_label(event.step_key or "")
    if kind == "STEP_START":
        return f"  ... {step}"
    if kind == "STEP_SUCCESS":
        return f"  ok  {step} ({event.event_specific_data.duration_ms / 1000:.1f} s)"
    if kind == "STEP_FAILURE":
        return f"  FAIL {step}: {error_message(event.step_failure_data.error)}"
    if kind == "STEP_SKIPPED":
        return f"  skip {step} (an upstream step failed)"
    if kind == "ASSET_CHECK_EVALUATION":
        evaluation = event.asset_check_evaluation_data
        key = evaluation.asset_check_key
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        skipped = evaluation.metadata.get("skipped")  # orchestration.checks.skipped()
        if skipped is not None:
            return f"  skip check {name}: {getattr(skipped, 'value', skipped)}"
        if not evaluation.passed:
            return f"  {evaluation.severity.value.lower()} check {name} failed"
    return None


class _StepHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None or event.event_type_value not in _EVENTS:
            return
        line = describe(event)
        if line:
            print(line, file=sys.stderr, flush=True)


@dg.logger(description="One line per finished step and failed check, on stderr.")
def retail_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger(f"retail.progress.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_StepHandler())
    return log
