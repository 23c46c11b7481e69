"""One line of `events.jsonl` -> one event document, by silver's rules (`base_web__events`).

Rejected (counted by kind): not valid JSON (`malformed`); valid JSON without an event_id, e.g.
not an object (`missing_event_id`); an event type outside the six known ones after trim and
lower-casing (`unknown_event_type`). Fields are read as bronze reads them (a repeated key keeps
its first value, a nested value is its JSON text) and cleaned as silver cleans them: text trimmed
(blank -> null), customer_id a 32-bit integer or null, `ts` an aware UTC datetime (BSON date,
millisecond precision) or null when unreadable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EVENT_TYPES = frozenset(
    {"page_view", "product_view", "add_to_cart", "checkout_start", "payment_attempt", "purchase"}
)
TEXT_FIELDS = ("session_id", "product_key", "order_number", "device", "page_url")


class Rejected(Exception):
    """A line silver rejects; `kind` names the SyncResult counter it goes to."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys keep their FIRST value, as bronze's `json_transform`."""
    record: dict[str, Any] = {}
    for key, value in pairs:
        record.setdefault(key, value)
    return record


def _text(value: Any) -> str | None:
    """As silver's `clean_text` over bronze's text: trimmed, None when absent or blank; a nested
    object or list is its compact JSON text (bronze extracts every field as JSON text)."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return str(value).strip(" ") or None  # DuckDB's trim() removes spaces only


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_BASES = ((re.compile(r"0[xX][0-9a-fA-F]+", re.ASCII), 16), (re.compile(r"0[bB][01]+"), 2))
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _integer(value: Any) -> int | None:
    """As silver's `parse_integer` (DuckDB `try_cast(... as integer)`): a 32-bit integer or None.

    DuckDB reads decimals and exponents rounded half away from zero ('12.5' -> 13, '1e2' ->
    100), `0x`/`0b` literals and `_` digit separators; anything else is None.
    """
    text = _text(value)
    if text is None:
        return None
    for pattern, base in _BASES:
        if pattern.fullmatch(text):
            number = int(text, base)
            return number if number <= _INT_MAX else None
    if not _DECIMAL.fullmatch(text):
        return None
    rounded = Decimal(text.replace("_", "")).to_integral_value(rounding=ROUND_HALF_UP)
    return int(rounded) if _INT_MIN <= rounded <= _INT_MAX else None


def _lower(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text is not None else None


def _timestamp(value: Any) -> dt.datetime | None:
    """ISO 8601 with offset -> aware UTC datetime (BSON date); naive is read as UTC."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=parsed.microsecond // 1000 * 1000)


def parse_event(line: bytes | str, batch_id: str, line_number: int) -> dict[str, Any]:
    """One JSONL line (bronze `_raw_line`) -> the event document; raises `Rejected`."""
    try:
        record = json.loads(line, object_pairs_hook=_first_wins)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected("malformed", f"malformed JSON line ({exc})") from None
    if not isinstance(record, dict):  # valid JSON, but no fields: silver finds no event_id
        raise Rejected("missing_event_id", "event without an event_id (not a JSON object)")
    event_id = _text(record.get("event_id"))
    if not event_id:
        raise Rejected("missing_event_id", "event without an event_id")
    event_type = _lower(record.get("event_type"))
    if event_type not in EVENT_TYPES:
        raise Rejected("unknown_event_type", f"unknown event type {record.get('event_type')!r}")
    document: dict[str, Any] = {"_id": event_id}
    document.update({name: _text(record.get(name)) for name in TEXT_FIELDS})
    document["event_type"] = event_type
    document["payment_status"] = _lower(record.get("payment_status"))
    document["customer_id"] = _integer(record.get("customer_id"))
    document["ts"] = _timestamp(record.get("ts"))
    document["batch_id"] = batch_id
    document["source_line"] = line_number
    return document
