"""A filter on a range of one string field, checked directly, in the embedded server's finds.

Why: an aggregation pass reads `events` in parts that are ranges of `session_id`
(retail/nosql/partitioned.py). SecantusDB fetches a part's buckets through the index on
`session_id`, then checks the filter again on every bucket it fetched, with its general matcher
(`secantus.query.matches`: ~6 µs a bucket, 1.3 s of the 18 s pass over `events` at scale 10).

For a filter that is exactly one top-level field with string bounds (`$gt`, `$gte`, `$lt`,
`$lte`), no collation, and a document whose value there is a plain string, that check is what
SecantusDB's matcher does for such a pair: both are strings (one type bracket), so it compares
them with Python's string order (code points, which is UTF-8's byte order, mongod's). Here it
is those comparisons and nothing else (`let` variables change nothing: a plain operator's bound
is a literal, `"$$x"` included; only `$expr` reads variables). Anything else goes to
SecantusDB's matcher as before: a collation, another shape of filter, a bound that is not a
plain string, a value that is not one (absent, null, an array, a number, JavaScript code, a
subclass of str).

`install()` puts `matches` in place of the matcher SecantusDB's `Storage.find_matching` calls,
in the embedded server's own process only (retail/nosql/embedded_process.py).
tests/unit/test_fast_range.py compares it with SecantusDB's matcher on documents and filters of
every kind.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

_ABSENT: Any = object()
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
Plan = tuple[str, tuple[tuple[Callable[[Any, Any], bool], str], ...]]
_original: Callable[..., bool] | None = None
# the last filter planned and its plan: a find checks one filter object on every document
# (held here, so its identity is not reused while cached)
_last: tuple[Any, Plan | None] = (None, None)


def range_plan(query: Any) -> Plan | None:
    """(field, ((comparison, bound), ...)) when `query` is one top-level field with plain
    string bounds only, else None."""
    if type(query) is not dict or len(query) != 1:
        return None
    ((field, condition),) = query.items()
    if (type(field) is not str or not field or field.startswith("$") or "." in field
            or type(condition) is not dict or not condition):
        return None
    bounds = []
    for op, bound in condition.items():
        if op not in _OPS or type(bound) is not str:
            return None
        bounds.append((_OPS[op], bound))
    return field, tuple(bounds)


def matches(doc: Any, query: Any, *, vars: dict[str, Any] | None = None,
            collation: Any = None) -> bool:
    """SecantusDB's `matches`, with a plain string against a string range compared here."""
    global _last
    original = _original
    assert original is not None, "fast_range.install() first"
    if collation is None and type(doc) is dict:
        seen, plan = _last
        if seen is not query:
            plan = range_plan(query)
            _last = (query, plan)
        if plan is not None:
            field, bounds = plan
            value = doc.get(field, _ABSENT)
            if type(value) is str:
                return all(compare(value, bound) for compare, bound in bounds)
    return original(doc, query, vars=vars, collation=collation)


def install() -> None:
    """Check string ranges here in SecantusDB's finds (this process only; idempotent)."""
    global _original
    from secantus import storage

    if _original is None:
        _original = storage.matches
    storage.matches = matches
