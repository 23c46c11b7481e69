"""Shared fixtures: one tiny generated extract and one warehouse built from it, per test session;
a real SecantusDB server in the test process, per test module.

Everything is real: files on disk, a DuckDB file, a dbt build, a MongoDB wire-protocol server.
Session scope keeps the suite fast; tests that mutate the warehouse must build their own (see
`make_settings`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
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


@contextlib.contextmanager
def started_secantus(folder: Path) -> Iterator[Any]:
    """A standalone SecantusDB server (no oplog, no test commands) in this process, storing in
    `folder`, on a free loopback port (`server.address`), stopped when the block ends."""
    from secantus import SecantusDBServer

    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=str(folder),
                              replica_set_name=None, enable_test_commands=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def secantus_client_of(server: Any) -> Iterator[Any]:
    """A pymongo client of the in-process `server` (a direct connection), closed at the end."""
    from pymongo import MongoClient

    host, port = server.address
    client: MongoClient = MongoClient(host, port, directConnection=True)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def secantus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A SecantusDB server in this process (`started_secantus`), one per test module: the tests
    of the embedded server's patches (test_projected_reads.py, test_raw_inserts.py,
    test_fast_count.py, ...) install one and compare with SecantusDB's own functions."""
    with started_secantus(tmp_path_factory.mktemp("secantus")) as server:
        yield server


@pytest.fixture(scope="module")
def secantus_client(secantus_server: Any) -> Iterator[Any]:
    """A pymongo client of `secantus_server` (a direct connection), closed with the module."""
    with secantus_client_of(secantus_server) as client:
        yield client


@contextlib.contextmanager
def _fresh_secantus(folder: Path) -> Iterator[tuple[Any, Any]]:
    with started_secantus(folder) as server, secantus_client_of(server) as client:
        yield server, client


@pytest.fixture
def fresh_secantus(tmp_path_factory: pytest.TempPathFactory
                   ) -> Callable[[], contextlib.AbstractContextManager[tuple[Any, Any]]]:
    """Starts another fresh SecantusDB server in this process per call (`started_secantus` in a
    new folder), with a client of it: (server, client). Two fresh servers given the same writes
    hold the same rows."""
    return lambda: _fresh_secantus(tmp_path_factory.mktemp("secantus"))
