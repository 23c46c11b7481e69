"""`customer_profiles` on its own embedded server: its own process and data folder, and the
profiles an earlier version kept on the other server moved, never lost."""

from __future__ import annotations

from pathlib import Path

import duckdb
from nosql_fixtures import hand_made_gold, settings_under
from pymongo import monitoring

from retail.nosql import build_customer_profiles, mongo_database, sync_customer_profiles
from retail.nosql.load_ledger import LEDGER
from retail.nosql.server import embedded_folder, embedded_server_pid


def test_profiles_have_their_own_embedded_server(tmp_path: Path) -> None:
    settings = settings_under(tmp_path)
    with mongo_database(settings) as db, mongo_database(settings, profiles=True) as holder:
        db.items.insert_one({"_id": 1})
        holder.items.insert_one({"_id": 2})
        main, profiles = embedded_folder(settings), embedded_folder(settings, profiles=True)
        assert profiles == settings.mongo_data_dir / "profiles"
        assert embedded_server_pid(main) != embedded_server_pid(profiles)
        assert (main / "secantus").is_dir() and (profiles / "secantus").is_dir()
        assert [d["_id"] for d in db.items.find()] == [1]
        assert [d["_id"] for d in holder.items.find()] == [2]


def test_profiles_kept_on_the_other_server_move_to_theirs(tmp_path: Path) -> None:
    """An earlier version built the profiles beside `events`: the next build puts them on the
    profiles server and only then drops the old ones and their record."""
    settings = settings_under(tmp_path)
    gold = hand_made_gold(settings.duckdb_path)
    with mongo_database(settings) as db:
        assert build_customer_profiles(db, gold) == 3
        db.events.insert_one({"_id": "kept"})
    assert sync_customer_profiles(settings) == 3
    with mongo_database(settings) as db, mongo_database(settings, profiles=True) as holder:
        assert "customer_profiles" not in db.list_collection_names()
        assert db[LEDGER].find_one({"_id": "customer_profiles"}) is None
        assert [d["_id"] for d in db.events.find()] == ["kept"]
        assert sorted(d["_id"] for d in holder.customer_profiles.find()) == [11000, 11001, 11002]
        assert holder[LEDGER].find_one({"_id": "customer_profiles"}) is not None
    assert sync_customer_profiles(settings) == 3  # unchanged gold: nothing written, still there
    with mongo_database(settings, profiles=True) as holder:
        assert holder.customer_profiles.count_documents({}) == 3


class _Commands(monitoring.CommandListener):
    """The commands the clients created after `register` send while `listening`, in order
    (pymongo's command monitoring; registered listeners stay for the process)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.listening = True

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.listening:
            self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_a_restage_on_the_embedded_server_indexes_the_live_collection(tmp_path: Path) -> None:
    """Every profile changed: the rebuild stages them and renames the staging collection over
    the live one, then builds the indexes there (the embedded server's rename moves every row,
    index entries too); the result has the live collection's indexes and gold's profiles."""
    settings = settings_under(tmp_path)
    gold = hand_made_gold(settings.duckdb_path)
    assert sync_customer_profiles(settings) == 3
    with duckdb.connect(str(gold)) as con:
        con.execute("update gold.dim_customers set first_name = first_name || ' Jr'")
    commands = _Commands()
    monitoring.register(commands)  # for the clients created from here on
    try:
        assert sync_customer_profiles(settings) == 3
    finally:
        commands.listening = False
    sent = [(name, target) for name, target in commands.sent
            if name in ("renameCollection", "createIndexes")]
    # both indexes in one command: the embedded server reads the profiles once for them
    assert sent == [("renameCollection", "retail.customer_profiles__staging"),
                    ("createIndexes", "customer_profiles")]
    with mongo_database(settings, profiles=True) as holder:
        assert holder.list_collection_names().count("customer_profiles__staging") == 0
        indexes = {tuple(ix["key"]): bool(ix.get("unique"))
                   for ix in holder.customer_profiles.list_indexes()}
        assert indexes == {("_id",): False, ("customer_key",): True, ("customer_number",): False}
        names = sorted(d["first_name"] for d in holder.customer_profiles.find())
        assert names and all(name.endswith(" Jr") for name in names)
