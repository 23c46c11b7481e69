"""ERP rows: `CUST_AZ12.csv` (birthdate, gender) and `LOC_A101.csv` (country) per customer.

The ERP keys customers by the CRM cst_key, with its own habits: a `NAS` prefix on some CIDs,
a dash after `AW` in every location CID, country codes (US/USA/DE) or blanks instead of
names, birthdates in the future, and genders as M/F, blank, spaces or space-padded words.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators import fixedwidth as fw
from generators.config import COUNTRIES, DefectRates
from generators.customers import Customers
from generators.textout import iso_date, text

CUST_AZ12_HEADER = "CID,BDATE,GEN"
LOC_A101_HEADER = "CID,CNTRY"
COUNTRY_NAMES = np.array([name for name, _, _ in COUNTRIES])
_US = int(np.flatnonzero(COUNTRY_NAMES == "United States")[0])
_DE = int(np.flatnonzero(COUNTRY_NAMES == "Germany")[0])
_FUTURE_FIRST = int(np.datetime64("2040-01-01", "D").astype(np.int64))
_GENDER_VARIANTS = np.array(["short", "blank", "spaces", "padded"])
# GEN text per (gender F/M, variant short/blank/spaces/padded/none): indices, not string math.
_GEN_TEXT = pa.array(["F", "", "  ", "Female ", "Female", "M", "", "  ", "Male ", "Male"])
# CNTRY text: the full names, then the codes and a blank.
_CNTRY_TEXT = pa.array([*COUNTRY_NAMES, "US", "USA", "DE", ""])
_CODE_US, _CODE_USA, _CODE_DE, _CNTRY_BLANK = range(len(COUNTRY_NAMES), len(COUNTRY_NAMES) + 4)


def cust_az12_columns(
    rng: np.random.Generator, cust: Customers, rates: DefectRates, defects: Counter
) -> list[pa.Array]:
    n = len(cust.ids)
    keys = cust.keys
    nas = rng.random(n) < rates.nas_prefix
    cid = pc.if_else(pa.array(nas), pc.binary_join_element_wise("NAS", keys, ""), keys)
    future = rng.random(n) < rates.future_birthdate
    birth = np.where(future, _FUTURE_FIRST + rng.integers(0, 30 * 365, n), cust.birth_day)
    varied = rng.random(n) < rates.gender_variant
    variant = np.where(varied, rng.integers(0, len(_GENDER_VARIANTS), n), len(_GENDER_VARIANTS))
    male = cust.gender == "M"
    defects["erp_nas_prefix"] += int(nas.sum())
    defects["erp_future_birthdate"] += int(future.sum())
    defects["erp_gender_variant"] += int(varied.sum())
    gen_text = _GEN_TEXT.take(pa.array(male * (len(_GENDER_VARIANTS) + 1) + variant))
    return [cid, iso_date(birth), gen_text]


def loc_a101_columns(
    rng: np.random.Generator, cust: Customers, rates: DefectRates, defects: Counter
) -> list[pa.Array]:
    n = len(cust.ids)
    if n and cust.ids.max() >= 10 ** 8:  # wider than the padding: as they come
        cid = pc.binary_join_element_wise("AW-", pc.utf8_lpad(text(cust.ids), 8, "0"), "")
    else:
        cid = fw.strings(fw.concat(n, ["AW-", fw.digits(cust.ids, 8)]))
    coded = (rng.random(n) < rates.country_code) & np.isin(cust.country, [_US, _DE])
    blank = rng.random(n) < rates.country_blank
    code = np.where(cust.country == _US,
                    np.where(rng.random(n) < 0.5, _CODE_US, _CODE_USA), _CODE_DE)
    country = np.where(blank, _CNTRY_BLANK, np.where(coded, code, cust.country))
    defects["erp_loc_dash"] += n
    defects["erp_country_code"] += int((coded & ~blank).sum())
    defects["erp_country_blank"] += int(blank.sum())
    return [cid, _CNTRY_TEXT.take(pa.array(country))]
