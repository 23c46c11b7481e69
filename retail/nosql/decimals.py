"""BSON Decimal128, the type money has in MongoDB, made and read fast.

A customer profile holds dozens of money values (lifetime figures, every recent order and
line), each turned into a `Decimal128` when the client encodes the profile and each decoded
again by the embedded server whenever it reads the document: when the insert arrives, and
once per index built over the collection. The driver's `Decimal128(Decimal)` tests the
significand bit by bit (~23 µs a value; packing the decimal's digits by hand, as this
platform did before, ~4.8 µs), and its `from_bid`, which the C decoder calls for every
Decimal128 it meets, checks its argument and goes through `__init__` (~1.2 µs). For 18,500
profiles that was 1.3 s of the client's encoding and ~1 s of the server's decoding.

- `decimal128(value)`: the same 16 bytes as the driver's `Decimal128(value)`, read from the
  decimal's text (`-12.50` is the significand -1250 and the exponent -2), cached per text,
  since the same prices and amounts recur across profiles. Anything the text shortcut does not
  cover (NaN, infinities, exponent notation, more than 34 digits) goes to the driver.
- `install_fast_from_bid()`: the embedded server's process (`embedded_process.py`) replaces
  `Decimal128.from_bid` with one that builds the value from its two 64-bit halves directly,
  after checking once that it gives what the driver's gives.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128

_EXPONENT_BIAS = 6176
_MAX_DIGITS = 34  # the significand of a Decimal128 holds at most 34 decimal digits
_LOW_64 = (1 << 64) - 1
_HALVES = struct.Struct("<QQ")  # BID: the low 64 bits, then the high 64 bits
CACHE_SIZE = 100_000  # distinct money texts kept; the cache starts over when full
_cache: dict[str, Decimal128] = {}
_driver_from_bid = Decimal128.from_bid
_new = object.__new__


def _built(low: int, high: int) -> Decimal128:
    """A Decimal128 from its halves without `from_bid`'s checks and `__init__` (its slots)."""
    value = _new(Decimal128)
    value._Decimal128__high = high  # type: ignore[attr-defined]
    value._Decimal128__low = low  # type: ignore[attr-defined]
    return value


def _slots_work() -> bool:
    """Whether this driver stores a Decimal128 as `__high`/`__low` as `_built` assumes."""
    sample = bytes(range(1, 17))
    try:
        return _built(*_HALVES.unpack(sample)).bid == _driver_from_bid(sample).bid
    except (AttributeError, TypeError):
        return False


_SLOTS = _slots_work()


def _from_halves(low: int, high: int) -> Decimal128:
    return _built(low, high) if _SLOTS else _driver_from_bid(_HALVES.pack(low, high))


def _parsed(text: str, value: Decimal) -> Decimal128:
    whole, _, fraction = text.partition(".")
    negative = whole.startswith("-")
    digits = whole.lstrip("-") + fraction
    if (not digits.isdigit() or len(digits.lstrip("0")) > _MAX_DIGITS
            or len(fraction) > _EXPONENT_BIAS):
        return Decimal128(value)  # NaN, infinities, exponent notation, too many digits
    significand = int(digits)
    high = (((_EXPONENT_BIAS - len(fraction)) << 49) | (significand >> 64)
            | (negative << 63))
    return _from_halves(significand & _LOW_64, high)


def decimal128(value: Decimal) -> Decimal128:
    """`Decimal128(value)`, bit for bit (the same exponent: 12.50 stays 12.50): ~0.3 µs for a
    text seen before, ~2 µs for a new one."""
    text = str(value)
    found = _cache.get(text)
    if found is None:
        found = _parsed(text, value)
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[text] = found
    return found


def _fast_from_bid(cls: type[Decimal128], value: Any) -> Decimal128:
    if cls is Decimal128 and type(value) is bytes and len(value) == 16:
        low, high = _HALVES.unpack(value)
        made = _new(Decimal128)  # `_built`, inlined: this runs once per money value read
        made._Decimal128__high = high  # type: ignore[attr-defined]
        made._Decimal128__low = low  # type: ignore[attr-defined]
        return made
    return _driver_from_bid.__func__(cls, value)  # type: ignore[attr-defined]


def install_fast_from_bid() -> bool:
    """Make the driver's C decoder build every Decimal128 it reads the fast way (for the
    embedded server's process, which decodes each profile's money on every read). Returns
    whether it did: not when this driver's Decimal128 is not laid out as `_built` assumes."""
    if _SLOTS:
        Decimal128.from_bid = classmethod(_fast_from_bid)  # type: ignore[method-assign, assignment]
    return _SLOTS
