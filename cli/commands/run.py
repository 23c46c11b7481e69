"""`retail run`: the whole pipeline, headless, through the Dagster definitions."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "run"
EXIT_AT_ONCE = True  # see cli.main.exit_at_once: ~1 s of teardown after every run
HELP = "materialize every asset (extract -> bronze -> dbt -> Spark -> MongoDB -> exports)"
DESCRIPTION = """\
Materialize every asset in this process, through the same Dagster definitions that
`dagster dev` shows, print each step as it finishes and a summary at the end.

  retail run                       generate scale 1, seed 42 into $RETAIL_DATA_DIR/generated
  retail run --scale 0.1 --seed 7  generate another extract
  retail run --raw DIR             use an existing extract folder
  retail run --raw DIR --new       ... in a new warehouse (replacing $RETAIL_DUCKDB_PATH)
  retail run --raw DIR --force     ... loading the batch even if its files are unchanged

A warehouse holds one source system's history of batches (see `retail ingest --help`): an
extract from another source than the warehouse's is refused before the run starts (exit 2),
except onto the generated demo, which it replaces with a new warehouse.

Runs are recorded in $DAGSTER_HOME when it is set (then `dagster dev` shows them),
otherwise in a temporary instance. Exit status: 0 when every step succeeded and no
error-severity check failed, 1 otherwise, 3 when the warehouse is locked.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", type=Path, help="an existing extract folder")
    parser.add_argument("--scale", type=float, help="generator scale (default 1)")
    parser.add_argument("--seed", type=int, help="generator seed (default 42)")
    parser.add_argument("--source", metavar="NAME",
                        help='source system of a non-generated extract (default "extract")')
    parser.add_argument("--new", action="store_true",
                        help="start a new warehouse for this extract")
    parser.add_argument("--force", action="store_true",
                        help="load the batch even when its files are unchanged since its last "
                        "load (otherwise it is not loaded again; every later step still runs)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from retail.errors import UsageError
    from retail.warehouse import connect

    if args.raw is not None and (args.scale is not None or args.seed is not None):
        raise UsageError("use either --raw DIR or --scale/--seed, not both")
    if args.raw is not None and not args.raw.is_dir():
        raise UsageError(f"{args.raw}: no such extract folder")
    if args.scale is not None and args.scale <= 0:
        raise UsageError("--scale must be positive")
    if settings.duckdb_path.exists():  # (never create it here: an empty file is no warehouse)
        connect(settings.duckdb_path).close()  # a locked warehouse: a clear message, exit 3
    from retail.ingest.source import Verdict, preflight

    verdict = preflight(settings.duckdb_path, args.raw, args.seed if args.seed is not None else 42,
                        args.source, args.new)
    if verdict is Verdict.REPLACE:
        print(f"{settings.duckdb_path} holds generated data only: this extract starts a new "
              "warehouse (the generated one is replaced; `retail run` makes it again)",
              file=sys.stderr)

    from orchestration import dbt_forkserver, dbt_selection
    from orchestration.dbt_parse import parse_is_current, saved_parse, target_dir
    from retail.dbt import dbt_vars
    from retail.segmentation import warmup

    warmup.start(settings)  # the JVM starts (and warms) while dbt parses and Dagster loads
    helpers = contextlib.ExitStack()
    try:
        if parse_is_current(dbt_vars(settings)):  # dbt's warm server reads the saved parse:
            # it starts now, beside Dagster's imports (the run's steps use it, see runner.py)
            helpers.enter_context(dbt_forkserver.serving(saved_parse()))
            if dbt_selection.kept_for(target_dir() / "manifest.json"):  # and this process
                dbt_selection.import_dagster_dbt_without_dbt_core()  # needs no dbt-core
        from orchestration.project import refresh_manifest

        refresh_manifest(settings)
        from orchestration.assets.raw import raw_run_config
        from orchestration.runner import run_pipeline

        run_config = raw_run_config(
            path=args.raw.resolve() if args.raw else None,
            scale=args.scale if args.scale is not None else 1.0,
            seed=args.seed if args.seed is not None else 42,
            new=args.new,
            source=args.source,
            force=args.force,
        )
        summary = run_pipeline(run_config, settings)
    finally:
        helpers.close()
        warmup.discard()  # a session no step took (a failed parse, a run that ended early)
    from orchestration.report import print_summary

    print_summary(summary, settings)
    return 0 if summary.ok else 1
