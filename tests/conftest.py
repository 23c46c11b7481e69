"""Shared fixtures: one tiny generated extract and one warehouse built from it, per test session;
a real SecantusDB server in the test process, per test module.

Everything is real: files on disk, a DuckDB file, a dbt build, a MongoDB wire-protocol server.
Session scope keeps the suite fast; tests that mutate the warehouse must build their own (see
`make_settings`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from suite_markers import apply_marks

from retail.settings import Settings

TINY_SCALE = 0.02
TINY_SEED = 7


@dataclass(frozen=True)
class Extract:
    path: Path
    manifest: dict


@dataclass(frozen=True)
class BuiltWarehouse:
    settings: Settings
    extract: Extract

    @property
    def duckdb_path(self) -> Path:
        return self.settings.duckdb_path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with the components it needs, and `slow` (see tests/suite_markers.py)."""
    apply_marks(items, config.rootpath)


def make_settings(root: Path) -> Settings:
    """Settings whose every path lives under `root` (a tmp folder)."""
    return Settings.rooted_at(root)


@pytest.fixture(scope="session")
def tiny_extract(tmp_path_factory: pytest.TempPathFactory) -> Extract:
    from generators import generate_extract

    out = tmp_path_factory.mktemp("extract") / "batch-0001"
    generate_extract(out, scale=TINY_SCALE, seed=TINY_SEED)
    return Extract(out, json.loads((out / "manifest.json").read_text()))


@pytest.fixture(scope="session")
def built_warehouse(
    tiny_extract: Extract, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWarehouse:
    from retail.dbt import run_dbt
    from retail.ingest import ingest_extract

    root = tmp_path_factory.mktemp("built")
    settings = make_settings(root)
    ingest_extract(tiny_extract.path, settings.duckdb_path)
    run_dbt(["build"], settings, target_path=root / "dbt-target")
    return BuiltWarehouse(settings, tiny_extract)


@pytest.fixture(scope="module")
def secantus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A standalone SecantusDB server (no oplog, no test commands) in this process, on a free
    loopback port (`server.address`), one per test module: the tests of the embedded server's
    patches (test_projected_reads.py, test_raw_inserts.py, test_fast_count.py) install one and
    compare with SecantusDB's own functions."""
    from secantus import SecantusDBServer

    server = SecantusDBServer(host="127.0.0.1", port=0,
                              storage_path=str(tmp_path_factory.mktemp("secantus")),
                              replica_set_name=None, enable_test_commands=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def secantus_client(secantus_server: Any) -> Iterator[Any]:
    """A pymongo client of `secantus_server` (a direct connection), closed with the module."""
    from pymongo import MongoClient

    host, port = secantus_server.address
    client: MongoClient = MongoClient(host, port, directConnection=True)
    try:
        yield client
    finally:
        client.close()
