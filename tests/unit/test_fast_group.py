"""The embedded server's `$group` (retail/nosql/fast_group.py) gives SecantusDB's own results,
byte for byte (field order and BSON types included), and its errors.

Every group stage of the aggregation passes, and stages of other shapes, run over documents
made to hit each rule: keys of every type mongod groups apart or together (null and absent,
bools against ints, 1 / 1.0 / Int64 / Decimal128, NaN, JavaScript code, lists, documents),
paths that are absent, null, or run through a list or a scalar, and sums that widen from int32
to int64, double and decimal or ignore what is not a number.
"""

from __future__ import annotations

import math
import random

import bson
import pytest
from bson import Code, Decimal128, Int64
from secantus import aggregate
from secantus.aggregate import PipelineContext

from retail.nosql import fast_group, pipelines


def _keys(rng: random.Random) -> object:
    return rng.choice([
        "S1", "s1", "S2", "", None, 0, 1, 1.0, -0.0, Int64(1), Decimal128("1.0"), True, False,
        math.nan, Decimal128("NaN"), Code("x=1"), "x=1", [1, "a"], ["a", ["b"]], [],
        {"a": 1}, {"b": [1], "a": None}, 2**40, Int64(2**40),
    ])


def _numbers(rng: random.Random) -> object:
    return rng.choice([1, 2, 2**31 - 1, -(2**31), 2**40, Int64(3), 2.5, math.nan,
                       Decimal128("0.1"), True, "7", None, [1], {"n": 1}])


def _doc(rng: random.Random) -> dict:
    doc: dict = {"_id": rng.randrange(10**6)}
    for field in ("session_id", "n", "event_types", "payment_statuses"):
        if rng.random() < 0.9:  # else absent
            doc[field] = (_keys(rng) if field == "session_id" else _numbers(rng)
                          if field == "n" else rng.choice([["page_view"], ["a", "b"], [], None,
                                                           "x", [["nested"]]]))
    views = rng.choice([
        {"product_key": _keys(rng), "day": rng.choice(["2023-01-01", None, 7]),
         "views": _numbers(rng)},
        {"day": "2023-01-02"},  # no product_key, no views
        [{"product_key": "P1", "views": 1}],  # a path through a list
        "scalar", None,
    ])
    if rng.random() < 0.9:
        doc["product_views"] = views
    return doc


DOCS = [_doc(random.Random(seed)) for seed in range(3000)]
SPECS = [
    {"_id": "$session_id", "types": {"$push": "$event_types"},
     "statuses": {"$push": "$payment_statuses"}, "events": {"$sum": "$n"}},
    {"_id": {"types": "$event_types", "statuses": "$payment_statuses",
             "session_type": {"$type": "$session_id"}},
     "sessions": {"$sum": 1}, "events": {"$sum": "$n"}},
    {"_id": {"product": "$product_views.product_key", "session": "$session_id"},
     "views": {"$sum": "$product_views.views"}},
    {"_id": {"product": "$product_views.product_key", "day": "$product_views.day"},
     "views": {"$sum": "$product_views.views"}},
    {"_id": "$product_views.product_key", "days": {"$push": "$$ROOT"}},
    {"_id": None, "n": {"$sum": 1}, "total": {"$sum": "$n"}, "two": {"$sum": 2}},
    {"_id": "$n", "one": {"$sum": 1.0}, "big": {"$sum": Int64(1)}},
    {"_id": {"s": "$session_id", "k": {"$concat": ["a", "b"]}}, "ids": {"$push": "$_id"}},
    {"_id": "$session_id", "first": {"$first": "$n"}, "n": {"$sum": "$n"}},  # SecantusDB's
    {"_id": {"$toString": "$n"}, "n": {"$sum": 1}},  # an operator as _id
]


def _outcome(group, spec: dict, docs: list[dict], ctx: PipelineContext | None) -> object:
    """The documents a group stage gives, as BSON, or the error it raises."""
    try:
        return [bson.encode(doc) for doc in group(spec, docs, ctx or PipelineContext())]
    except Exception as exc:  # SecantusDB's own errors (and its TypeError on a few keys)
        return type(exc).__name__, str(exc)


def _secantus(spec: dict, docs: list[dict], ctx: PipelineContext | None = None) -> object:
    original = fast_group._original or aggregate._stage_group
    assert original is not fast_group.stage_group
    return _outcome(original, spec, docs, ctx)


def _ours(spec: dict, docs: list[dict], ctx: PipelineContext | None = None) -> object:
    return _outcome(fast_group.stage_group, spec, docs, ctx)


@pytest.mark.parametrize("spec", SPECS, ids=[str(i) for i in range(len(SPECS))])
def test_groups_are_secantus_own_byte_for_byte(spec) -> None:
    expected = _secantus(spec, DOCS)
    assert _ours(spec, DOCS) == expected
    # where SecantusDB cannot hash a key (a decimal from `$toString`'s input), the same error;
    # every other stage groups all the documents, in many groups
    assert isinstance(expected, list) or spec["_id"] == {"$toString": "$n"}
    assert isinstance(expected, tuple) or len(expected) > 1 or spec["_id"] is None


def test_the_passes_group_stages_are_all_read_directly() -> None:
    """Every `$group` of the passes is one `stage_group` plans (not handed back whole)."""
    def groups(stages: list) -> list[dict]:
        found = []
        for stage in stages:
            ((name, spec),) = stage.items()
            if name == "$group":
                found.append(spec)
            elif name == "$facet":
                found += [g for pipeline in spec.values() for g in groups(pipeline)]
        return found

    specs = groups(pipelines.event_facets())
    assert len(specs) >= 8
    assert all(fast_group._plan(spec) is not None for spec in specs)


def test_a_collation_and_malformed_stages_go_to_secantus() -> None:
    ctx = PipelineContext(collation={"locale": "en", "strength": 2})
    spec = {"_id": "$session_id", "n": {"$sum": 1}}
    texts = [doc for doc in DOCS if isinstance(doc.get("session_id"), str)]
    expected = _secantus(spec, texts, ctx)
    assert isinstance(expected, list) and len(expected) > 1
    assert _ours(spec, texts, ctx) == expected
    for bad in ({"n": {"$sum": 1}}, {"_id": 1, "n": 1}, {"_id": 1, "n": {"$nope": 1}},
                "not a document", {"_id": 1, "n": {"$sum": 1, "$push": 1}}):
        expected = _secantus(bad, DOCS)
        assert expected[0] == "AggregateError"
        assert _ours(bad, DOCS) == expected


def test_install_puts_it_in_secantus_stage_table(monkeypatch) -> None:
    monkeypatch.setattr(fast_group, "_original", None)
    monkeypatch.setattr(aggregate, "_stage_group", aggregate._stage_group)
    monkeypatch.setitem(aggregate._STAGES, "$group", aggregate._STAGES["$group"])
    original = aggregate._stage_group
    fast_group.install()
    assert aggregate._STAGES["$group"] is fast_group.stage_group
    assert fast_group._original is original
    docs = aggregate.apply_pipeline(DOCS, [{"$group": SPECS[2]}], PipelineContext())
    assert [bson.encode(d) for d in docs] == [bson.encode(d) for d in
                                              original(SPECS[2], DOCS, PipelineContext())]
