"""Where an extract is written: argument checks and an all-or-nothing folder swap.

Files are written into a hidden sibling folder and renamed into place only when complete,
so a failed or interrupted run leaves the target as it was (absent, or the old extract when
`force` replaces one).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retail.errors import UsageError
from retail.fsutil import swap_in

EXTRACT_MARKERS = ("manifest.json", "source_crm", "source_erp", "source_web")
MAX_SCALE = 10_000  # 185 million customers; memory grows with the customer count


def check_scale_seed(scale: float, seed: int) -> None:
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise UsageError(f"--scale must be a positive number, got {scale!r}")
    if scale > MAX_SCALE:
        raise UsageError(f"--scale above {MAX_SCALE:,} is not supported, got {scale:g}")
    if not isinstance(seed, int) or seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {seed!r}")


def check_target(out: Path, force: bool) -> None:
    """A clear UsageError unless `out` can receive a new extract."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(f"{out} exists and is not empty (use --force to replace it)")
        if not any((out / name).exists() for name in EXTRACT_MARKERS):
            raise UsageError(f"refusing to replace {out}: it is not a generated extract "
                             "(no manifest.json or source_* folder)")
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise UsageError(f"{out} contains the current directory; choose another --out")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {parent}: {exc.strerror}") from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"the folder {parent} is not writable")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of `out`; on success it replaces `out` (swap_in: the
    old extract is put back when the swap fails)."""
    stage = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir()
    except OSError as exc:
        raise UsageError(f"cannot write into {out.parent}: {exc.strerror}") from exc
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    swap_in(stage, out)
