"""`retail mongo ...` end to end through the CLI entry point, on hand-made inputs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from nosql_fixtures import event, hand_made_gold, ingest_events

from cli.main import main
from retail.nosql import mongo_database
from retail.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Every path under tmp_path; the embedded server (no MONGODB_URI)."""
    return Settings.rooted_at(tmp_path)


def test_sync_loads_builds_aggregates_and_checks(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ingest first: a first ingest starts a new warehouse file (the gold is added to it after)
    warehouse = ingest_events(settings.duckdb_path, tmp_path / "batch-1",
                              [event("e1", "product_view", product_key="P1"), "{oops"])
    hand_made_gold(warehouse)
    assert main(["mongo", "events", "--batch-size", "1"], settings) == 0
    assert main(["mongo", "profiles"], settings) == 0
    with mongo_database(settings, profiles=True) as holder, mongo_database(settings) as db:
        assert holder.customer_profiles.count_documents({}) == 3  # on the profiles server
        assert "customer_profiles" not in db.list_collection_names()
    assert main(["mongo", "aggregate"], settings) == 0
    out = capsys.readouterr().out
    assert "1 loaded; 0 events deleted, 1 inserted, 1 in `events` (1 session bucket(s))" in out
    assert "events: 2 lines read, 1 valid, rejected 1: 1 malformed" in out
    assert ("events: up to date (1 load(s) of web events in the warehouse, 1 events in 1 "
            "session bucket(s))") in out
    assert "customer_profiles: 3 documents" in out
    assert "gold.nosql_most_viewed_products: 1 rows" in out
    # the hand-made gold has no fct_web_events / kpi_web_funnel: a clear error, exit 1
    assert main(["mongo", "check"], settings) == 1
    assert "fct_web_events" in capsys.readouterr().err


def test_bad_arguments_exit_2(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["mongo", "events", "--batch-size", "0"], settings)
    assert caught.value.code == 2
    assert main(["mongo", "events"], settings) == 1  # no warehouse yet: a clear error
    assert "warehouse not found" in capsys.readouterr().err


def test_unreachable_uri_exits_1_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.rooted_at(
        tmp_path,
        MONGODB_URI=f"mongodb://ops:T0pSecret@127.0.0.1:{port}/?serverSelectionTimeoutMS=200")
    assert main(["mongo", "aggregate"], settings) == 1
    captured = capsys.readouterr()
    assert "T0pSecret" not in captured.out + captured.err
    assert "ops:***@" in captured.out and "cannot reach MongoDB" in captured.err
