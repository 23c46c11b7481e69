"""A follow-on batch continues its parent: later days, new ids, cumulative truth."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

from genfiles import connect, parse_events, scalar
from test_gen_defects import count_csv_defects, count_web_defects
from test_gen_truth import recompute_truth

from generators import generate_followon


def test_period_and_ids_continue_without_overlap(small_extract: Path, followon: Path,
                                                 manifest_of) -> None:
    parent, child = manifest_of(small_extract), manifest_of(followon)
    first = date.fromisoformat(parent["period"]["last_day"]) + timedelta(days=1)
    assert child["period"] == {"first_day": str(first),
                               "last_day": str(first + timedelta(days=44))}
    assert child["batch"] == 1 and child["seed"] == parent["seed"]
    old, new = connect(small_extract), connect(followon)
    seq = "cast(substr(sls_ord_num, 3) as integer)"
    assert scalar(new, f"select min({seq}) from sales") == scalar(
        old, f"select max({seq}) from sales") + 1
    old_max_id = scalar(old, "select max(cast(cst_id as integer)) from cust_info")
    new_ids = new.execute("select distinct cast(cst_id as integer) from cust_info "
                          "where cst_id is not null").fetchall()
    updated = [i for (i,) in new_ids if i <= old_max_id]
    assert len(updated) == child["updated_customers"] > 0
    assert len(new_ids) - len(updated) == child["new_customers"] > 0
    assert min(i for (i,) in new_ids if i > old_max_id) == old_max_id + 1
    lo, hi = child["period"]["first_day"], child["period"]["last_day"]
    assert scalar(new, f"""select count(*) from cust_info where cast(cst_id as integer)
                           <= {old_max_id} and (cst_create_date < '{lo}'
                           or cst_create_date > '{hi}' or cst_marital_status <> 'M')""") == 0
    dates = new.execute("select min(sls_order_dt), max(sls_order_dt) from sales "
                        "where length(sls_order_dt) = 8").fetchone()
    assert lo.replace("-", "") <= dates[0] <= dates[1] <= hi.replace("-", "")
    events = parse_events(followon)[0]
    assert all(lo <= e["ts"][:10] <= hi for e in events)
    old_sessions = {e["session_id"] for e in parse_events(small_extract)[0]}
    assert old_sessions.isdisjoint(e["session_id"] for e in events)


def test_catalog_snapshot_keeps_old_versions_and_adds_new(small_extract: Path,
                                                         followon: Path, manifest_of) -> None:
    con = connect(small_extract, followon)
    old = connect(small_extract).execute("select * from prd_info order by prd_id").fetchall()
    new = connect(followon).execute("select * from prd_info order by prd_id").fetchall()
    assert len(new) == len(old) + manifest_of(followon)["new_product_versions"] > len(old)
    same = [a[:6] == b[:6] for a, b in zip(old, new, strict=False)]
    assert all(same), "a version keeps its id, key, name, cost, line and start date"
    lo = manifest_of(followon)["period"]["first_day"]
    added = new[len(old):]
    assert all(row[5] >= lo for row in added)
    assert scalar(con, "select count(distinct substr(prd_key, 7)) from prd_info") == 295


def test_truth_is_cumulative_and_matches_files(small_extract: Path, followon: Path,
                                              manifest_of) -> None:
    child = manifest_of(followon)
    assert recompute_truth(small_extract, followon) == child["truth"]
    assert recompute_truth(followon) == child["batch_truth"]
    found = {**count_csv_defects(followon), **count_web_defects(followon)}
    assert found == child["defects"]


def test_followon_is_deterministic_and_chains(small_extract: Path, followon: Path,
                                             tmp_path: Path, manifest_of) -> None:
    again = tmp_path / "again"
    generate_followon(small_extract, 45, again)
    for f in followon.rglob("*"):
        if f.is_file():
            twin = again / f.relative_to(followon)
            assert hashlib.sha256(f.read_bytes()).digest() == hashlib.sha256(
                twin.read_bytes()).digest(), f.name
    third = tmp_path / "third"
    generate_followon(followon, 10, third)
    assert manifest_of(third)["batch"] == 2
    assert recompute_truth(small_extract, followon, third) == manifest_of(third)["truth"]


def test_returns_land_in_the_batch_of_their_date(small_extract: Path, followon: Path,
                                                 manifest_of) -> None:
    both = connect(small_extract, followon)
    for extract in (small_extract, followon):
        period = manifest_of(extract)["period"]
        con = connect(extract)
        assert scalar(con, f"select count(*) from returns where RET_DT < '{period['first_day']}'"
                           f" or RET_DT > '{period['last_day']}'") == 0
        pending = manifest_of(extract)["state"]["pending_returns"]
        assert all(str(date(1970, 1, 1) + timedelta(days=p[2])) > period["last_day"]
                   for p in pending)
    # The follow-on returns some of its parent's orders; every return matches a sold line.
    carried = scalar(connect(followon), f"""select count(*) from returns where ORD_NUM in
        (select distinct sls_ord_num from read_csv('{small_extract}/source_crm/sales_details.csv',
         all_varchar=true))""")
    assert carried > 0
    assert scalar(both, "select count(*) from returns r left join sales s on "
                        "s.sls_ord_num = r.ORD_NUM and s.sls_prd_key = r.PRD_KEY "
                        "where s.sls_ord_num is null") == 0
