"""The product catalog: 295 product numbers with about 400 price/cost versions.

A product number (e.g. `FR-R92B-58`) belongs to one subcategory; each of its versions has its
own prd_id, start day, whole-number price and cost. Prices rise from one version to the next.
Every first version starts before the first extract, so a product sold on any day has a valid
version on that day. Days are integers: days since 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from generators.categories import COLORS, FRAME_SIZES, GRADES, SIZES, SUBCATEGORIES
from generators.config import FIRST_PRODUCT_ID
from generators.rand import stream


@dataclass(frozen=True)
class Catalog:
    """Products (index p) and their versions (index v, sorted by product then start day)."""

    number: np.ndarray  # str, per product
    name: np.ndarray  # str, per product
    subcat: np.ndarray  # int index into SUBCATEGORIES, per product
    line: np.ndarray  # one of M/R/S/T, per product
    popularity: np.ndarray  # float weight, per product
    v_product: np.ndarray  # int, per version
    v_id: np.ndarray  # prd_id, per version
    v_start: np.ndarray  # day, per version
    v_price: np.ndarray  # int64, per version
    v_cost: np.ndarray  # int64, per version

    @property
    def version_keys(self) -> np.ndarray:
        """Sortable key (product, start day): `searchsorted` finds the version valid on a day."""
        return self.v_product.astype(np.int64) * 1_000_000 + self.v_start

    def version_on(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the version of each product that is valid on each day."""
        keys = product.astype(np.int64) * 1_000_000 + day
        return np.searchsorted(self.version_keys, keys, side="right") - 1

    @property
    def prd_keys(self) -> np.ndarray:
        """`CO-RF-FR-R92B-58`: the category id with '-' plus the product number, per product."""
        cats = np.array([SUBCATEGORIES[i].id.replace("_", "-") for i in self.subcat])
        return np.char.add(np.char.add(cats, "-"), self.number)

    def with_versions(self, product: np.ndarray, start: np.ndarray, price: np.ndarray,
                      cost: np.ndarray) -> Catalog:
        """A catalog with extra versions appended (new prd_ids follow the highest one)."""
        ids = np.arange(len(product)) + int(self.v_id.max()) + 1
        cat = {
            "v_product": np.concatenate([self.v_product, product]),
            "v_id": np.concatenate([self.v_id, ids]),
            "v_start": np.concatenate([self.v_start, start]),
            "v_price": np.concatenate([self.v_price, price]),
            "v_cost": np.concatenate([self.v_cost, cost]),
        }
        order = np.lexsort((cat["v_start"], cat["v_product"]))
        return replace(self, **{k: v[order] for k, v in cat.items()})


def _product_names(rng: np.random.Generator) -> tuple[list[str], list[str], list[int], list[str]]:
    numbers: list[str] = []
    names: list[str] = []
    subcats: list[int] = []
    lines: list[str] = []
    models = rng.permutation(np.arange(100, 1000))
    model_i = 0
    for s, sub in enumerate(SUBCATEGORIES):
        sizes = FRAME_SIZES if sub.prefix == "FR" else SIZES.get(sub.category, ("",))
        per_model = min(len(sizes), 4) if sizes != ("",) else 1
        for j in range(sub.products):
            if j % per_model == 0:
                model, model_i = int(models[model_i]), model_i + 1
                color = COLORS[int(rng.integers(len(COLORS)))]
                line = sub.lines[int(rng.integers(len(sub.lines)))]
                grade = GRADES[int(rng.integers(len(GRADES)))]
                first = int(rng.integers(len(sizes) - per_model + 1))
            size = sizes[first + j % per_model]
            code = f"{sub.prefix}-{line}{model}{color[0]}"
            numbers.append(f"{code}-{size}" if size else code)
            stem = sub.subcategory.rstrip("s") if sub.category != "Bikes" else sub.subcategory[:-6]
            label = f"{grade} {stem}" if sub.category == "Components" else f"{stem}-{model}"
            names.append(f"{label} {color} {size}".rstrip())
            subcats.append(s)
            lines.append(line)
    return numbers, names, subcats, lines


def build_catalog(seed: int, first_day: int, last_day: int) -> Catalog:
    """The catalog at the start of the first extract (a pure function of the seed)."""
    rng = stream(seed, "catalog")
    numbers, names, subcats, lines = _product_names(rng)
    assert len(set(numbers)) == len(numbers), "product numbers must be unique"
    subcat = np.array(subcats)
    n = len(numbers)
    low = np.array([SUBCATEGORIES[s].price_low for s in subcat], dtype=np.float64)
    high = np.array([SUBCATEGORIES[s].price_high for s in subcat], dtype=np.float64)
    base_price = low + (high - low) * rng.random(n)
    sizes = np.bincount(subcat, minlength=len(SUBCATEGORIES))
    weight = np.array([SUBCATEGORIES[s].popularity for s in subcat]) / sizes[subcat]
    popularity = weight * rng.lognormal(0.0, 0.5, n)

    versions = 1 + (rng.random(n) < 0.28) + (rng.random(n) < 0.05)
    v_product = np.repeat(np.arange(n), versions)
    rank = np.arange(len(v_product)) - np.repeat(np.cumsum(versions) - versions, versions)
    first_start = first_day - rng.integers(30, 3 * 365, n)
    later = rng.integers(first_day + 10, last_day - 20, len(v_product))
    v_start = np.where(rank == 0, first_start[v_product], later)
    order = np.lexsort((v_start, v_product))
    v_start = v_start[order]
    for i in range(1, len(v_start)):  # two versions of one product never start on one day
        if v_product[i] == v_product[i - 1] and v_start[i] <= v_start[i - 1]:
            v_start[i] = v_start[i - 1] + 1
    growth = np.cumprod(np.where(rank == 0, 1.0, 1.0 + rng.uniform(0.03, 0.12, len(rank))))
    growth = growth / np.repeat(growth[rank == 0], versions)
    v_price = np.maximum(1, np.round(base_price[v_product] * growth)).astype(np.int64)
    v_cost = np.maximum(1, np.round(v_price * rng.uniform(0.45, 0.65, len(rank)))).astype(np.int64)
    return Catalog(
        number=np.array(numbers),
        name=np.array(names),
        subcat=subcat,
        line=np.array(lines),
        popularity=popularity,
        v_product=v_product,
        v_id=np.arange(len(v_product)) + FIRST_PRODUCT_ID,
        v_start=v_start,
        v_price=v_price,
        v_cost=v_cost,
    )
