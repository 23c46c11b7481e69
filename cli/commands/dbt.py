"""`retail dbt ARGS...`: dbt on this project and warehouse; a locked warehouse in one line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "dbt"
HELP = "run dbt (build, test, run, ...) on the warehouse of $RETAIL_DUCKDB_PATH"
DESCRIPTION = """\
Run dbt with this project, its profiles and the warehouse the other commands use
($RETAIL_DUCKDB_PATH); dbt's output and exit status are dbt's own.

  retail dbt build                  every model and test
  retail dbt test -s fct_sales      the tests of one model
  retail dbt run -s +kpi_sales      a model and what it depends on
  retail dbt -- --version           dbt's own flags go after `--`

Unlike plain `dbt build --profiles-dir profiles`, it first checks that no other process holds
the warehouse (DuckDB allows one writer per file) and then says so in one line, naming that
process, with exit status 3 instead of dbt's traceback.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="the dbt command and its arguments")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from retail.dbt import passthrough
    from retail.errors import UsageError

    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    if not dbt_args:
        raise UsageError("name a dbt command, e.g. `retail dbt build` or "
                         "`retail dbt test -s fct_sales`")
    return passthrough(dbt_args, settings)
