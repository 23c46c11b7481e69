"""One `createIndexes` command of several indexes reads the collection once on the embedded server
(retail/nosql/index_build.py `_SharedScan`), and builds what one command per index builds.

Real SecantusDB servers in this process, spoken to through pymongo, with the index build's
patches installed. Each case inserts the same documents into a collection on two fresh servers
and builds the same indexes: on one with a single `create_indexes` (shared scan), on the other
with one command per index (each build scans for itself, as SecantusDB does). The replies and
the three index tables (catalog rows with their options, entries with their record ids, unique
claims) must be equal, row for row and byte for byte. A counter on SecantusDB's per-document
unframing in its scan tells how many times the documents were read: once per command when
shared, once per index otherwise. Cases: several indexes (multikey, compound, sparse, unique);
a unique index over duplicates (the command fails as before, nothing replayed); a first index
that already exists; an index the light reads do not cover (no sharing); more documents than
`REPLAY_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bson import Decimal128, Int64
from pymongo import IndexModel
from pymongo.errors import OperationFailure
from secantus import storage as secantus_storage
from secantus_rows import index_tables

from retail.nosql import index_build

DB = "one_scan"


@pytest.fixture(autouse=True, scope="module")
def installed() -> None:
    index_build.install()
    index_build.install()  # idempotent


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many stored documents SecantusDB's scans unframed (one element: the count)."""
    count = [0]
    real = secantus_storage._unframe_doc_value

    def unframe(value: bytes) -> Any:
        count[0] += 1
        return real(value)

    monkeypatch.setattr(secantus_storage, "_unframe_doc_value", unframe)
    return count


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many stored documents the builds that tried to compute their entries themselves
    (`index_build._bulk_rows`) read before they left the build to SecantusDB (a value not a
    string): SecantusDB's build then scans them again. Replayed documents are not reads."""
    count = [0]
    real = index_build._bulk_rows

    def bulk_rows(items: Any, bulk: Any) -> Any:
        read = []

        def counted() -> Any:
            for item in items:
                read.append(not isinstance(item[2], index_build._Replayed))
                yield item

        rows = real(counted(), bulk)
        if rows is None:
            count[0] += sum(read)
        return rows

    monkeypatch.setattr(index_build, "_bulk_rows", bulk_rows)
    return count


def _documents(count: int) -> list[dict[str, Any]]:
    """Values of several types in the indexed fields, arrays (multikey), missing fields,
    repeated values; `u` is distinct per document, `dup` is not."""
    values: list[Any] = ["x", "", 3, 2.5, Int64(7), Decimal128("1.10"), None, True, {"k": 1}]
    docs = []
    for i in range(count):
        doc: dict[str, Any] = {"_id": f"C{i:05d}" if i % 3 else i, "pad": "p" * (i % 50)}
        if i % 4:
            doc["a"] = [values[i % 9], i] if i % 5 == 0 else values[i % 9]
        if i % 3:
            doc["b"] = values[(i * 7) % 9]
        doc["c"] = i % 11
        doc["u"] = f"key-{i:06d}"
        doc["dup"] = i % 2
        docs.append(doc)
    return docs


def _build_both(fresh_secantus: Callable[[], Any], reads: list[int], docs: list[dict[str, Any]],
                indexes: list[IndexModel], existing: list[IndexModel] = ()
                ) -> tuple[tuple, tuple, int, int]:
    """The outcome, index tables and documents read, for one command and for one per index,
    each on a fresh server."""
    outcomes = []
    for shared in (True, False):
        with fresh_secantus() as (server, client):
            storage = server.storage
            coll = client[DB]["profiles"]
            coll.insert_many([dict(doc) for doc in docs])
            for model in existing:
                coll.create_indexes([model])
            reads[0] = 0
            try:
                if shared:
                    result: Any = coll.create_indexes(indexes)
                else:
                    result = [name for model in indexes for name in coll.create_indexes([model])]
            except OperationFailure as exc:
                result = ("failed", exc.code, exc.details.get("keyPattern"),
                          exc.details.get("keyValue"), "DuplicateKey" in str(exc))
            outcomes.append((result, index_tables(storage, DB, coll.name), reads[0]))
    (one, one_rows, one_reads), (each, each_rows, each_reads) = outcomes
    return (one, one_rows), (each, each_rows), one_reads, each_reads


