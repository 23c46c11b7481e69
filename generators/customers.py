"""Customers as pure functions of (seed, cst_id): country, names, gender, marital status, birthdate.

Faker supplies the names: its person provider of each country's locale, with its weights
(en_AU and en_CA fall back to Faker's en_US names). Each customer picks from its country's
pools by hash, so a customer of any batch can be rebuilt from its id alone, and millions of
customers cost a few vectorised NumPy operations. The names depend on the Faker version
(pinned in constraints.txt), not on any random state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators import fixedwidth as fw
from generators.config import COUNTRIES, LAST_DAY
from generators.rand import choose, uniform

KINDS = ("first_names_male", "first_names_female", "last_names")


@dataclass(frozen=True)
class NamePools:
    """Every locale's names in one array, with one cumulative-weight table for all pools.

    Pool p (= country * 3 + kind) owns the names whose `cdf` values lie in (p, p + 1], so a
    customer's name is `names[searchsorted(cdf, p + u)]` for a uniform u: one vectorised
    lookup for millions of customers, with each name as frequent as Faker weights it.
    """

    names: np.ndarray
    cdf: np.ndarray

    @cached_property
    def text(self) -> pa.Array:
        """`names` as Arrow strings: rows are rendered by index, with no NumPy strings."""
        return pa.array(self.names, pa.string())


def _clean(name: str) -> str:
    return "".join(ch for ch in name if ch not in ',"\n\r').strip()


@lru_cache(maxsize=1)
def name_pools() -> NamePools:
    """Names and weights from Faker's person provider of each country's locale."""
    from faker import Faker

    names: list[str] = []
    cdfs: list[np.ndarray] = []
    for c, (_, locale, _) in enumerate(COUNTRIES):
        fake = Faker(locale, providers=["faker.providers.person"])
        provider = next(p for p in fake.get_providers() if hasattr(p, "first_names_male"))
        for k, attr in enumerate(KINDS):
            data = getattr(provider, attr)
            pool = list(data)
            weights = np.array([float(data[n]) for n in pool] if isinstance(data, dict)
                               else np.ones(len(pool)))
            names.extend(_clean(n) for n in pool)
            cumulative = np.cumsum(weights) / weights.sum()
            cumulative[-1] = 1.0
            cdfs.append(c * len(KINDS) + k + cumulative)
    return NamePools(np.array(names), np.concatenate(cdfs))


def _pick(pools: NamePools, pool: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indexes into `pools.names` for uniform values `u` in [0, 1), each from its own pool."""
    return np.searchsorted(pools.cdf, pool + np.minimum(u, 1 - 1e-9), side="right")


@dataclass(frozen=True)
class Customers:
    """Attributes of a block of customers (arrays aligned with `ids`)."""

    ids: np.ndarray
    country: np.ndarray  # index into COUNTRIES
    gender: np.ndarray  # 'M' / 'F'
    marital: np.ndarray  # 'M' / 'S'
    first_pick: np.ndarray  # index into the name pools
    last_pick: np.ndarray
    birth_day: np.ndarray  # days since 1970-01-01

    @property
    def first_name(self) -> np.ndarray:
        return name_pools().names[self.first_pick]

    @property
    def last_name(self) -> np.ndarray:
        return name_pools().names[self.last_pick]

    def names(self, pick: np.ndarray) -> pa.Array:
        """Arrow strings of the names at `pick` (`first_pick` or `last_pick`, or part of it)."""
        return name_pools().text.take(pa.array(pick))

    @cached_property
    def keys(self) -> pa.Array:
        """cst_key `AW000NNNNN`: `AW` and the id padded to eight digits (CRM and ERP both
        use it, so it is built once)."""
        if len(self.ids) and self.ids.max() >= 10 ** 8:  # wider than the padding: as they come
            padded = pc.utf8_lpad(pc.cast(pa.array(self.ids), pa.string()), 8, "0")
            return pc.binary_join_element_wise("AW", padded, "")
        return fw.strings(fw.concat(len(self.ids), ["AW", fw.digits(self.ids, 8)]))


def order_weights(seed: int, ids: np.ndarray) -> np.ndarray:
    """How often each customer orders: Pareto-tailed (many one-time buyers, a few regulars)."""
    u = uniform(seed, "order_weight", ids)
    return (1.0 - u) ** (-1.0 / 1.6)


def customers_for(seed: int, ids: np.ndarray) -> Customers:
    pools = name_pools()
    country = choose(uniform(seed, "country", ids), [share for _, _, share in COUNTRIES])
    female = uniform(seed, "gender", ids) < 0.5
    first = _pick(pools, country * len(KINDS) + female, uniform(seed, "first_name", ids))
    last = _pick(pools, country * len(KINDS) + 2, uniform(seed, "last_name", ids))
    age_days = 18 * 365 + (uniform(seed, "age", ids) * 62 * 365).astype(np.int64)
    last_day = int(np.datetime64(LAST_DAY, "D").astype(np.int64))
    return Customers(
        ids=ids,
        country=country,
        gender=np.where(female, "F", "M"),
        marital=np.where(uniform(seed, "marital", ids) < 0.55, "M", "S"),
        first_pick=first,
        last_pick=last,
        birth_day=last_day - age_days,
    )
