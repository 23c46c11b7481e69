"""`source_web/events.jsonl` lines for one chunk of events, with the web's typical defects.

Keys are always present except `order_number` (only on `purchase`) and `payment_status`
(only on `payment_attempt`); `customer_id` and `product_key` are explicit nulls when empty.

Defects never remove or alter a true event (DESIGN.md): duplicated copies (same event_id)
and malformed (truncated) copies follow their source line, unknown event types are extra
events next to a real one, and out-of-order swaps exchange two neighbouring lines with
different timestamps (each swap makes exactly one place where ts goes backwards).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generators.config import DefectRates
from generators.textout import Lines, text, to_lines
from generators.web import CHECKOUT, EVENT_TYPES, PURCHASE, Events

MALFORMED_KEEP = 40  # a malformed copy stops inside its event_id
DEVICES = pa.array(["desktop", "mobile", "tablet"])
UNKNOWN_TYPES = pa.array(["wishlist_add", "search", "heartbeat", "newsletter_signup"])
_TYPES = pa.concat_arrays([pa.array(EVENT_TYPES), UNKNOWN_TYPES])
_TYPE_PIECES = pc.binary_join_element_wise(',"event_type":"', _TYPES, '","product_key":', "")
_STATUS_PIECES = pa.array([',"payment_status":"failed"', ',"payment_status":"success"', ""])
_DEVICE_PIECES = pc.binary_join_element_wise('","device":"', DEVICES, '","page_url":"', "")
_PAGES = pa.array(["/checkout", "/checkout/payment", "/checkout/complete", "/",
                   "/shop/bikes", "/shop/components", "/shop/clothing", "/shop/accessories"])


def uuid_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random version-4 UUIDs as an (n, 36) matrix of ASCII bytes (no per-row formatting)."""
    raw = np.frombuffer(rng.bytes(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.frombuffer(raw.tobytes().hex().encode(), np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), np.uint8)
    for dst, src, width in ((0, 0, 8), (9, 8, 4), (14, 12, 4), (19, 16, 4), (24, 20, 12)):
        out[:, dst:dst + width] = hexed[:, src:src + width]
    return out


def fixed_width_strings(matrix: np.ndarray) -> pa.Array:
    """One string per row of a byte matrix."""
    n, width = matrix.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(matrix.tobytes()))


def _timestamps(ts: np.ndarray) -> pa.Array:
    plain = pc.cast(pa.array(ts, type=pa.timestamp("s")), pa.string())  # 2024-03-05 14:22:31
    return pc.binary_join_element_wise(
        pc.utf8_replace_slice(plain, 10, 11, "T"), "+00:00", "")


def _session_pieces(events: Events) -> pa.Array:
    """`","session_id":"S…","customer_id":…` per event, built once per session."""
    sessions, first, inverse = np.unique(events.session, return_index=True, return_inverse=True)
    customer = events.customer[first]
    per_session = pc.binary_join_element_wise(
        '","session_id":"S', pc.utf8_lpad(text(sessions), 10, "0"), '","customer_id":',
        text(customer, customer < 0, "null"), "")
    return per_session.take(pa.array(inverse))


def _extra_pieces(events: Events) -> pa.Array:
    """`,"payment_status":"…"` on payment attempts, `,"order_number":"SO…"` on purchases,
    nothing on other events (the key is absent)."""
    extra = _STATUS_PIECES.take(pa.array(np.where(events.status >= 0, events.status, 2)))
    purchase = events.order_seq >= 0
    if purchase.any():
        orders = pc.binary_join_element_wise(
            ',"order_number":"SO', text(events.order_seq[purchase]), '"', "")
        extra = pc.replace_with_mask(extra, pa.array(purchase), orders)
    return extra


def event_lines(events: Events, event_ids: pa.Array, product_numbers: pa.Array) -> pa.Array:
    """One JSON object per event; `etype` beyond the known types renders an unknown type.

    Every piece that depends on few values (type, device, product, page) is taken from a small
    table of ready-made text, so each line is joined from a dozen pieces.
    """
    n_products = len(product_numbers)
    has_product = events.product >= 0
    quoted = pc.binary_join_element_wise('"', product_numbers, '"', "")
    product_pieces = pa.concat_arrays([quoted, pa.array(["null"])])
    urls = pa.concat_arrays([pc.binary_join_element_wise("/products/", product_numbers, ""),
                             _PAGES])
    page = np.where((events.etype >= CHECKOUT) & (events.etype <= PURCHASE),
                    events.etype - CHECKOUT, 3 + events.session % (len(_PAGES) - 3))
    return pc.binary_join_element_wise(
        '{"event_id":"', event_ids,
        _session_pieces(events),
        _TYPE_PIECES.take(pa.array(events.etype)),
        product_pieces.take(pa.array(np.where(has_product, events.product, n_products))),
        _extra_pieces(events),
        ',"ts":"', _timestamps(events.ts),
        _DEVICE_PIECES.take(pa.array(events.device)),
        urls.take(pa.array(np.where(has_product, events.product, n_products + page))),
        '"}\n', "",
    )


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
    ids = uuid_bytes(rng, n)
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
    perm = np.argsort(position, kind="stable")
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
        out_ids[unknown] = uuid_bytes(rng, int(unknown.sum()))  # ... extra events get new ones
    lines = event_lines(out, fixed_width_strings(out_ids), product_numbers)
    return to_lines(lines, cut=np.flatnonzero(kind == 2), keep=MALFORMED_KEEP)
