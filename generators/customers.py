"""Customers as pure functions of (seed, cst_id): country, names, gender, marital status, birthdate.

Faker is used once per locale to draw a small pool of names (with Faker's own frequencies);
each customer then picks from its country's pool by hash, so a customer of any batch can be
rebuilt from its id alone, and millions of customers cost a few vectorised NumPy operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators.config import COUNTRIES, LAST_DAY
from generators.rand import choose, uniform

POOL_SIZE = 400  # names drawn per locale and kind: enough variety, built in a fraction of a second


@dataclass(frozen=True)
class NamePools:
    """All names in one array; `offsets[country][kind]` and `sizes[...]` locate each pool."""

    names: np.ndarray
    offsets: np.ndarray  # shape (countries, 3): male first, female first, last
    sizes: np.ndarray


def _clean(name: str) -> str:
    return "".join(ch for ch in name if ch not in ',"\n\r').strip()


@lru_cache(maxsize=4)
def name_pools(seed: int) -> NamePools:
    """Draw `POOL_SIZE` male first, female first and last names per country locale."""
    from faker import Faker

    names: list[str] = []
    offsets = np.zeros((len(COUNTRIES), 3), dtype=np.int64)
    sizes = np.zeros((len(COUNTRIES), 3), dtype=np.int64)
    for c, (_, locale, _) in enumerate(COUNTRIES):
        fake = Faker(locale)
        fake.seed_instance(seed + c)
        for k, draw in enumerate((fake.first_name_male, fake.first_name_female, fake.last_name)):
            pool = [_clean(draw()) for _ in range(POOL_SIZE)]
            offsets[c, k], sizes[c, k] = len(names), len(pool)
            names.extend(pool)
    return NamePools(np.array(names), offsets, sizes)


@dataclass(frozen=True)
class Customers:
    """Attributes of a block of customers (arrays aligned with `ids`)."""

    ids: np.ndarray
    country: np.ndarray  # index into COUNTRIES
    gender: np.ndarray  # 'M' / 'F'
    marital: np.ndarray  # 'M' / 'S'
    first_name: np.ndarray
    last_name: np.ndarray
    birth_day: np.ndarray  # days since 1970-01-01

    @property
    def keys(self) -> pa.Array:
        """cst_key `AW000NNNNN`: `AW` and the id padded to eight digits."""
        padded = pc.utf8_lpad(pc.cast(pa.array(self.ids), pa.string()), 8, "0")
        return pc.binary_join_element_wise("AW", padded, "")


def order_weights(seed: int, ids: np.ndarray) -> np.ndarray:
    """How often each customer orders: Pareto-tailed (many one-time buyers, a few regulars)."""
    u = uniform(seed, "order_weight", ids)
    return (1.0 - u) ** (-1.0 / 1.6)


def customers_for(seed: int, ids: np.ndarray) -> Customers:
    pools = name_pools(seed)
    country = choose(uniform(seed, "country", ids), [share for _, _, share in COUNTRIES])
    female = uniform(seed, "gender", ids) < 0.5
    kind = female.astype(np.int64)
    pick = uniform(seed, "first_name", ids) * pools.sizes[country, kind]
    first = pools.names[pools.offsets[country, kind] + pick.astype(np.int64)]
    pick = uniform(seed, "last_name", ids) * pools.sizes[country, 2]
    last = pools.names[pools.offsets[country, 2] + pick.astype(np.int64)]
    age_days = 18 * 365 + (uniform(seed, "age", ids) * 62 * 365).astype(np.int64)
    last_day = int(np.datetime64(LAST_DAY, "D").astype(np.int64))
    return Customers(
        ids=ids,
        country=country,
        gender=np.where(female, "F", "M"),
        marital=np.where(uniform(seed, "marital", ids) < 0.55, "M", "S"),
        first_name=first,
        last_name=last,
        birth_day=last_day - age_days,
    )
