"""The manifest's truth equals a recomputation from the files with the documented repair rules.

The recomputation uses DuckDB SQL over the CSV files and `json` over the events, never the
generator's code, so it checks the files and the truth against each other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from genfiles import connect, scalar, valid_events

REPAIRED_SALES = """
    with typed as (
        select sls_ord_num, cast(sls_quantity as integer) as quantity,
               cast(sls_sales as decimal(18, 2)) as sales,
               cast(sls_price as decimal(18, 2)) as price
        from sales
    ),
    priced as (
        select *, case when price is not null and price <> 0 then abs(price)
                       else sales / quantity end as unit_price
        from typed
    )
    select *, case when sales is null or sales <= 0 or sales <> quantity * unit_price
                   then quantity * unit_price else sales end as sales_amount
    from priced
"""


def recompute_truth(*extracts: Path) -> dict[str, int]:
    con = connect(*extracts)
    con.execute(f"create view repaired as {REPAIRED_SALES}")
    events = [e for x in extracts for e in valid_events(x)]
    return {
        "order_lines": scalar(con, "select count(*) from sales"),
        "orders": scalar(con, "select count(distinct sls_ord_num) from sales"),
        "customers": scalar(con, "select count(distinct cst_id) from cust_info "
                                 "where cst_id is not null"),
        "current_products": scalar(con, "select count(distinct substr(prd_key, 7)) "
                                        "from prd_info"),
        "revenue": int(scalar(con, "select sum(sales_amount) from repaired")),
        "units": int(scalar(con, "select sum(quantity) from repaired")),
        "online_orders": len({e["order_number"] for e in events
                              if e["event_type"] == "purchase"}),
        "failed_payments": sum(1 for e in events if e["event_type"] == "payment_attempt"
                               and e.get("payment_status") == "failed"),
        "returned_units": int(scalar(con, "select coalesce(sum(cast(RET_QTY as integer)), 0) "
                                          "from returns")),
    }


@pytest.mark.parametrize("which", ["small_extract", "defective_extract"])
def test_truth_matches_the_files(which: str, request: pytest.FixtureRequest, manifest_of) -> None:
    extract = request.getfixturevalue(which)
    assert recompute_truth(extract) == manifest_of(extract)["truth"]


def test_repair_rules_leave_only_whole_amounts(defective_extract: Path) -> None:
    con = connect(defective_extract)
    con.execute(f"create view repaired as {REPAIRED_SALES}")
    assert scalar(con, "select count(*) from repaired where unit_price <= 0 "
                       "or unit_price <> round(unit_price) or sales_amount <= 0") == 0


def test_realistic_volumes_at_scale_one_twentieth(small_extract: Path, manifest_of) -> None:
    truth = manifest_of(small_extract)["truth"]
    assert truth["customers"] == round(18_500 * 0.05)
    assert truth["orders"] == round(27_700 * 0.05)
    assert 2.0 < truth["order_lines"] / truth["orders"] < 2.4
    assert 0.3 < truth["online_orders"] / truth["orders"] < 0.5
    assert truth["current_products"] == 295
