"""The raw extract: an existing folder (config `path`) or one generated from (scale, seed).

The asset's value is the extract folder's path; bronze ingests it. A generated extract is reused
when its manifest says it came from the same (scale, seed, generator version): generation is a pure
function of those.
"""

import json
import time
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.metadata import folder_size
from orchestration.resources import RetailResource
from retail.errors import UsageError

RAW_KEY = dg.AssetKey(["raw", "extract"])
RAW_OP = "raw__extract"
MANIFEST = "manifest.json"


class RawExtractConfig(dg.Config):
    path: str = Field("", description="An existing extract folder. Empty: generate one.")
    scale: float = Field(1.0, description="Generator scale (1 = the public extract's size).")
    seed: int = Field(42, description="Generator seed.")


def raw_run_config(
    path: Path | str | None = None,
    scale: float = 1.0,
    seed: int = 42,
    *,
    new: bool = False,
    source: str | None = None,
    force: bool = False,
) -> dict:
    """Run config choosing the extract of a run (for `retail run`, the sensor, the schedule).

    `new`, `source` and `force` go to the bronze ingest (see retail/ingest/source.py and
    load.py): start a new warehouse for this extract, the source system of a non-generated
    extract, load the batch even when its files are unchanged since its last load.
    """
    config = {"path": str(path) if path else "", "scale": scale, "seed": seed}
    ops: dict[str, Any] = {RAW_OP: {"config": config}}
    if new or source or force:
        from orchestration.assets.bronze import BRONZE_OP

        ops[BRONZE_OP] = {"config": {"new": new, "source": source or "", "force": force}}
    return {"ops": ops}


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    file = folder / MANIFEST
    return json.loads(file.read_text()) if file.exists() else None


def _generate(folder: Path, scale: float, seed: int, log: Any) -> tuple[dict, bool]:
    from generators import generate_extract
    from generators.config import GENERATOR_VERSION

    manifest = _read_manifest(folder)
    same = (scale, seed, GENERATOR_VERSION)
    if manifest and (manifest.get("scale"), manifest.get("seed"),
                     manifest.get("generator_version")) == same:
        log.info(f"reusing the extract generated earlier in {folder}")
        return manifest, True
    return generate_extract(folder, scale=scale, seed=seed, force=True, progress=False), False


@dg.asset(key=RAW_KEY, group_name="raw", kinds={"python", "csv"})
def raw_extract(
    context: dg.AssetExecutionContext, config: RawExtractConfig, retail: RetailResource
) -> dg.Output[str]:
    """One raw extract folder (CRM + ERP CSVs, optional returns and web events JSONL)."""
    settings = retail.settings()
    started = time.perf_counter()
    reused = False
    if config.path:
        folder = Path(config.path).expanduser().resolve()
        if not folder.is_dir():
            raise UsageError(f"{folder}: no such extract folder")
        manifest = _read_manifest(folder)
    else:
        folder = settings.generated_dir / f"scale-{config.scale:g}-seed-{config.seed}"
        manifest, reused = _generate(folder, config.scale, config.seed, context.log)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(folder)),
        "size_bytes": folder_size(folder),
        "files": dg.MetadataValue.md("\n".join(f"- `{f}`" for f in files)),
        "generated": not config.path,
        "reused": reused,
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    if manifest:
        metadata["manifest"] = dg.MetadataValue.json(manifest)
    return dg.Output(str(folder), metadata=metadata)
