"""CRM `cust_info.csv` rows for a block of customers, with the CRM's typical defects.

Each customer has one complete row (the truth: its create date is the latest). Defects:
names padded with spaces, blank gender or marital status on the true row, an older partial
row for the same cst_id (earlier create date, blank gender/marital/last name), and junk rows
with a blank cst_id and a meaningless key. Counts go into `defects`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators.config import DefectRates
from generators.customers import Customers
from generators.textout import blanks, iso_date, text

CUST_INFO_HEADER = (
    "cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date"
)
PADDINGS = pa.array([" ", "  ", "   "])
_MARITAL = pa.array(["M", "S", ""])  # by index: cheaper than converting NumPy strings
_GENDER = pa.array(["F", "M", ""])


def pad_names(rng: np.random.Generator, names: pa.Array, rate: float) -> tuple[pa.Array, int]:
    """Leading or trailing spaces on a `rate` share of names."""
    hit = rng.random(len(names)) < rate
    n = int(hit.sum())
    if n == 0:
        return names, 0
    # Draws for every name (the stream stays the same), text only for the padded few.
    pad_index = rng.integers(0, len(PADDINGS), len(names))
    lead = rng.random(len(names)) < 0.5
    mask = pa.array(hit)
    pad, few = PADDINGS.take(pa.array(pad_index[hit])), names.filter(mask)
    padded = pc.if_else(
        pa.array(lead[hit]),
        pc.binary_join_element_wise(pad, few, ""),
        pc.binary_join_element_wise(few, pad, ""),
    )
    return pc.replace_with_mask(names, mask, padded), n


def junk_keys(rng: np.random.Generator, n: int) -> pa.Array:
    prefix = np.array(["SF", "PO", "XX", ""])[rng.integers(0, 4, n)]
    return pa.array(np.char.add(prefix, rng.integers(10, 99_999_999, n).astype(str)))


def cust_info_columns(
    rng: np.random.Generator,
    cust: Customers,
    create_day: np.ndarray,
    rates: DefectRates,
    defects: Counter,
    update_marital: bool = False,
) -> list[pa.Array]:
    """The rows of one block, in cst_id order with partial rows just before their true row:
    seven columns, or (with partial and junk rows) one column of whole lines without the
    newline, which `csv_lines` renders the same way.

    `update_marital` writes a new, complete version of existing customers (a follow-on
    batch): marital status becomes 'M' and no partial or junk rows are added.
    """
    n = len(cust.ids)
    first, spaced_first = pad_names(rng, cust.names(cust.first_pick), rates.name_spaces)
    last, spaced_last = pad_names(rng, cust.names(cust.last_pick), rates.name_spaces)
    defects["crm_name_spaces"] += spaced_first + spaced_last
    blank_gender = rng.random(n) < rates.blank_gender
    blank_marital = rng.random(n) < rates.blank_marital
    defects["crm_blank_gender"] += int(blank_gender.sum())
    defects["crm_blank_marital"] += int(blank_marital.sum())
    marital = np.full(n, "M") if update_marital else cust.marital
    ids, keys = cust.ids, cust.keys
    columns = [
        text(ids), keys, first, last,
        _MARITAL.take(pa.array(np.where(blank_marital, 2, marital == "S"))),
        _GENDER.take(pa.array(np.where(blank_gender, 2, cust.gender == "M"))),
        iso_date(create_day),
    ]
    if update_marital:
        return columns

    dup = np.flatnonzero(rng.random(n) < rates.partial_duplicate)
    n_junk = int(rng.binomial(n, rates.junk_row))
    defects["crm_partial_duplicate"] += len(dup)
    defects["crm_junk_row"] += n_junk
    blank = blanks(len(dup))
    dup_columns = [
        text(ids[dup]), keys.take(pa.array(dup)), cust.names(cust.first_pick[dup]), blank,
        blank, blank, iso_date(create_day[dup] - rng.integers(1, 365, len(dup))),
    ]
    junk_blank = blanks(n_junk)
    junk_columns = [junk_blank, junk_keys(rng, n_junk)] + [junk_blank] * 5
    position = np.concatenate([
        np.arange(n) * 4 + 2, dup * 4 + 1, rng.integers(0, n, n_junk) * 4 + 3,
    ])
    order = pa.array(np.argsort(position, kind="stable"))
    # Join each group's fields into line text first, then place the lines with one take
    # (placing seven columns one by one costs seven takes).
    groups = [pc.binary_join_element_wise(*group, ",")
              for group in (columns, dup_columns, junk_columns)]
    return [pa.concat_arrays(groups).take(order)]
