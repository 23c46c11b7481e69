"""CRM `prd_info.csv` (one row per product version) and ERP `PX_CAT_G1V2.csv` rows.

prd_end_dt is written like the real CRM does: the day before the next version's start, but
often garbled to a day before the version's own start; the current version has none.
prd_line carries trailing spaces or blanks, and some costs are blank. Defects are hashed
from the prd_id, so a version looks the same in every batch's full catalog snapshot (only
the end date of a version that got a successor changes).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa

from generators.catalog import Catalog
from generators.categories import SUBCATEGORIES
from generators.config import DefectRates
from generators.rand import uniform
from generators.textout import iso_date, text

PRD_INFO_HEADER = "prd_id,prd_key,prd_nm,prd_cost,prd_line,prd_start_dt,prd_end_dt"
PX_CAT_HEADER = "ID,CAT,SUBCAT,MAINTENANCE"


def prd_info_columns(
    seed: int, catalog: Catalog, rates: DefectRates, defects: Counter
) -> list[pa.Array]:
    product, ids = catalog.v_product, catalog.v_id
    is_last = np.append(product[1:] != product[:-1], True)
    true_end = np.append(catalog.v_start[1:] - 1, 0)
    garbled = ~is_last & (uniform(seed, "end_before_start", ids) < rates.prd_end_before_start)
    days_back = 1 + (uniform(seed, "end_days_back", ids) * 400).astype(np.int64)
    end = np.where(garbled, catalog.v_start - days_back, true_end)
    line = catalog.line[product]
    spaced = uniform(seed, "prd_line_space", ids) < rates.prd_line_space
    blank_line = uniform(seed, "prd_line_blank", ids) < rates.prd_line_blank
    blank_cost = uniform(seed, "blank_cost", ids) < rates.prd_blank_cost
    defects["crm_prd_end_before_start"] += int(garbled.sum())
    defects["crm_prd_line_space"] += int((spaced & ~blank_line).sum())
    defects["crm_prd_line_blank"] += int(blank_line.sum())
    defects["crm_prd_blank_cost"] += int(blank_cost.sum())
    return [
        text(catalog.v_id),
        pa.array(catalog.prd_keys[product]),
        pa.array(catalog.name[product]),
        text(catalog.v_cost, blank_cost),
        text(np.where(spaced, np.char.add(line, " "), line), blank_line),
        iso_date(catalog.v_start),
        text(iso_date(end), is_last),
    ]


def px_cat_columns() -> list[pa.Array]:
    return [pa.array([getattr(s, field) for s in SUBCATEGORIES])
            for field in ("id", "category", "subcategory", "maintenance")]
