"""The `_id` key of an integer `_id`, encoded directly, in the embedded server's writes.

SecantusDB keys every stored document by its `_id`'s byte-sortable key (`storage._id_key`,
`sortkey.encode_id_key`): for a number, a sign byte, a biased decimal exponent, the significant
digits in pairs and a terminator, computed through Python's `Decimal` (~3 µs an integer). The
customer profiles' `_id` is gold's integer `customer_id`: at scale 10 that is 0.5 s of the
profiles server's inserts, on the MongoDB step's critical path.

For a plain `int` (not a bool) of up to 28 digits (those `Decimal` holds exactly), `id_key`
builds the same bytes from the integer's decimal digits; anything else (other types, zero's
fixed marker, longer integers, which SecantusDB's `Decimal` rounds) is SecantusDB's `_id_key`.

`install()` puts it in place of `storage._id_key` in the embedded server's own process only
(retail/nosql/embedded_process.py). tests/unit/test_fast_id_key.py compares the bytes with
SecantusDB's for integers of every size and sign, and the keys a real server stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NUMBER = 3  # sortkey.RANK_NUMBER
_POSITIVE, _NEGATIVE = 0xC0, 0x40  # sortkey._NUM_POS, _NUM_NEG
# SecantusDB goes through `Decimal` arithmetic, which rounds to the default context's 28
# digits: integers of up to 28 digits are exact there, longer ones are left to it
_EXACT_DIGITS = 28
_PAIRS = {f"{n:02d}": n + 1 for n in range(100)}  # two digits -> their byte
_original: Callable[[Any], bytes] | None = None


def encode_int(value: int) -> bytes | None:
    """SecantusDB's key bytes of the integer `value`, or None when SecantusDB's own encoding
    should say (zero, or more than 28 digits)."""
    if value == 0:
        return None
    text = str(-value if value < 0 else value)
    if len(text) > _EXACT_DIGITS:
        return None
    exponent = len(text) - 1 + 128
    digits = text.rstrip("0")
    if len(digits) % 2:
        digits += "0"
    pairs = range(0, len(digits), 2)
    if value > 0:
        return bytes([_NUMBER, _POSITIVE, exponent, *[_PAIRS[digits[i:i + 2]] for i in pairs],
                      0x00])
    return bytes([_NUMBER, _NEGATIVE, 0xFF - exponent,
                  *[0x64 - _PAIRS[digits[i:i + 2]] for i in pairs], 0xFF])


def id_key(doc_id: Any) -> bytes:
    """`storage._id_key`, integers encoded here."""
    if type(doc_id) is int:
        key = encode_int(doc_id)
        if key is not None:
            return key
    assert _original is not None, "fast_id_key.install() first"
    return _original(doc_id)


def install() -> None:
    """Encode integer `_id` keys here in SecantusDB's storage (this process only; idempotent)."""
    global _original
    from secantus import storage

    if _original is None:
        _original = storage._id_key
    storage._id_key = id_key
