"""Raw-data generator: AdventureWorks-like CRM/ERP CSV extracts plus web events (JSONL).

`generate_extract(out, scale, seed)` writes a first extract; `generate_followon(after, days,
out)` continues one. Both are pure functions of their inputs (byte-identical on every run)
and return the manifest they wrote. Heavy imports (NumPy, Arrow, Faker) happen on first call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def generate_extract(out: Path, scale: float = 1.0, seed: int = 42, *, force: bool = False,
                     progress: bool | None = None, **kwargs: Any) -> dict:
    from generators.api import generate_extract as _generate_extract

    return _generate_extract(out, scale, seed, force=force, progress=progress, **kwargs)


def generate_followon(after: Path, days: int, out: Path, *, force: bool = False,
                      progress: bool | None = None, **kwargs: Any) -> dict:
    from generators.api import generate_followon as _generate_followon

    return _generate_followon(after, days, out, force=force, progress=progress, **kwargs)


__all__ = ["generate_extract", "generate_followon"]
