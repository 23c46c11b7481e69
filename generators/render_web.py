"""`source_web/events.jsonl` lines for one chunk of events, with the web's typical defects.

Keys are always present except `order_number` (only on `purchase`) and `payment_status`
(only on `payment_attempt`); `customer_id` and `product_key` are explicit nulls when empty.

Defects never remove or alter a true event (docs/architecture.md, "The raw extract"):
duplicated copies (same event_id) and malformed (truncated) copies follow their source line,
unknown event types are extra events next to a real one, and out-of-order swaps exchange two
neighbouring lines with different timestamps (each swap makes exactly one place where ts goes
backwards).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators import fixedwidth as fw
from generators.config import DefectRates
from generators.textout import Lines, text, to_lines
from generators.web import CHECKOUT, EVENT_TYPES, PURCHASE, Events, stable_argsort

MALFORMED_KEEP = 40  # a malformed copy stops inside its event_id
DEVICES = pa.array(["desktop", "mobile", "tablet"])
UNKNOWN_TYPES = pa.array(["wishlist_add", "search", "heartbeat", "newsletter_signup"])
_TYPES = pa.concat_arrays([pa.array(EVENT_TYPES), UNKNOWN_TYPES])
_STATUS_PIECES = pa.array([',"payment_status":"failed"', ',"payment_status":"success"', ""])
_PAGES = pa.array(["/checkout", "/checkout/payment", "/checkout/complete", "/",
                   "/shop/bikes", "/shop/components", "/shop/clothing", "/shop/accessories"])


def _grid(*axes: pa.Array) -> list[pa.Array]:
    """Every combination of the axes' values (the last axis varies fastest), one array each."""
    sizes = [len(a) for a in axes]
    codes = np.indices(sizes).reshape(len(axes), -1)
    return [axis.take(pa.array(code)) for axis, code in zip(axes, codes, strict=True)]


def _middle_table(product_numbers: pa.Array) -> pa.Array:
    """`,"event_type":"…","product_key":…[,"payment_status":"…"]` for every (type, product or
    none, status or none): one ready-made piece per event instead of five."""
    products = pa.concat_arrays([pc.binary_join_element_wise('"', product_numbers, '"', ""),
                                 pa.array(["null"])])
    types, prods, status = _grid(_TYPES, products, _STATUS_PIECES)
    return pc.binary_join_element_wise(',"event_type":"', types, '","product_key":', prods,
                                       status, "")


def _tail_table(product_numbers: pa.Array) -> pa.Array:
    """`","device":"…","page_url":"…"}\\n` for every (device, page or product page)."""
    urls = pa.concat_arrays([pc.binary_join_element_wise("/products/", product_numbers, ""),
                             _PAGES])
    devices, pages = _grid(DEVICES, urls)
    return pc.binary_join_element_wise('","device":"', devices, '","page_url":"', pages,
                                       '"}\n', "")


def event_lines(events: Events, event_ids: np.ndarray, product_numbers: pa.Array) -> pa.Array:
    """One JSON object per event; `etype` beyond the known types renders an unknown type.

    The fixed-width start (event_id, session_id) and `ts` are byte matrices; the pieces that
    depend on few values (type, product, status; device, page) come from small tables; so a
    line is joined from six pieces. Only purchases carry an `order_number` (an empty piece
    on every other line).
    """
    n, n_products = len(events.ts), len(product_numbers)
    has_product = events.product >= 0
    head = fw.strings(fw.concat(n, ['{"event_id":"', event_ids, '","session_id":"S',
                                    fw.range_digits(events.session, 10), '","customer_id":']))
    product = np.where(has_product, events.product, n_products)
    status = np.where(events.status >= 0, events.status, 2)
    middle = _middle_table(product_numbers).take(
        pa.array((events.etype * (n_products + 1) + product) * 3 + status))
    purchase = np.flatnonzero(events.order_seq >= 0)
    orders = fw.numbers_at(n, purchase, ',"order_number":"SO', events.order_seq[purchase], '"')
    ts = fw.strings(fw.concat(n, [',"ts":"', fw.iso_timestamps(events.ts)]))
    page = np.where((events.etype >= CHECKOUT) & (events.etype <= PURCHASE),
                    events.etype - CHECKOUT, 3 + events.session % (len(_PAGES) - 3))
    url = np.where(has_product, events.product, n_products + page)
    tail = _tail_table(product_numbers).take(
        pa.array(events.device * (n_products + len(_PAGES)) + url))
    return pc.binary_join_element_wise(
        head, text(events.customer, events.customer < 0, "null"), middle, orders, ts, tail, "")


def _subset(events: Events, idx: np.ndarray) -> Events:
    return Events(*(getattr(events, f)[idx] for f in Events.__dataclass_fields__))


def _swaps(rng: np.random.Generator, ts: np.ndarray, rate: float) -> np.ndarray:
    """Line order with neighbours swapped: i and i+1, i a multiple of 3 (swaps never touch),
    only where ts[i] < ts[i+1] so each swap is exactly one step back in time."""
    n = len(ts)
    cand = np.arange(0, max(n - 1, 0), 3)
    cand = cand[rng.random(len(cand)) < 3 * rate]
    cand = cand[ts[cand] < ts[cand + 1]]
    order = np.arange(n)
    order[cand], order[cand + 1] = cand + 1, cand
    return order


def web_lines(rng: np.random.Generator, events: Events, product_numbers: pa.Array,
              rates: DefectRates, defects: Counter) -> Lines:
    """All lines of the chunk: true events (with swaps) plus extra defective lines.

    Extra lines are placed right after their source line and share its timestamp.
    """
    n = len(events.ts)
    ids = fw.uuid4(rng, n)
    order = _swaps(rng, events.ts, rates.web_out_of_order)
    dup = np.flatnonzero(rng.random(n) < rates.web_duplicate)
    bad = np.flatnonzero(rng.random(n) < rates.web_malformed)
    unk = np.flatnonzero(rng.random(n) < rates.web_unknown_type)
    defects["web_out_of_order"] += int((order != np.arange(n)).sum() // 2)
    defects["web_duplicate"] += len(dup)
    defects["web_malformed"] += len(bad)
    defects["web_unknown_type"] += len(unk)

    where = np.empty(n, np.int64)
    where[order] = np.arange(n)
    position = np.concatenate([np.arange(n) * 4, where[dup] * 4 + 1, where[bad] * 4 + 2,
                               where[unk] * 4 + 3])
    perm = stable_argsort(position)
    src = np.concatenate([order, dup, bad, unk])[perm]
    kind = np.repeat(np.arange(4), [n, len(dup), len(bad), len(unk)])[perm]
    out = _subset(events, src)
    unknown = kind == 3
    if unknown.any():
        names = len(EVENT_TYPES) + rng.integers(0, len(UNKNOWN_TYPES), int(unknown.sum()))
        out.etype[unknown] = names
        out.status[unknown] = -1
        out.order_seq[unknown] = -1
    out_ids = ids[src]  # copies keep their source's event_id ...
    if unknown.any():
        out_ids[unknown] = fw.uuid4(rng, int(unknown.sum()))  # ... extra events get new ones
    lines = event_lines(out, out_ids, product_numbers)
    return to_lines(lines, cut=np.flatnonzero(kind == 2), keep=MALFORMED_KEEP)
