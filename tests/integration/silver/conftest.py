"""Fixtures of the silver tests: read-only queries on the session warehouse, and private
copies of it for tests that re-ingest or rebuild (the session warehouse is never changed)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from silver_fixtures import Query, querier, settings_under

from retail.settings import Settings


@pytest.fixture(scope="session")
def silver_query(built_warehouse: Any) -> Query:
    """Queries on the session warehouse (tiny extract, full dbt build)."""
    return querier(built_warehouse.duckdb_path)


@pytest.fixture(scope="session")
def dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dbt target folder for the silver tests (they run one after another), so dbt can
    reuse its parsed project instead of parsing it again for every invocation."""
    return tmp_path_factory.mktemp("silver-dbt-target")


@pytest.fixture
def warehouse_copy(built_warehouse: Any, tmp_path: Path) -> Settings:
    """Settings for a private copy of the built warehouse, free to change."""
    settings = settings_under(tmp_path)
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built_warehouse.duckdb_path, settings.duckdb_path)
    return settings