def test_several_indexes_in_one_command_read_the_documents_once_and_build_the_same(
        fresh_secantus: Callable[[], Any], reads: list[int], attempts: list[int]) -> None:
    docs = _documents(500)
    indexes = [IndexModel("u", unique=True), IndexModel("a"),
               IndexModel([("b", -1), ("c", 1)], sparse=True), IndexModel("missing")]
    one, each, one_reads, each_reads = _build_both(fresh_secantus, reads, docs, indexes)
    assert one == each
    assert one[0] == ["u_1", "a_1", "b_-1_c_1", "missing_1"]
    assert len(one[1][secantus_storage._UNIQ_TABLE]) == 500  # the unique index's claims
    assert one_reads == 500 and each_reads == 4 * 500 + attempts[0]
    assert 0 < attempts[0] < 10  # `a` holds a number in its third document


def test_a_unique_index_over_duplicates_fails_the_command_as_before(
        fresh_secantus: Callable[[], Any], reads: list[int]) -> None:
    docs = _documents(200)
    for indexes in ([IndexModel("a"), IndexModel("dup", unique=True), IndexModel("c")],
                    [IndexModel("dup", unique=True), IndexModel("a")]):
        one, each, _, _ = _build_both(fresh_secantus, reads, docs, indexes)
        assert one == each
        assert one[0][:2] == ("failed", 11000) and one[0][2] == {"dup": 1}


def test_a_first_index_that_exists_leaves_the_scan_to_the_next_build(
        fresh_secantus: Callable[[], Any], reads: list[int], attempts: list[int]) -> None:
    docs = _documents(300)
    indexes = [IndexModel("u", unique=True), IndexModel("a"), IndexModel("c")]
    one, each, one_reads, each_reads = _build_both(
        fresh_secantus, reads, docs, indexes, existing=[indexes[0]])
    assert one == each
    assert one_reads + each_reads == 300 + 2 * 300 + attempts[0]


def test_an_index_the_light_reads_do_not_cover_builds_each_index_from_its_own_scan(
        fresh_secantus: Callable[[], Any], reads: list[int], attempts: list[int]) -> None:
    docs = [{**doc, "sub": {"x": doc["c"]}} for doc in _documents(150)]
    indexes = [IndexModel("a"), IndexModel("sub.x"), IndexModel("c")]
    one, each, one_reads, each_reads = _build_both(fresh_secantus, reads, docs, indexes)
    assert one == each
    assert one_reads == each_reads == 3 * 150 + attempts[0] // 2


def test_more_documents_than_the_replay_limit_are_scanned_by_each_build(
        fresh_secantus: Callable[[], Any], reads: list[int], attempts: list[int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_build, "REPLAY_LIMIT", 99)
    docs = _documents(100)
    indexes = [IndexModel("u", unique=True), IndexModel("a"), IndexModel("c")]
    one, each, one_reads, each_reads = _build_both(fresh_secantus, reads, docs, indexes)
    assert one == each
    assert one_reads == each_reads == 3 * 100 + attempts[0] // 2
    monkeypatch.setattr(index_build, "REPLAY_LIMIT", 100)  # exactly at the limit: kept
    one, each, one_reads, _ = _build_both(fresh_secantus, reads, docs, indexes)
    assert one == each and one_reads == 100


def test_later_fields_only_for_several_lightly_read_indexes() -> None:
    later = index_build._later_fields
    assert later({"indexes": [{"key": {"a": 1}, "name": "a_1"}]}) is None
    assert later({"indexes": [{"key": {"a": 1}, "name": "a_1"},
                              {"key": {"b": -1, "c": 1}, "name": "b_c", "unique": True}]}
                 ) == frozenset({b"b", b"c"})
    assert later({"indexes": [{"key": {"a": 1}}, {"key": {"loc": "2dsphere"}}]}) is None
    assert later({"indexes": [{"key": {"a": 1}}, {"key": {"b": 1},
                                                  "partialFilterExpression": {"b": 1}}]}) is None
    assert later({"indexes": "nope"}) is None and later({}) is None
