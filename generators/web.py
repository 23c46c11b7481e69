"""The clean web-event model for one chunk: shopping sessions and their events, in time order.

Every online order gets one session: page views, a view and an add-to-cart per ordered
product, checkout, zero or more failed payment attempts, a successful one and a `purchase`
carrying the order number, all on the order day. Other sessions browse, view products
(often never bought), sometimes fill a cart and abandon it, sometimes fail to pay. Anonymous
sessions have no customer. Events come out sorted by timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.catalog import Catalog
from generators.config import BusinessRates
from generators.sales import SalesChunk

EVENT_TYPES = np.array(
    ["page_view", "product_view", "add_to_cart", "checkout_start", "payment_attempt", "purchase"]
)
PAGE, VIEW, CART, CHECKOUT, PAYMENT, PURCHASE = range(6)
MAX_FAILED_ATTEMPTS = 20  # keeps every session within its day
SESSION_START_LATEST = 18 * 3600
GAP_MAX_SECONDS = 240


@dataclass(frozen=True)
class Events:
    """One row per event (sorted by ts); -1 means none for customer, product, order, status."""

    session: np.ndarray  # global session number
    customer: np.ndarray
    etype: np.ndarray  # index into EVENT_TYPES
    product: np.ndarray  # catalog product index
    order_seq: np.ndarray
    status: np.ndarray  # 1 success, 0 failed, -1 not a payment
    ts: np.ndarray  # seconds since 1970-01-01 UTC
    device: np.ndarray  # index into DEVICES


def _within(group: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Position of each item inside its group (items sorted by group)."""
    starts = np.cumsum(counts) - counts
    return np.arange(len(group)) - starts[group]


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for non-negative int64 keys, computed as a plain sort
    of keys made unique by their position (several times faster than the stable merge sort;
    unique keys leave any sort algorithm, on any CPU, the same single answer)."""
    shift = max(len(keys), 1).bit_length()
    if len(keys) and (keys.min() < 0 or int(keys.max()) >= 1 << (62 - shift)):
        return np.argsort(keys, kind="stable")
    return np.argsort((keys << shift) + np.arange(len(keys)))


def build_events(
    rng: np.random.Generator,
    chunk: SalesChunk,
    first_session: int,
    customer_range: tuple[int, int],
    catalog: Catalog,
    product_cdf: np.ndarray,
    rates: BusinessRates,
) -> Events:
    online = np.flatnonzero(chunk.o_online)
    n_buy = len(online)
    n_browse = int(rng.poisson(n_buy * rates.browse_sessions_per_online_order))
    n = n_buy + n_browse
    lo, hi = np.searchsorted(chunk.l_order, online), np.searchsorted(chunk.l_order, online + 1)
    buy_lines = hi - lo

    browse_views = rng.poisson(1.5, n_browse)
    browse_cart = rng.binomial(browse_views, 0.35)
    browse_checkout = (browse_cart > 0) & (rng.random(n_browse) < 0.4)
    browse_fail = browse_checkout * (rng.random(n_browse) < 0.3) * (1 + rng.poisson(0.3, n_browse))
    fails = np.minimum(rng.geometric(1.0 - rates.payment_failure_rate, n_buy) - 1,
                       MAX_FAILED_ATTEMPTS)

    pages = 1 + rng.poisson(0.4, n)
    views = np.concatenate([buy_lines, browse_views])
    carts = np.concatenate([buy_lines, browse_cart])
    checkout = np.concatenate([np.ones(n_buy, bool), browse_checkout])
    failed = np.concatenate([fails, np.minimum(browse_fail, MAX_FAILED_ATTEMPTS)])
    bought = np.arange(n) < n_buy
    any_day = chunk.o_day[rng.integers(0, len(chunk.o_day), n_browse)]
    day = np.concatenate([chunk.o_day[online], any_day])
    anonymous = rng.random(n_browse) < rates.anonymous_share
    browser = np.where(anonymous, -1, rng.integers(*customer_range, n_browse))
    customer = np.concatenate([chunk.o_customer[online], browser])
    order_seq = np.concatenate([chunk.o_seq[online], np.full(n_browse, -1)])
    device = np.searchsorted([0.5, 0.9], rng.random(n), side="right")

    # Products viewed: the ordered lines, then random picks for browsing sessions.
    buy_idx = np.repeat(lo - np.cumsum(buy_lines) + buy_lines, buy_lines) + np.arange(
        buy_lines.sum())
    browse_products = np.searchsorted(
        product_cdf, rng.random(int(browse_views.sum())) * product_cdf[-1])
    v_product = np.concatenate([chunk.l_product[buy_idx], browse_products])
    v_session = np.repeat(np.arange(n), views)
    v_pos = _within(v_session, views)
    in_cart = v_pos < carts[v_session]

    s_ids = np.arange(n)
    base = pages + 2 * views
    parts = [  # (session, rank, type, product, status)
        (np.repeat(s_ids, pages), _within(np.repeat(s_ids, pages), pages), PAGE, -1, -1),
        (v_session, pages[v_session] + 2 * v_pos, VIEW, v_product, -1),
        (v_session[in_cart], (pages[v_session] + 2 * v_pos + 1)[in_cart], CART,
         v_product[in_cart], -1),
        (s_ids[checkout], base[checkout], CHECKOUT, -1, -1),
    ]
    fail_session = np.repeat(s_ids, failed)
    parts.append((fail_session, base[fail_session] + 1 + _within(fail_session, failed),
                  PAYMENT, -1, 0))
    paid = s_ids[bought]
    parts.append((paid, base[paid] + 1 + failed[paid], PAYMENT, -1, 1))
    parts.append((paid, base[paid] + 2 + failed[paid], PURCHASE, -1, -1))

    session = np.concatenate([p[0] for p in parts])
    rank = np.concatenate([p[1] for p in parts])
    etype = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    product = np.concatenate([np.broadcast_to(p[3], len(p[0])) for p in parts])
    status = np.concatenate([np.full(len(p[0]), p[4]) for p in parts])

    order = np.argsort(session.astype(np.int64) * 4096 + rank, kind="stable")
    session, etype, product, status = session[order], etype[order], product[order], status[order]
    gaps = np.minimum(5 + rng.exponential(40.0, len(session)), GAP_MAX_SECONDS).astype(np.int64)
    elapsed = np.cumsum(gaps)
    first = np.searchsorted(session, s_ids)
    start = day.astype(np.int64) * 86400 + rng.integers(0, SESSION_START_LATEST, n)
    ts = start[session] + elapsed - elapsed[first][session]

    by_time = stable_argsort(ts)
    session, etype, product, status, ts = (
        a[by_time] for a in (session, etype, product, status, ts)
    )
    return Events(
        session=session + first_session,
        customer=customer[session],
        etype=etype,
        product=product,
        order_seq=np.where(etype == PURCHASE, order_seq[session], -1),
        status=status,
        ts=ts,
        device=device[session],
    )
