"""The one place that reads the environment.

Every variable has a working default so that a fresh clone runs with no configuration:

| variable           | default                  | meaning                                   |
|--------------------|--------------------------|-------------------------------------------|
| RETAIL_DUCKDB_PATH | warehouse/retail.duckdb  | the warehouse file (bronze, silver, gold) |
| RETAIL_RAW_DIR     | data/landing             | landing folder watched for new extracts   |
| RETAIL_EXPORT_DIR  | exports                  | Power BI CSVs go to <dir>/powerbi/        |
| RETAIL_DATA_DIR    | data                     | generated extracts, embedded MongoDB      |
| MONGODB_URI        | (unset: embedded server) | a real MongoDB to use instead             |
| SPARK_REMOTE       | (unset)                  | Spark Connect URL, e.g. sc://host:15002   |
| SPARK_MASTER       | local[*]                 | classic Spark master URL                  |

Relative paths are read against the repository root, so the CLI, `dagster dev` and
`dbt --profiles-dir profiles` (run from the root) all see the same files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT
DBT_PROFILES_DIR = PROJECT_ROOT / "profiles"


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    value = Path(env.get(name) or default).expanduser()
    return value if value.is_absolute() else (PROJECT_ROOT / value)


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    raw_dir: Path
    export_dir: Path
    data_dir: Path
    mongodb_uri: str | None
    spark_remote: str | None
    spark_master: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            duckdb_path=_path(env, "RETAIL_DUCKDB_PATH", "warehouse/retail.duckdb"),
            raw_dir=_path(env, "RETAIL_RAW_DIR", "data/landing"),
            export_dir=_path(env, "RETAIL_EXPORT_DIR", "exports"),
            data_dir=_path(env, "RETAIL_DATA_DIR", "data"),
            mongodb_uri=env.get("MONGODB_URI") or None,
            spark_remote=env.get("SPARK_REMOTE") or None,
            spark_master=env.get("SPARK_MASTER") or "local[*]",
        )

    @classmethod
    def rooted_at(cls, root: Path, **overrides: str) -> Settings:
        """Settings whose every path lives under `root`: an isolated sandbox (tests,
        benchmarks). Nothing is read from the environment; `overrides` sets other variables,
        e.g. `MONGODB_URI=...` or `SPARK_REMOTE=...`."""
        return cls.from_env(
            {
                "RETAIL_DUCKDB_PATH": str(root / "warehouse" / "retail.duckdb"),
                "RETAIL_RAW_DIR": str(root / "landing"),
                "RETAIL_EXPORT_DIR": str(root / "exports"),
                "RETAIL_DATA_DIR": str(root / "data"),
                **overrides,
            }
        )

    @property
    def powerbi_dir(self) -> Path:
        return self.export_dir / "powerbi"

    @property
    def segments_dir(self) -> Path:
        """Spark writes customer segments here as Parquet; it sits beside the warehouse file."""
        return self.duckdb_path.parent / "segmentation" / "customer_segments"

    @property
    def mongo_data_dir(self) -> Path:
        return self.data_dir / "mongodb"

    @property
    def generated_dir(self) -> Path:
        return self.data_dir / "generated"

    def dbt_env(self) -> dict[str, str]:
        """Variables a dbt process needs so that it reads the same warehouse as Python."""
        return {
            "RETAIL_DUCKDB_PATH": str(self.duckdb_path),
            "RETAIL_SEGMENTS_DIR": str(self.segments_dir),
        }
