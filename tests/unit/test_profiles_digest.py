"""A profile's digest (`profiles._digested`) tells apart rows DuckDB's `hash` alone does not:
the same leaves in other lists, a null struct against one of nulls."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from retail.nosql.profiles import DIGEST, DOCUMENT_VERSION, _digested
from retail.nosql.profiles_sql import RECENT_ORDERS

_ROW = ("select 11000 as customer_id, {orders} as recent_orders, {segment} as segment,"
        " {kpi} as lifetime_kpi")
_SEGMENT = "struct_pack(tier := {tier}::varchar, score := {score}::integer)"
_NO_SEGMENT = "null::struct(tier varchar, score integer)"
_KPI = "struct_pack(orders := 2::bigint)"
_NO_KPI = "null::struct(orders bigint)"


def _orders(*lines: list[int]) -> str:
    """Orders of the given line amounts (a list per order)."""
    return "[" + ", ".join(f"struct_pack(lines := {list(amounts)}::integer[])"
                           for amounts in lines) + "]"


def _row(orders: str, segment: str = _NO_SEGMENT, kpi: str = _NO_KPI) -> str:
    return _ROW.format(orders=orders, segment=segment, kpi=kpi)


def _digest(query: str) -> str:
    with duckdb.connect() as con:
        ((digest,),) = con.execute(f"select {DIGEST} from ({_digested(query)})").fetchall()
    return digest


def _hash(query: str) -> Any:
    with duckdb.connect() as con:
        return con.execute(f"select hash(p) from ({query}) as p").fetchall()


@pytest.mark.parametrize(("one", "other"), [
    # no segment against a segment of nulls
    (_row(_orders([5])), _row(_orders([5]), _SEGMENT.format(tier="null", score="null"))),
    # no lifetime KPIs against KPIs of nulls
    (_row(_orders([5])), _row(_orders([5]), kpi="struct_pack(orders := null::bigint)")),
])
def test_rows_hash_alone_confuses_get_other_digests(one: str, other: str) -> None:
    assert _hash(one) == _hash(other)  # what the shape is there for
    assert _digest(one) != _digest(other)


@pytest.mark.parametrize(("one", "other"), [
    # one order of two lines against two orders of one line each
    (_row(_orders([5, 7])), _row(_orders([5], [7]))),
    # a line moved from the first order to the second
    (_row(_orders([5, 7], [9])), _row(_orders([5], [7, 9]))),
    # no orders against one order without lines
    (_row(_orders()), _row("[struct_pack(lines := []::integer[])]")),
])
def test_the_same_lines_in_other_orders_get_other_digests(one: str, other: str) -> None:
    assert _digest(one) != _digest(other)


def test_hash_alone_confuses_lists_in_lists() -> None:
    """Why the shape counts the lines of each order (DuckDB 2.0 tells these apart when the
    lists are in structs, as the orders' lines are, but nothing says it always will)."""
    assert _hash("select [[5], [7]] as recent_orders") == _hash("select [[5, 7]] as recent_orders")


def test_any_changed_value_changes_the_digest() -> None:
    base = _row(_orders([5, 7], [9]), _SEGMENT.format(tier="'gold'", score=3), _KPI)
    changed = [
        _row(_orders([5, 8], [9]), _SEGMENT.format(tier="'gold'", score=3), _KPI),
        _row(_orders([7, 5], [9]), _SEGMENT.format(tier="'gold'", score=3), _KPI),
        _row(_orders([5, 7], [9]), _SEGMENT.format(tier="'silver'", score=3), _KPI),
        _row(_orders([5, 7], [9]), _SEGMENT.format(tier="'gold'", score="null"), _KPI),
        _row(_orders([5, 7], [9]), _SEGMENT.format(tier="'gold'", score=3), _NO_KPI),
        base.replace("11000 as customer_id", "11001 as customer_id"),
    ]
    digests = {_digest(query) for query in [base, *changed]}
    assert len(digests) == len(changed) + 1


def test_a_missing_table_digests_as_no_row_in_it() -> None:
    """`profiles_query` gives an untyped null segment when gold has no segments table."""
    orders = _orders([5, 7], [9])
    assert _digest(_row(orders, "null", "null")) == _digest(_row(orders))


def test_the_digest_is_the_same_on_every_connection_and_names_its_version() -> None:
    row = _row(_orders([5, 7], [9]), _SEGMENT.format(tier="'gold'", score=3), _KPI)
    digest = _digest(row)
    assert _digest(row) == digest
    assert re.fullmatch(rf"{DOCUMENT_VERSION}:{RECENT_ORDERS}:[0-9a-f]{{32}}", digest)
