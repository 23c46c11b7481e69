"""Raw-data generator: AdventureWorks-like CRM/ERP CSV extracts plus web events (JSONL).

`generate_extract(out, scale, seed)` writes a first extract (2023-01-01 .. 2025-12-31);
`generate_followon(after, days, out)` writes the batch that continues one. Both are pure
functions of their inputs (byte-identical on every run, whatever the number of worker
processes) and return the manifest they wrote last as `manifest.json`.

Modules, in data-flow order:
- `config` (volumes, countries, every defect and behaviour rate), `plan` (what one batch holds),
  `rand` (named NumPy streams and id hashes);
- clean model: `categories` + `catalog` (products and price versions), `customers`,
  `sales` (orders, lines, returns), `web` (sessions and events);
- rendering with defects: `render_customers`, `render_erp`, `render_products`,
  `render_sales`, `render_web`, over `textout` (Arrow column joins, no per-row Python) and
  `fixedwidth` (byte matrices);
- running: `chunks` (one chunk of work), `sinks` (ordered writes from any process),
  `extract` (phases of a batch), `output` (argument checks, staged folder), `api`;
- `truth`: the manifest's truth figures and their exact definitions.

Heavy imports (NumPy, Arrow, Faker) happen on the first call, not on import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def generate_extract(out: Path, scale: float = 1.0, seed: int = 42, *, force: bool = False,
                     progress: bool | None = None, **kwargs: Any) -> dict:
    """Write a first extract into `out`; see `generators.api.generate_extract`."""
    from generators.api import generate_extract as _generate_extract

    return _generate_extract(out, scale, seed, force=force, progress=progress, **kwargs)


def generate_followon(after: Path, days: int, out: Path, *, force: bool = False,
                      progress: bool | None = None, **kwargs: Any) -> dict:
    """Write the batch after the extract in `after`; see `generators.api.generate_followon`."""
    from generators.api import generate_followon as _generate_followon

    return _generate_followon(after, days, out, force=force, progress=progress, **kwargs)


__all__ = ["generate_extract", "generate_followon"]
