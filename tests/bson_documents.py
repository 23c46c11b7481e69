"""Hand-framed BSON documents, for the tests of the embedded server's patches: shapes the
driver's encoder never writes (an `_id` after other fields, types it does not encode,
malformed documents)."""

from __future__ import annotations

from typing import Any

import bson
from bson.raw_bson import RawBSONDocument


def framed(body: bytes) -> bytes:
    """A document of the elements `body` (its size and end byte around them; not checked)."""
    return (len(body) + 5).to_bytes(4, "little") + body + b"\x00"


def id_last(doc: dict[str, Any], _id: Any) -> RawBSONDocument:
    """`doc` with `_id` as its last field (the driver puts it first in a dict it encodes)."""
    return RawBSONDocument(framed(bson.encode(doc)[4:-1] + bson.encode({"_id": _id})[4:-1]))
