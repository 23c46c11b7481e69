"""What one batch contains: its days, id ranges, volumes and catalog.

The first batch covers the fixed three years. A follow-on batch is planned from its parent's
manifest (`state`): it continues the calendar, customer ids, order numbers and session numbers
where the parent stopped, and adds a few product versions. Both are pure functions of their
inputs, so the same parent and day count always give the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.catalog import Catalog, build_catalog
from generators.config import (
    CUSTOMERS_AT_SCALE_1,
    FIRST_CUSTOMER_ID,
    FIRST_DAY,
    FIRST_ORDER_SEQ,
    LAST_DAY,
    ORDERS_AT_SCALE_1,
    GeneratorConfig,
)
from generators.rand import stream

FIRST_DAY_N = int(np.datetime64(FIRST_DAY, "D").astype(np.int64))
LAST_DAY_N = int(np.datetime64(LAST_DAY, "D").astype(np.int64))
BASE_DAYS = LAST_DAY_N - FIRST_DAY_N + 1
UPDATED_CUSTOMERS_PER_DAY = 0.0005  # share of existing customers who send a new version daily


@dataclass(frozen=True)
class BatchPlan:
    seed: int
    scale: float
    batch: int
    first_day: int  # days since 1970-01-01, inclusive
    last_day: int
    first_customer_id: int  # ids below are existing customers; from here on new ones
    new_customers: int
    updated_customers: int
    first_order_seq: int
    orders: int
    first_session: int
    catalog: Catalog
    added_versions: list[list[int]]  # every version added by follow-ons so far
    config: GeneratorConfig
    carried_returns: np.ndarray  # (k, 5) returns of earlier batches' orders, not yet written

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.first_day, self.last_day + 1)


def _count(per_scale_1: float, scale: float) -> int:
    return max(1, round(per_scale_1 * scale))


def first_plan(seed: int, scale: float, config: GeneratorConfig) -> BatchPlan:
    return BatchPlan(
        seed=seed, scale=scale, batch=0, first_day=FIRST_DAY_N, last_day=LAST_DAY_N,
        first_customer_id=FIRST_CUSTOMER_ID,
        new_customers=_count(CUSTOMERS_AT_SCALE_1, scale), updated_customers=0,
        first_order_seq=FIRST_ORDER_SEQ, orders=_count(ORDERS_AT_SCALE_1, scale),
        first_session=1, catalog=build_catalog(seed, FIRST_DAY_N, LAST_DAY_N),
        added_versions=[], config=config, carried_returns=np.zeros((0, 5), np.int64),
    )


def _add_versions(plan_rng: np.random.Generator, catalog: Catalog, first_day: int,
                  last_day: int, days: int) -> list[list[int]]:
    """A few new price/cost versions, starting inside the new period, with rising prices."""
    n_products = len(catalog.number)
    count = min(n_products, int(plan_rng.poisson(days / 30 * 3)))
    products = np.sort(plan_rng.choice(n_products, count, replace=False))
    current = np.searchsorted(catalog.v_product, products, side="right") - 1
    rise = plan_rng.uniform(1.03, 1.12, count)
    price = np.maximum(catalog.v_price[current] + 1, np.round(catalog.v_price[current] * rise))
    cost = np.maximum(1, np.round(catalog.v_cost[current] * rise))
    start = plan_rng.integers(first_day, last_day + 1, count)
    return [[int(p), int(s), int(pr), int(c)]
            for p, s, pr, c in zip(products, start, price, cost, strict=True)]


def apply_versions(catalog: Catalog, added: list[list[int]]) -> Catalog:
    if not added:
        return catalog
    cols = np.array(added, dtype=np.int64).T
    return catalog.with_versions(cols[0], cols[1], cols[2], cols[3])


def followon_plan(parent: dict, days: int) -> BatchPlan:
    """The batch after `parent` (a manifest), covering the next `days` days."""
    state = parent["state"]
    seed, scale, batch = parent["seed"], parent["scale"], parent["batch"] + 1
    first_day = state["last_day"] + 1
    last_day = first_day + days - 1
    catalog = apply_versions(build_catalog(seed, FIRST_DAY_N, LAST_DAY_N),
                             state["added_versions"])
    rng = stream(seed, "followon_plan", batch)
    added = _add_versions(rng, catalog, first_day, last_day, days)
    existing = state["next_customer_id"] - FIRST_CUSTOMER_ID
    growth = 1.0 + 0.25 * (first_day - FIRST_DAY_N) / 365.0  # the trend of `day_weights`
    return BatchPlan(
        seed=seed, scale=scale, batch=batch, first_day=first_day, last_day=last_day,
        first_customer_id=state["next_customer_id"],
        new_customers=_count(CUSTOMERS_AT_SCALE_1 * days / BASE_DAYS, scale),
        updated_customers=min(existing, round(existing * UPDATED_CUSTOMERS_PER_DAY * days)),
        first_order_seq=state["next_order_seq"],
        orders=_count(ORDERS_AT_SCALE_1 * days / BASE_DAYS * growth / 1.375, scale),
        first_session=state["next_session"],
        catalog=apply_versions(catalog, added),
        added_versions=state["added_versions"] + added,
        config=GeneratorConfig.from_dict(parent["config"]),
        carried_returns=np.array(state["pending_returns"], np.int64).reshape(-1, 5),
    )
