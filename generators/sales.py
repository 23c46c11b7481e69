"""The clean sales model: orders per day, order lines, prices, ship/due dates and returns.

A return dated after the batch's last day is not written: it is handed on (`r_late`) to the
follow-on batch whose days contain it, like a real extract that only holds what happened.

One call builds one chunk of consecutive days from its own random stream, so chunks are
independent (bounded memory, same bytes whatever else runs). The values here are the truth;
defects are applied only when rows are rendered (`generators.render_sales`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.catalog import Catalog
from generators.categories import SUBCATEGORIES
from generators.config import BusinessRates

EXTRA_LINES_MEAN = 1.22  # lines per order = 1 + Poisson(this), minus repeated products
RETURN_REASONS = np.array(
    ["Defective", "Wrong size", "Not as described", "Changed mind", "Damaged in transit",
     "Arrived late"]
)
_BIKE_SUBCATS = np.array([s.category == "Bikes" for s in SUBCATEGORIES])


@dataclass(frozen=True)
class SalesChunk:
    """Orders (o_*) and their lines (l_*, sorted by order then product) and returns (r_*)."""

    o_seq: np.ndarray  # order number without its `SO` prefix
    o_day: np.ndarray
    o_customer: np.ndarray  # cst_id
    o_online: np.ndarray  # bool
    o_ship: np.ndarray
    o_due: np.ndarray
    l_order: np.ndarray  # index into the o_* arrays
    l_product: np.ndarray  # index into catalog products
    l_quantity: np.ndarray
    l_price: np.ndarray  # whole currency units
    r_line: np.ndarray  # index into the l_* arrays
    r_day: np.ndarray
    r_quantity: np.ndarray
    r_reason: np.ndarray  # index into RETURN_REASONS
    r_late: np.ndarray  # (k, 5): order seq, product, day, quantity, reason of later returns

    @property
    def l_sales(self) -> np.ndarray:
        return self.l_quantity * self.l_price


def day_weights(days: np.ndarray) -> np.ndarray:
    """Relative order volume per day: growth over the years, busy Nov-Jan, quieter weekends."""
    dates = days.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    season = np.select([month == 12, (month == 11) | (month == 1)], [1.6, 1.3], 1.0)
    weekday = (days + 3) % 7  # 0 = Monday
    trend = 1.0 + 0.25 * (days - days[0]) / 365.0
    return season * trend * np.where(weekday >= 5, 0.85, 1.0)


def sorted_search(cdf: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`np.searchsorted(cdf, values)`, with the values looked up in ascending order: on a
    large table (one entry per customer) successive searches then hit cached memory, which
    is several times faster than random probes. Same result."""
    order = np.argsort(values)
    found = np.empty(len(values), np.int64)
    found[order] = np.searchsorted(cdf, values[order])
    return found


def build_sales_chunk(
    rng: np.random.Generator,
    days: np.ndarray,
    orders_per_day: np.ndarray,
    first_seq: int,
    first_customer_id: int,
    customer_cdf: np.ndarray,
    catalog: Catalog,
    product_cdf: np.ndarray,
    rates: BusinessRates,
    last_day: int,
) -> SalesChunk:
    n = int(orders_per_day.sum())
    o_day = np.repeat(days, orders_per_day)
    # customer_cdf[i] belongs to customer first_customer_id + i
    o_customer = first_customer_id + sorted_search(customer_cdf, rng.random(n) * customer_cdf[-1])
    o_online = rng.random(n) < rates.online_share
    o_ship = o_day + rng.choice(np.array([5, 6, 7, 7, 7, 7, 8, 9]), n)
    o_due = o_day + 12

    extra = rng.poisson(EXTRA_LINES_MEAN, n)
    draw_order = np.repeat(np.arange(n), 1 + extra)
    draw_product = np.searchsorted(product_cdf, rng.random(len(draw_order)) * product_cdf[-1])
    n_products = len(catalog.number)
    keys = np.sort(draw_order.astype(np.int64) * n_products + draw_product)
    unique = keys[np.append(True, keys[1:] != keys[:-1])]  # one line per (order, product)
    l_order, l_product = unique // n_products, unique % n_products
    is_bike = _BIKE_SUBCATS[catalog.subcat[l_product]]
    n_lines = len(l_order)
    l_quantity = np.where(
        is_bike, 1 + (rng.random(n_lines) < 0.05), 1 + rng.poisson(0.35, n_lines)
    ).astype(np.int64)
    version = catalog.version_on(l_product, o_day[l_order])
    l_price = catalog.v_price[version]

    returned = np.flatnonzero(rng.random(n_lines) < rates.return_rate)
    r_day = o_ship[l_order[returned]] + 1 + rng.integers(0, rates.return_window_days, len(returned))
    r_quantity = 1 + (rng.random(len(returned)) * l_quantity[returned]).astype(np.int64)
    r_reason = rng.integers(0, len(RETURN_REASONS), len(returned))
    keep = r_day <= last_day
    late = ~keep  # returned after this batch: the next batch will carry them
    r_late = np.stack([first_seq + l_order[returned[late]], l_product[returned[late]],
                       r_day[late], r_quantity[late], r_reason[late]], axis=1)
    return SalesChunk(
        o_seq=first_seq + np.arange(n, dtype=np.int64),
        o_day=o_day,
        o_customer=o_customer,
        o_online=o_online,
        o_ship=o_ship,
        o_due=o_due,
        l_order=l_order,
        l_product=l_product,
        l_quantity=l_quantity,
        l_price=l_price,
        r_line=returned[keep],
        r_day=r_day[keep],
        r_quantity=r_quantity[keep],
        r_reason=r_reason[keep],
        r_late=r_late.astype(np.int64),
    )
