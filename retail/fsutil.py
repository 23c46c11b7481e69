"""Replacing an output folder all at once: the last good folder stays until the new one is in.

Steps that write a folder (the generator's extract, the segmentation Parquet) write it beside
the target first, then swap it in with two renames. Whatever fails, the target is either the
old folder or the new one, never a half-written mix, and the old copy is deleted only last.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path


def swap_in(new_dir: Path, target: Path) -> None:
    """Replace `target` (if any) by `new_dir`, which must be on the same file system.

    The old `target` is renamed to a hidden sibling, `new_dir` renamed into place, and the old
    copy deleted. When the second rename fails, the old folder is put back and the error raised.
    """
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    try:
        new_dir.rename(target)
    except BaseException:
        if old.exists():
            old.rename(target)  # put the last good folder back
        raise
    shutil.rmtree(old, ignore_errors=True)
