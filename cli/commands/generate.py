"""`retail generate`: write a raw extract (or a follow-on batch) of generated retail data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from retail.errors import UsageError

if TYPE_CHECKING:
    from retail.settings import Settings

NAME = "generate"
HELP = "write a generated raw extract (CRM/ERP CSV files, web events, manifest.json)"
DESCRIPTION = """\
Write one raw extract in the layout of the public AdventureWorks-derived CRM/ERP extract:

  source_crm/cust_info.csv, prd_info.csv, sales_details.csv
  source_erp/CUST_AZ12.csv, LOC_A101.csv, PX_CAT_G1V2.csv, RET_ORD_Q1.csv (returns)
  source_web/events.jsonl  (web sessions: views, carts, payment attempts, purchases)
  manifest.json            (seed, scale, row counts, injected defect counts, truth figures)

Scale 1 is about 18,500 customers, 27,700 orders and 60,400 order lines from 2023-01-01
to 2025-12-31; --scale multiplies customers, orders and events (the catalog stays ~295
products). The files carry realistic defects on purpose (padded names, duplicate and junk
rows, broken dates, wrong but repairable amounts, ERP key and code variants, duplicated/malformed
web events), each counted in the manifest. Same --seed and --scale: byte-identical files.

With --after DIR --days N the command writes the batch that follows the extract in DIR:
the next N days of orders, events and returns, new and updated customers, a few new product
versions (seed and scale come from DIR's manifest.json).

Large scales may run in worker processes (--workers; the files never depend on it). Scale 100
writes about 6 million order lines and 14 million web events (about 4 GB).
"""


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to create")
    parser.add_argument("--scale", type=_number, default=None,
                        help="size multiplier (default 1: ~60,400 order lines)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 42)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out if it exists and is not empty")
    parser.add_argument("--after", type=Path, metavar="DIR",
                        help="write a follow-on batch continuing the extract in DIR")
    parser.add_argument("--days", type=int, help="days covered by the follow-on batch")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: 2 from scale ~18 when two cores "
                        "are idle, else 1)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from generators import generate_extract, generate_followon

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.after is None and args.days is not None:
        raise UsageError("--days needs --after DIR")
    if args.after is not None:
        if args.days is None:
            raise UsageError("--after needs --days N")
        if args.scale is not None or args.seed is not None:
            raise UsageError("--scale and --seed come from the manifest of --after DIR")
        manifest = generate_followon(args.after, args.days, args.out, force=args.force,
                                     workers=args.workers)
    else:
        scale = 1.0 if args.scale is None else args.scale
        seed = 42 if args.seed is None else args.seed
        manifest = generate_extract(args.out, scale, seed, force=args.force,
                                    workers=args.workers)
    rows = sum(manifest["row_counts"].values())
    print(f"wrote {args.out}: {rows:,} rows in {len(manifest['row_counts'])} files, "
          f"period {manifest['period']['first_day']}..{manifest['period']['last_day']}")
    print("truth: " + json.dumps(manifest["truth"]))
    return 0
