"""The one place that reads the environment.

Every variable has a working default so that a fresh clone runs with no configuration:

| variable           | default                  | meaning                                   |
|--------------------|--------------------------|-------------------------------------------|
| RETAIL_DUCKDB_PATH | warehouse/retail.duckdb  | the warehouse file (bronze, silver, gold) |
| RETAIL_RAW_DIR     | data/landing             | landing folder watched for new extracts   |
| RETAIL_EXPORT_DIR  | exports                  | Power BI CSVs go to <dir>/powerbi/        |
| RETAIL_DATA_DIR    | data                     | generated extracts, embedded MongoDB      |
| RETAIL_DUCKDB_MEMORY_LIMIT | 20%              | DuckDB's memory bound inside dbt (of RAM) |
| MONGODB_URI        | (unset: embedded server) | a real MongoDB to use instead             |
| SPARK_REMOTE       | (unset)                  | Spark Connect URL, e.g. sc://host:15002   |
| SPARK_MASTER       | local[*]                 | classic Spark master URL                  |
| RETAIL_SPARK_CLASS_CACHE | <venv>/var/cache/retail-spark | the local Spark JVM's class archive, |
|                    |                          | `off` for none (segmentation/class_archive) |

Relative paths are read against the repository root, so the CLI, `dagster dev` and
`dbt --profiles-dir profiles` (run from the root) all see the same files.

Settings travel as a value: the CLI (or `dagster dev`, in orchestration/definitions.py) reads
them once with `from_env()` and hands the value on. `to_env()` is the one mapping back to
variables, for the processes that only read the environment (dbt, a child `retail`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT
DBT_PROFILES_DIR = PROJECT_ROOT / "profiles"
# Every variable `Settings.to_env()` can write (all that `from_env` reads, and the segments folder
# dbt reads): a child process's environment never inherits one of them from this process's.
VARIABLES = (
    "RETAIL_DUCKDB_PATH", "RETAIL_RAW_DIR", "RETAIL_EXPORT_DIR", "RETAIL_DATA_DIR",
    "MONGODB_URI", "SPARK_REMOTE", "SPARK_MASTER", "RETAIL_SEGMENTS_DIR",
    "RETAIL_DUCKDB_MEMORY_LIMIT", "RETAIL_SPARK_CLASS_CACHE",
)
#: dbt's DuckDB may use this much memory, then spills to disk (DuckDB's own default is 80% of
#: RAM). A run shares the machine with the MongoDB server, Spark's JVM and itself: at scale 100
#: dbt alone took 7.6 GB unbounded, 4.5 GB with 4GB at the same speed (benchmarks/RESULTS.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "20%"
#: Where the local Spark driver's class archive is kept: in the Python environment, beside the
#: Spark it is made from (retail/segmentation/class_archive.py).
DEFAULT_SPARK_CLASS_CACHE = Path(sys.prefix) / "var" / "cache" / "retail-spark"
# what DuckDB's `memory_limit` takes: a number with a unit of 1000^i (KB..TB) or 1024^i
# (KiB..TiB) bytes, or a percentage of the machine's memory
_MEMORY = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:[kmgt]i?b?|b|bytes)|(?:100|\d{1,2}(?:\.\d+)?)\s*%)",
                     re.IGNORECASE)


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    value = Path(env.get(name) or default).expanduser()
    return value if value.is_absolute() else (PROJECT_ROOT / value)


def _class_cache(env: Mapping[str, str]) -> Path | None:
    value = env.get("RETAIL_SPARK_CLASS_CACHE") or ""
    if value.strip().lower() == "off":
        return None
    return _path(env, "RETAIL_SPARK_CLASS_CACHE", str(DEFAULT_SPARK_CLASS_CACHE))


def _memory_limit(env: Mapping[str, str]) -> str:
    value = (env.get("RETAIL_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY.fullmatch(value):
        from retail.errors import UsageError

        raise UsageError(
            f"RETAIL_DUCKDB_MEMORY_LIMIT={value!r} is not a memory size: use e.g. 4GB, "
            "512MiB or 25% (of the machine's memory)")
    return value


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    raw_dir: Path
    export_dir: Path
    data_dir: Path
    mongodb_uri: str | None
    spark_remote: str | None
    spark_master: str
    duckdb_memory_limit: str
    spark_class_cache: Path | None = DEFAULT_SPARK_CLASS_CACHE  # None: no class archive

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
            duckdb_memory_limit=_memory_limit(env),
            spark_class_cache=_class_cache(env),
        )

    @classmethod
    def rooted_at(cls, root: Path, **overrides: str) -> Settings:
        """Settings whose every path lives under `root`: an isolated sandbox (tests,
        benchmarks). Nothing is read from the environment; `overrides` sets other variables,
        e.g. `MONGODB_URI=...` or `SPARK_REMOTE=...`."""
        rooted = replace(
            cls.from_env({}),
            duckdb_path=root / "warehouse" / "retail.duckdb",
            raw_dir=root / "landing",
            export_dir=root / "exports",
            data_dir=root / "data",
        )
        return cls.from_env({**rooted.to_env(), **overrides}) if overrides else rooted

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

    def to_env(self) -> dict[str, str]:
        """These settings as the variables `from_env` reads (unset ones left out), plus
        RETAIL_SEGMENTS_DIR for dbt: the one place settings become environment variables.
        `Settings.from_env(s.to_env()) == s`."""
        env = {
            "RETAIL_DUCKDB_PATH": str(self.duckdb_path),
            "RETAIL_RAW_DIR": str(self.raw_dir),
            "RETAIL_EXPORT_DIR": str(self.export_dir),
            "RETAIL_DATA_DIR": str(self.data_dir),
            "MONGODB_URI": self.mongodb_uri,
            "SPARK_REMOTE": self.spark_remote,
            "SPARK_MASTER": self.spark_master,
            "RETAIL_SEGMENTS_DIR": str(self.segments_dir),
            "RETAIL_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "RETAIL_SPARK_CLASS_CACHE": str(self.spark_class_cache or "off"),
        }
        return {name: value for name, value in env.items() if value}

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a child process (dbt, `retail`) that must see these settings:
        `base` (default: this process's environment) with every settings variable replaced,
        so a variable these settings leave unset (MONGODB_URI, SPARK_REMOTE) is not inherited."""
        base = os.environ if base is None else base
        return {**{k: v for k, v in base.items() if k not in VARIABLES}, **self.to_env()}
