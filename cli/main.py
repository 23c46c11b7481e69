"""`retail`: the command line of the platform.

Each subcommand is one module in `cli/commands/` that defines `NAME`, `HELP`,
`configure(parser)` and `run(args, settings) -> int`. Modules are discovered, so adding a
command means adding a file. Command modules import their heavy dependencies inside `run`,
which keeps `retail --help` fast. The settings are read from the environment once, here, and
handed to the command as a value (tests hand their own: `main(argv, settings)`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from cli import commands
from retail.errors import RetailError
from retail.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retail",
        description="Retail ELT platform: generate, ingest, transform (dbt), segment (Spark), "
        "serve (MongoDB, Power BI exports, dbt docs), all orchestrated by Dagster.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        command = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings or Settings.from_env()
    try:
        return int(args._run(args, settings) or 0)
    except RetailError as exc:
        print(f"retail {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"retail {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
