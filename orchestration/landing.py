"""The landing-folder convention: which extract folders are complete, and a key for each.

An extract folder under settings.raw_dir is complete when it holds either
- `manifest.json` (the generator writes it last), or
- `_SUCCESS` (an empty marker a real export job writes after copying the files, as Spark and
  Hadoop jobs do).
Folders without either are being copied and are left alone. A folder's key is its name plus a
hash of the marker file's content and mtime, so each completed folder is processed once, and a
folder whose marker is rewritten (a re-delivery) is processed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

MARKERS = ("manifest.json", "_SUCCESS")


@dataclass(frozen=True)
class LandedExtract:
    path: Path
    marker: Path

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.marker.read_bytes())
        digest.update(str(self.marker.stat().st_mtime_ns).encode())
        return f"{self.path.name}:{digest.hexdigest()[:16]}"


def complete_extracts(landing: Path) -> list[LandedExtract]:
    """Complete extract folders directly under `landing`, oldest name first."""
    if not landing.is_dir():
        return []
    found = []
    for folder in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")):
        marker = next((folder / m for m in MARKERS if (folder / m).is_file()), None)
        if marker is not None:
            found.append(LandedExtract(folder, marker))
    return found
