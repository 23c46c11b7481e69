"""A filter on a range of one string field, checked directly (retail/nosql/fast_range.py),
decides every document as SecantusDB's matcher does, and is taken.

Every filter below (string ranges of each operator and pair of operators, bounds that are not
plain strings, other shapes, dotted fields, collations) is matched against every document
(plain strings around the bounds: equal, prefixes, empty, accents, CJK and emoji, upper and
lower case; and values that are not plain strings: absent, null, numbers, arrays of strings,
documents, JavaScript code, MinKey/MaxKey, bytes) by `fast_range.matches` and by
`secantus.query.matches`; the answers must be the same. A counter on SecantusDB's matcher tells
that a plain string against a string range never reaches it, and that everything else does.
Then a real SecantusDB server with the matcher installed answers finds and a partitioned
aggregation over the same documents as without it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from bson import Code, Int64, MaxKey, MinKey
from pymongo import MongoClient
from secantus import query as secantus_query
from secantus import storage as secantus_storage
from secantus.collation import parse as parse_collation

from retail.nosql import fast_range

STRINGS = ["", "a", "ab", "abc", "b", "s-100", "s-1000", "s-2", "s-20", "S-100", "é", "e\u0301",
           "z", "日本", "😀", "s-1\x00", "ſ"]
OTHERS: list[Any] = [None, 7, 2.5, Int64(3), True, ["s-100"], ["a", "zz"], [], {"x": "s"},
                     Code("s-150"), MinKey(), MaxKey(), b"s-150"]
BOUNDS = ["", "a", "s-100", "s-2", "é", "日本", "z"]
OPS = ["$gt", "$gte", "$lt", "$lte"]


def _documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [{"_id": n, "session_id": value}
                                  for n, value in enumerate(STRINGS + OTHERS)]
    docs.append({"_id": "missing"})
    docs.append({"_id": "nested", "session_id": {"session_id": "s-150"}})
    return docs


def _filters() -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for op, bound in itertools.product(OPS, BOUNDS):
        filters.append({"session_id": {op: bound}})
    for (low_op, low), (high_op, high) in itertools.product(
            itertools.product(("$gt", "$gte"), BOUNDS[:4]),
            itertools.product(("$lt", "$lte"), BOUNDS[2:])):
        filters.append({"session_id": {low_op: low, high_op: high}})
    filters += [
        {"session_id": {"$gte": "a", "$lt": 5}},  # a bound that is not a string
        {"session_id": {"$gte": Code("a")}},
        {"session_id": {"$gte": MinKey()}},
        {"session_id": {"$gte": "a", "$ne": "b"}},  # another operator
        {"session_id": {"$in": ["a", "b"]}},
        {"session_id": "s-100"},  # equality
        {"session_id": None},
        {"session_id": {}},
        {"session_id.x": {"$gte": "a"}},  # dotted
        {"session_id": {"$gte": "a"}, "_id": {"$gte": 0}},  # two fields
        {"$or": [{"session_id": {"$gte": "a"}}]},
        {},
    ]
    return filters


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times SecantusDB's own matcher was called (one element: the count)."""
    fast_range.install()
    fast_range.install()  # idempotent
    count = [0]
    real = secantus_query.matches

    def counted(*args: Any, **kwargs: Any) -> bool:
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(fast_range, "_original", counted)
    return count


def test_every_document_is_decided_as_secantus_decides_it(calls: list[int]) -> None:
    for query in _filters():
        for doc in _documents():
            expected = secantus_query.matches(doc, query)
            assert fast_range.matches(doc, query) is expected, (query, doc)


def test_plain_strings_against_string_ranges_never_reach_secantus_matcher(
        calls: list[int]) -> None:
    plain = [doc for doc in _documents() if type(doc.get("session_id")) is str]
    for op, bound in itertools.product(OPS, BOUNDS):
        query = {"session_id": {op: bound}}
        calls[0] = 0
        for doc in plain:
            fast_range.matches(doc, query)
        assert calls[0] == 0
        for doc in _documents():
            fast_range.matches(doc, query)
        assert calls[0] == len(_documents()) - len(plain)  # every other value reaches it
    calls[0] = 0
    query = {"session_id": {"$gte": "a", "$ne": "b"}}
    for doc in plain:
        assert fast_range.matches(doc, query) is secantus_query.matches(doc, query)
    assert calls[0] == len(plain)


def test_variables_change_nothing_a_bound_is_a_literal(calls: list[int]) -> None:
    variables = {"x": "s-100", "NOW": "z"}
    for query in ({"session_id": {"$gte": "$$x"}}, {"session_id": {"$lt": "$$NOW"}},
                  {"session_id": {"$gte": "s-1", "$lte": "$x"}}):
        for doc in _documents():
            assert fast_range.matches(doc, query, vars=variables) is secantus_query.matches(
                doc, query, vars=variables), (query, doc)


def test_a_collation_goes_to_secantus_matcher(calls: list[int]) -> None:
    collation = parse_collation({"locale": "en", "strength": 1})
    query = {"session_id": {"$gte": "s-100", "$lt": "s-2"}}
    doc = {"_id": 1, "session_id": "S-150"}
    assert fast_range.matches(doc, query, collation=collation) is secantus_query.matches(
        doc, query, collation=collation) is True  # case-insensitive: in the range
    assert fast_range.matches(doc, query) is secantus_query.matches(doc, query) is False
    calls[0] = 0
    fast_range.matches(doc, query, collation=collation)
    assert calls[0] == 1


def test_range_plan_only_for_one_field_of_string_bounds() -> None:
    plan = fast_range.range_plan
    assert plan({"s": {"$gte": "a", "$lt": "b"}}) is not None
    assert plan({"s": {"$gte": "a"}, "t": {"$lt": "b"}}) is None
    assert plan({"s.x": {"$gte": "a"}}) is None and plan({"$and": [{"s": {"$gte": "a"}}]}) is None
    assert plan({"s": {"$gte": Code("a")}}) is None and plan({"s": {"$eq": "a"}}) is None
    assert plan({"s": {}}) is None and plan({"s": "a"}) is None and plan({}) is None


def test_a_server_answers_finds_and_ranges_of_an_aggregation_as_without_it(
        secantus_client: MongoClient, monkeypatch: pytest.MonkeyPatch) -> None:
    collection = secantus_client["fast_range"]["events"]
    collection.drop()
    collection.insert_many(_documents())
    collection.create_index([("session_id", 1), ("_id", 1)])
    queries = _filters()[:40] + _filters()[-12:]

    def answers() -> list[Any]:
        found = [sorted(map(str, (d["_id"] for d in collection.find(q)))) for q in queries]
        grouped = [list(collection.aggregate([{"$match": q}, {"$group": {
            "_id": None, "n": {"$sum": 1}}}])) for q in queries[:40]]
        return [found, grouped]

    fast_range.install()
    with_it = answers()
    monkeypatch.setattr(secantus_storage, "matches", secantus_query.matches)
    assert answers() == with_it
