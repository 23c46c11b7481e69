"""The two entry points: a first extract, and a follow-on batch that continues one.

Both check their arguments (UsageError, exit 2), write into a staged sibling folder, put
`manifest.json` in last and swap the folder into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from generators.config import FIRST_CUSTOMER_ID, GENERATOR_VERSION, GeneratorConfig
from generators.extract import write_batch
from generators.output import check_scale_seed, check_target, staged_folder
from generators.plan import BatchPlan, first_plan, followon_plan
from retail.errors import UsageError
from retail.progress import progress_bar

MAX_FOLLOWON_DAYS = 3660  # ten years per follow-on batch
_PENDING = "<pending returns>"


def _iso(day: int) -> str:
    import numpy as np

    return str(np.datetime64(day, "D"))


def _generate(plan: BatchPlan, out: Path, force: bool, progress: bool | None,
              parent: dict | None, workers: int | None) -> dict:
    check_target(out, force)
    with staged_folder(out) as stage, progress_bar(progress) as bar:
        files, truth, defects, next_session, pending = write_batch(plan, stage, bar, workers)
        truth.customers = plan.new_customers + plan.updated_customers  # cst_ids in this batch
        truth.current_products = len(plan.catalog.number)
        batch_truth = truth.to_dict()
        total = truth.plus(parent["truth"]) if parent else truth
        next_customer_id = plan.first_customer_id + plan.new_customers
        total.customers = next_customer_id - FIRST_CUSTOMER_ID
        manifest = {
            "generator": "retail-elt generators",
            "generator_version": GENERATOR_VERSION,
            "seed": plan.seed,
            "scale": plan.scale,
            "batch": plan.batch,
            "parent": None if parent is None else {
                "batch": parent["batch"], "last_day": parent["period"]["last_day"]},
            "period": {"first_day": _iso(plan.first_day), "last_day": _iso(plan.last_day)},
            "files": files,
            "row_counts": {path: info["rows"] for path, info in files.items()},
            "defects": dict(sorted(defects.items())),
            "new_customers": plan.new_customers,
            "updated_customers": plan.updated_customers,
            "new_product_versions": len(plan.added_versions) - len(
                parent["state"]["added_versions"] if parent else []),
            "truth": total.to_dict(),
            "batch_truth": batch_truth,
            "config": plan.config.to_dict(),
            "state": {
                "last_day": plan.last_day,
                "next_customer_id": next_customer_id,
                "next_order_seq": plan.first_order_seq + batch_truth["orders"],
                "next_session": next_session,
                "added_versions": plan.added_versions,
                "pending_returns": _PENDING,
            },
        }
        # manifest.json goes last: its presence marks a complete extract.
        # Pending returns can be many: one compact line instead of seven lines each.
        text = json.dumps(manifest, indent=2).replace(
            json.dumps(_PENDING), json.dumps(pending.tolist(), separators=(",", ":"))) + "\n"
        manifest["state"]["pending_returns"] = pending.tolist()
        (stage / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


def generate_extract(out: Path, scale: float = 1.0, seed: int = 42, *, force: bool = False,
                     progress: bool | None = None, config: GeneratorConfig | None = None,
                     workers: int | None = None) -> dict:
    """Write the first extract (2023-01-01 .. 2025-12-31) into `out`; return its manifest.

    `config` overrides defect and behaviour rates; `workers` the number of processes
    (default: 1 for small scales, else up to 2). Neither `workers` nor the machine changes
    the bytes written.
    """
    check_scale_seed(scale, seed)
    plan = first_plan(seed, float(scale), config or GeneratorConfig())
    return _generate(plan, Path(out), force, progress, None, workers)


def generate_followon(after: Path, days: int, out: Path, *, force: bool = False,
                      progress: bool | None = None, workers: int | None = None) -> dict:
    """Write the batch that follows the extract in `after`: its next `days` days.

    Same layout and seed/scale as the parent. It holds: orders, lines, returns and web
    sessions of the new days only (order numbers and session numbers continue); new
    customers (ids continue) with their ERP rows, plus a new complete CRM row (later create
    date, marital status 'M') for a few existing customers; the full product catalog again
    (every earlier version byte-identical except the end date of a version that got a
    successor) with a few new versions starting in the new days; the category file again.
    `truth` is cumulative over all batches so far, `batch_truth` covers this batch alone.
    """
    after, out = Path(after), Path(out)
    if not isinstance(days, int) or not 0 < days <= MAX_FOLLOWON_DAYS:
        raise UsageError(f"--days must be a whole number from 1 to {MAX_FOLLOWON_DAYS}, "
                         f"got {days!r}")
    manifest_path = after / "manifest.json"
    if not manifest_path.is_file():
        raise UsageError(f"{after} is not a generated extract (no manifest.json)")
    try:
        parent = json.loads(manifest_path.read_text(encoding="utf-8"))
        version = parent["generator_version"]
        plan = followon_plan(parent, days)
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{manifest_path}: not a usable generator manifest ({exc})") from exc
    if version != GENERATOR_VERSION:
        raise UsageError(f"{manifest_path}: written by generator {version}, this is "
                         f"{GENERATOR_VERSION}; regenerate the earlier extract first")
    if out.resolve() == after.resolve():
        raise UsageError("--out must differ from --after")
    return _generate(plan, out, force, progress, parent, workers)
