"""CRM `sales_details.csv` and ERP `RET_ORD_Q1.csv` rows for one chunk, with sales defects.

Every line gets at most one amount defect and at most one date defect, so each is counted
exactly once and every amount stays repairable (docs/architecture.md, "The raw extract"):
a blank/zero price only ever appears with a correct sales amount, and a wrong sales amount only
with a usable price.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators.config import DefectRates
from generators.sales import RETURN_REASONS, SalesChunk
from generators.textout import iso_date, text, yyyymmdd

SALES_HEADER = (
    "sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,"
    "sls_sales,sls_quantity,sls_price"
)
RETURNS_HEADER = "ORD_NUM,PRD_KEY,RET_DT,RET_QTY,REASON"
AMOUNT_DEFECTS = (
    "sales_blank", "sales_zero", "sales_negative", "sales_mismatch",
    "price_blank", "price_zero", "price_negative",
)
DATE_DEFECTS = (
    "order_date_zero", "order_date_bad", "ship_date_bad", "ship_before_order", "due_before_order",
)


def _pick_kind(rng: np.random.Generator, n: int, rates: list[float]) -> np.ndarray:
    """Per row, the index of the defect it gets, or len(rates) for none."""
    return np.searchsorted(np.cumsum(rates), rng.random(n), side="right")


def order_numbers(seq: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise("SO", text(seq), "")


def sales_columns(
    rng: np.random.Generator,
    chunk: SalesChunk,
    product_numbers: pa.Array,
    rates: DefectRates,
    defects: Counter,
) -> list[pa.Array | np.ndarray]:
    n = len(chunk.l_order)
    qty, price, sales = chunk.l_quantity, chunk.l_price, chunk.l_sales
    kind = _pick_kind(rng, n, [getattr(rates, k) for k in AMOUNT_DEFECTS])
    sales_out = np.select(
        [kind == 1, kind == 2, kind == 3],
        [0, -sales, sales + 1 + (rng.random(n) * price).astype(np.int64)],
        sales,
    )
    price_out = np.select([kind == 5, kind == 6], [0, -price], price)
    for i, name in enumerate(AMOUNT_DEFECTS):
        defects[f"crm_{name}"] += int((kind == i).sum())

    order_day = chunk.o_day[chunk.l_order]
    days = [order_day, chunk.o_ship[chunk.l_order], chunk.o_due[chunk.l_order]]
    dkind = _pick_kind(rng, n, [getattr(rates, k) for k in DATE_DEFECTS])
    short = rng.integers(1_000, 9_999_999, n)  # fewer than eight digits
    earlier_day = order_day - rng.integers(1, 30, n)
    bad = np.flatnonzero(dkind < len(DATE_DEFECTS))
    dates = [yyyymmdd(d[bad]) for d in days]
    k, short, earlier = dkind[bad], short[bad], yyyymmdd(earlier_day[bad])
    dates[0] = np.select([k == 0, k == 1], [0, short], dates[0])
    dates[1] = np.select([k == 2, k == 3], [short, earlier], dates[1])
    dates[2] = np.where(k == 4, earlier, dates[2])
    for i, name in enumerate(DATE_DEFECTS):
        defects[f"crm_{name}"] += int((dkind == i).sum())

    return [
        order_numbers(chunk.o_seq).take(pa.array(chunk.l_order)),
        product_numbers.take(pa.array(chunk.l_product)),
        chunk.o_customer[chunk.l_order],
        _date_fields(*days, bad, dates),
        text(sales_out, kind == 0),
        qty,
        text(price_out, kind == 4),
    ]


def _date_fields(order: np.ndarray, ship: np.ndarray, due: np.ndarray, bad: np.ndarray,
                 bad_dates: list[np.ndarray]) -> pa.Array:
    """`order,ship,due` as three YYYYMMDD fields in one piece per line: lines without a date
    defect take it from a table of every (order day, ship and due offset) of the chunk (a
    few hundred entries), the few defective lines (`bad`, with their dates) are joined
    apart. Three casts and two join inputs fewer for the whole chunk."""
    first = [int(order.min()), int((ship - order).min()), int((due - order).min())]
    spans = [int(order.max()) - first[0] + 1, int((ship - order).max()) - first[1] + 1,
             int((due - order).max()) - first[2] + 1]
    grid = np.indices(spans).reshape(3, -1)
    day = first[0] + grid[0]
    table = pc.binary_join_element_wise(
        text(yyyymmdd(day)), text(yyyymmdd(day + first[1] + grid[1])),
        text(yyyymmdd(day + first[2] + grid[2])), ",")
    key = ((order - first[0]) * spans[1] + ship - order - first[1]) * spans[2] \
        + due - order - first[2]
    fields = table.take(pa.array(key))
    if len(bad):
        mask = np.zeros(len(order), bool)
        mask[bad] = True
        fields = pc.replace_with_mask(fields, pa.array(mask), pc.binary_join_element_wise(
            *(text(d) for d in bad_dates), ","))
    return fields


def returns_columns(chunk: SalesChunk, product_numbers: pa.Array) -> list[pa.Array]:
    line = chunk.r_line
    return return_rows(chunk.o_seq[chunk.l_order[line]], chunk.l_product[line], chunk.r_day,
                       chunk.r_quantity, chunk.r_reason, product_numbers)


def return_rows(order_seq: np.ndarray, product: np.ndarray, day: np.ndarray,
                quantity: np.ndarray, reason: np.ndarray,
                product_numbers: pa.Array) -> list[pa.Array]:
    return [
        order_numbers(order_seq),
        product_numbers.take(pa.array(product)),
        iso_date(day),
        text(quantity),
        pa.array(RETURN_REASONS).take(pa.array(reason)),
    ]
