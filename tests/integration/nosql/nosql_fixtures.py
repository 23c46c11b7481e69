"""Helpers for the MongoDB tests: settings under a tmp folder, JSONL input, a hand-made gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from retail.settings import Settings


def settings_under(root: Path, mongodb_uri: str | None = None) -> Settings:
    """Settings whose every path is under `root`; MongoDB is embedded unless a URI is given."""
    env = {
        "RETAIL_DUCKDB_PATH": str(root / "warehouse" / "retail.duckdb"),
        "RETAIL_RAW_DIR": str(root / "landing"),
        "RETAIL_EXPORT_DIR": str(root / "exports"),
        "RETAIL_DATA_DIR": str(root / "data"),
    }
    if mongodb_uri:
        env["MONGODB_URI"] = mongodb_uri
    return Settings.from_env(env)


def write_events(extract: Path, lines: list[Any]) -> Path:
    """Write `source_web/events.jsonl`: dicts become JSON, str/bytes lines are written as is."""
    path = extract / "source_web" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = [
        line if isinstance(line, bytes)
        else (line if isinstance(line, str) else json.dumps(line)).encode()
        for line in lines
    ]
    path.write_bytes(b"".join(line + b"\n" for line in encoded))
    return path


def event(event_id: str, event_type: str = "page_view", **fields: Any) -> dict[str, Any]:
    """A valid event record as the generator writes it."""
    record = {
        "event_id": event_id, "session_id": "s1", "customer_id": None, "event_type": event_type,
        "product_key": None, "order_number": None, "payment_status": None,
        "ts": "2024-03-01T10:00:00+00:00", "device": "desktop", "page_url": "/",
    }
    record.update(fields)
    return record
