"""Referential consistency of the clean model, read back from the files.

Only rows that the defect injection broke on purpose (documented in the manifest) may fail a
rule, and the rules below skip exactly those (invalid dates, junk customer rows).
"""

from __future__ import annotations

from pathlib import Path

from genfiles import connect, scalar, valid_events

VALID_ORDER_DATE = "regexp_full_match(coalesce(sls_order_dt, ''), '[0-9]{8}')"


def test_every_sale_has_a_customer_and_a_valid_product_version(small_extract: Path) -> None:
    con = connect(small_extract)
    assert scalar(con, "select count(*) from sales where sls_cust_id not in "
                       "(select cst_id from cust_info where cst_id is not null)") == 0
    assert scalar(con, "select count(*) from sales where sls_prd_key not in "
                       "(select substr(prd_key, 7) from prd_info)") == 0
    assert scalar(con, f"""
        select count(*) from sales s where {VALID_ORDER_DATE} and not exists (
            select 1 from prd_info p where substr(p.prd_key, 7) = s.sls_prd_key
              and strptime(p.prd_start_dt, '%Y-%m-%d') <= strptime(s.sls_order_dt, '%Y%m%d'))
    """) == 0
    assert scalar(con, "select count(*) - count(distinct (sls_ord_num, sls_prd_key)) "
                       "from sales") == 0
    assert scalar(con, "select count(*) from (select sls_ord_num from sales group by 1 "
                       "having count(distinct sls_cust_id) > 1)") == 0


def test_categories_and_versions(small_extract: Path) -> None:
    con = connect(small_extract)
    assert scalar(con, "select count(*) from px_cat") == 37
    assert scalar(con, "select count(distinct CAT) from px_cat") == 4
    assert scalar(con, "select count(*) from prd_info where replace(substr(prd_key, 1, 5), "
                       "'-', '_') not in (select ID from px_cat)") == 0
    assert scalar(con, "select count(distinct prd_id) from prd_info") == scalar(
        con, "select count(*) from prd_info")
    # Prices rise from version to version (sales prices are the versions' prices).
    assert scalar(con, """
        select count(*) from (
            select s.sls_prd_key, strptime(s.sls_order_dt, '%Y%m%d') as day,
                   abs(cast(s.sls_price as integer)) as price
            from sales s where cast(s.sls_price as integer) <> 0 and s.sls_order_dt like '20%'
              and length(s.sls_order_dt) = 8) a
        join (select sls_prd_key, strptime(sls_order_dt, '%Y%m%d') as day,
                     abs(cast(sls_price as integer)) as price
              from sales where cast(sls_price as integer) <> 0 and sls_order_dt like '20%'
                and length(sls_order_dt) = 8) b
          on a.sls_prd_key = b.sls_prd_key and a.day < b.day and a.price > b.price
    """) == 0


def test_customers_erp_and_partial_rows(small_extract: Path) -> None:
    con = connect(small_extract)
    crm_keys = "(select cst_key from cust_info where cst_id is not null)"
    assert scalar(con, f"select count(*) from cust_az12 where "
                       f"regexp_replace(CID, '^NAS', '') not in {crm_keys}") == 0
    assert scalar(con, f"select count(*) from loc_a101 where replace(CID, '-', '') "
                       f"not in {crm_keys}") == 0
    assert scalar(con, "select count(*) from cust_az12") == scalar(
        con, "select count(distinct cst_id) from cust_info")
    # A repeated cst_id: the complete row has the strictly latest create date.
    assert scalar(con, """
        select count(*) from (
            select cst_id, max(cst_create_date) filter (where cst_lastname is null) as partial,
                   max(cst_create_date) filter (where cst_lastname is not null) as complete
            from cust_info where cst_id is not null group by 1 having count(*) > 1)
        where partial >= complete or complete is null
    """) == 0


def test_orders_dates_and_returns(small_extract: Path) -> None:
    con = connect(small_extract)
    clean = f"{VALID_ORDER_DATE} and sls_ship_dt > sls_order_dt and sls_due_dt > sls_order_dt"
    lags = con.execute(f"""
        select min(d_ship), max(d_ship), avg(d_ship), min(d_due), max(d_due) from (
            select date_diff('day', strptime(sls_order_dt, '%Y%m%d'),
                             strptime(sls_ship_dt, '%Y%m%d')) as d_ship,
                   date_diff('day', strptime(sls_order_dt, '%Y%m%d'),
                             strptime(sls_due_dt, '%Y%m%d')) as d_due
            from sales where {clean} and length(sls_ship_dt) = 8)
    """).fetchone()
    assert lags[0] >= 4 and lags[1] <= 10 and 6 < lags[2] < 8 and lags[3] == lags[4] == 12
    assert scalar(con, f"select min(sls_order_dt) >= '20230101' and max(sls_order_dt) <= "
                       f"'20251231' from sales where {VALID_ORDER_DATE}")
    bad_returns = scalar(con, f"""
        select count(*) from returns r left join sales s
          on s.sls_ord_num = r.ORD_NUM and s.sls_prd_key = r.PRD_KEY
        where s.sls_ord_num is null
           or cast(r.RET_QTY as integer) > cast(s.sls_quantity as integer)
           or cast(r.RET_QTY as integer) < 1
           or ({clean} and length(sls_ship_dt) = 8
               and strptime(r.RET_DT, '%Y-%m-%d') <= strptime(s.sls_ship_dt, '%Y%m%d'))
    """)
    assert bad_returns == 0
    share = scalar(con, "select (select count(*) from returns) / count(*) from sales")
    assert 0.01 < share < 0.06


def test_online_orders_have_exactly_one_purchase_session(small_extract: Path) -> None:
    con = connect(small_extract)
    orders = {row[0] for row in con.execute("select distinct sls_ord_num from sales").fetchall()}
    customer_of = dict(con.execute("select distinct sls_ord_num, cast(sls_cust_id as integer) "
                                   "from sales").fetchall())
    order_date = dict(con.execute("select sls_ord_num, max(sls_order_dt) from sales "
                                  "group by 1 having count(distinct sls_order_dt) = 1").fetchall())
    events = valid_events(small_extract)
    purchases = [e for e in events if e["event_type"] == "purchase"]
    assert len({e["order_number"] for e in purchases}) == len(purchases)
    assert {e["order_number"] for e in purchases} <= orders
    assert all(e["customer_id"] == customer_of[e["order_number"]] for e in purchases)
    by_session: dict[str, list[dict]] = {}
    for e in events:
        by_session.setdefault(e["session_id"], []).append(e)
    for e in purchases:
        session = sorted(by_session[e["session_id"]], key=lambda x: x["ts"])
        assert session[-1] is e or session[-1]["ts"] == e["ts"]
        paid = [x for x in session if x["event_type"] == "payment_attempt"]
        assert paid and paid[-1]["payment_status"] == "success"
        order_day = order_date.get(e["order_number"], "")
        if len(order_day) == 8:  # (a date defect may have garbled the written order date)
            assert e["ts"][:10].replace("-", "") == order_day
    anonymous = [e for e in events if e["customer_id"] is None]
    assert anonymous and all(e["event_type"] != "purchase" for e in anonymous)
    failed = sum(e.get("payment_status") == "failed" for e in events)
    attempts = sum(e["event_type"] == "payment_attempt" for e in events)
    assert 0.1 < failed / attempts < 0.35
