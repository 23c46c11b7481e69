"""Settings as a value: `to_env()` is the one mapping to variables, and it reads back the same."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from retail.settings import Settings


def test_to_env_reads_back_as_the_same_settings(tmp_path: Path) -> None:
    plain = Settings.rooted_at(tmp_path)
    remote = Settings.rooted_at(tmp_path, MONGODB_URI="mongodb://db:27017",
                                SPARK_REMOTE="sc://spark:15002", SPARK_MASTER="spark://m:7077")
    for settings in (plain, remote, Settings.from_env({})):
        assert Settings.from_env(settings.to_env()) == settings
    assert "MONGODB_URI" not in plain.to_env() and "SPARK_REMOTE" not in plain.to_env()
    assert plain.to_env()["RETAIL_SEGMENTS_DIR"] == str(tmp_path / "warehouse" / "segmentation"
                                                        / "customer_segments")


def test_a_child_sees_these_settings_and_inherits_none_it_leaves_unset(tmp_path: Path) -> None:
    settings = replace(Settings.rooted_at(tmp_path), duckdb_path=tmp_path / "w.duckdb")
    parent = {"PATH": "/bin", "MONGODB_URI": "mongodb://elsewhere", "RETAIL_RAW_DIR": "/nope"}
    env = settings.child_env(parent)
    assert env["PATH"] == "/bin"
    assert "MONGODB_URI" not in env
    assert env["RETAIL_RAW_DIR"] == str(tmp_path / "landing")
    assert Settings.from_env(env) == settings


def test_duckdb_memory_limit_takes_what_duckdb_takes_and_refuses_the_rest() -> None:
    import duckdb
    import pytest

    from retail.errors import UsageError

    for value in ("4GB", "512MiB", "1.5 gb", "25%", "100%", "2g"):
        assert Settings.from_env({"RETAIL_DUCKDB_MEMORY_LIMIT": value}).duckdb_memory_limit == value
        duckdb.connect(config={"memory_limit": value}).close()  # DuckDB takes it too
    for value in ("4096", "lots", "150%", "-1GB", "GB"):
        with pytest.raises(UsageError, match="RETAIL_DUCKDB_MEMORY_LIMIT"):
            Settings.from_env({"RETAIL_DUCKDB_MEMORY_LIMIT": value})


def test_dbt_by_hand_and_the_settings_default_to_the_same_memory_limit() -> None:
    """profiles.yml's fallback (dbt run without the variable) is the settings' default."""
    from retail.settings import DBT_PROFILES_DIR, DEFAULT_DUCKDB_MEMORY_LIMIT

    profile = (DBT_PROFILES_DIR / "profiles.yml").read_text()
    (line,) = [text for text in profile.splitlines() if "memory_limit:" in text]
    assert f"env_var('RETAIL_DUCKDB_MEMORY_LIMIT', '{DEFAULT_DUCKDB_MEMORY_LIMIT}')" in line
    assert Settings.from_env({}).duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT
