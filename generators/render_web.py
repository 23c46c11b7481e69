"""`source_web/events.jsonl` lines for one chunk of events, with the web's typical defects.

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
from generators.textout import join, text
from generators.web import EVENT_TYPES, PAGE, Events

DEVICES = pa.array(["desktop", "mobile", "tablet"])
UNKNOWN_TYPES = pa.array(["wishlist_add", "search", "heartbeat", "newsletter_signup"])
_TYPES = pa.array(EVENT_TYPES)
_STATUS = pa.array(["failed", "success"])
_PAGES = pa.array(["/", "/shop/bikes", "/shop/components", "/shop/clothing", "/shop/accessories"])
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint8).reshape(256, 2)
_UUID_LAYOUT = np.array([*range(0, 8), -1, *range(8, 12), -1, *range(12, 16), -1,
                         *range(16, 20), -1, *range(20, 32)])


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Random version-4 UUID strings, built as one byte matrix (no per-row formatting)."""
    raw = np.frombuffer(rng.bytes(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = _HEX[raw].reshape(n, 32)
    out = np.where(_UUID_LAYOUT >= 0, hexed[:, np.maximum(_UUID_LAYOUT, 0)], ord("-"))
    data = pa.py_buffer(out.astype(np.uint8).tobytes())
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * 36).tobytes())
    return pa.StringArray.from_buffers(n, offsets, data)


def _quoted(values: pa.Array) -> pa.Array:
    """`"value"`, or `null` where the value is null."""
    return pc.fill_null(pc.binary_join_element_wise('"', values, '"', ""), "null")


def _timestamps(ts: np.ndarray) -> pa.Array:
    plain = pc.cast(pa.array(ts, type=pa.timestamp("s")), pa.string())  # 2024-03-05 14:22:31
    return pc.binary_join_element_wise(
        pc.utf8_replace_slice(plain, 10, 11, "T"), "+00:00", "")


def event_lines(events: Events, event_ids: pa.Array, product_numbers: pa.Array,
                types: pa.Array | None = None) -> pa.Array:
    has_product = events.product >= 0
    product = product_numbers.take(pa.array(np.where(has_product, events.product, 0)))
    product = pc.if_else(pa.array(has_product), product, pa.scalar(None, pa.string()))
    session = pc.binary_join_element_wise(
        "S", pc.utf8_lpad(text(events.session), 10, "0"), "")
    order = pc.binary_join_element_wise("SO", text(events.order_seq, events.order_seq < 0), "")
    status = text(_STATUS.take(pa.array(np.maximum(events.status, 0))), events.status < 0)
    url = pc.if_else(
        pa.array(has_product),
        pc.binary_join_element_wise("/products/", product, ""),
        pc.if_else(pa.array(events.etype >= 3),
                   pa.array(np.array(["/checkout", "/checkout/payment", "/checkout/complete"])
                            [np.clip(events.etype - 3, 0, 2)]),
                   _PAGES.take(pa.array(events.session % len(_PAGES)))),
    )
    return join([
        '{"event_id":"', event_ids,
        '","session_id":"', session,
        '","customer_id":', pc.fill_null(text(events.customer, events.customer < 0), "null"),
        ',"event_type":"', types if types is not None else _TYPES.take(pa.array(events.etype)),
        '","product_key":', _quoted(product),
        ',"order_number":', _quoted(order),
        ',"payment_status":', _quoted(status),
        ',"ts":"', _timestamps(events.ts),
        '","device":"', DEVICES.take(pa.array(events.device)),
        '","page_url":"', url, '"}',
    ])


def _subset(events: Events, idx: np.ndarray) -> Events:
    return Events(*(getattr(events, f)[idx] for f in Events.__dataclass_fields__))


def web_lines(rng: np.random.Generator, events: Events, product_numbers: pa.Array,
              rates: DefectRates, defects: Counter) -> pa.Array:
    """All lines of the chunk: true events (with swaps) plus extra defective lines."""
    n = len(events.ts)
    ids = uuids(rng, n)
    lines = event_lines(events, ids, product_numbers)
    # Out-of-order: swap lines i and i+1 (i a multiple of 3, so swaps never touch).
    cand = np.arange(0, max(n - 1, 0), 3)
    cand = cand[(rng.random(len(cand)) < 3 * rates.web_out_of_order)]
    cand = cand[events.ts[cand] < events.ts[cand + 1]]
    order = np.arange(n)
    order[cand], order[cand + 1] = cand + 1, cand
    defects["web_out_of_order"] += len(cand)

    dup = np.flatnonzero(rng.random(n) < rates.web_duplicate)
    bad = np.flatnonzero(rng.random(n) < rates.web_malformed)
    unk = np.flatnonzero(rng.random(n) < rates.web_unknown_type)
    defects["web_duplicate"] += len(dup)
    defects["web_malformed"] += len(bad)
    defects["web_unknown_type"] += len(unk)
    cut = pc.utf8_slice_codeunits(lines.take(pa.array(bad)), 0, 40)  # mid event_id
    truncated = pc.binary_join_element_wise(cut, "\n", "")
    unknown_events = _subset(events, unk)
    unknown_events = Events(**{**unknown_events.__dict__,
                               "etype": np.zeros(len(unk), np.int64) + PAGE,
                               "status": np.full(len(unk), -1),
                               "order_seq": np.full(len(unk), -1)})
    unknown = event_lines(unknown_events, uuids(rng, len(unk)), product_numbers,
                          UNKNOWN_TYPES.take(pa.array(rng.integers(0, len(UNKNOWN_TYPES),
                                                                   len(unk)))))
    # Place each extra line right after its source line's (possibly swapped) position.
    where = np.empty(n, np.int64)
    where[order] = np.arange(n)
    position = np.concatenate([np.arange(n) * 4, where[dup] * 4 + 1, where[bad] * 4 + 2,
                               where[unk] * 4 + 3])
    every = pa.concat_arrays([lines.take(pa.array(order)), lines.take(pa.array(dup)),
                              truncated, unknown])
    return every.take(pa.array(np.argsort(position, kind="stable")))

