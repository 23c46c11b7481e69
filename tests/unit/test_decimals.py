"""Money as BSON Decimal128, made and read the fast way: the same bytes as the driver's own."""

from __future__ import annotations

from decimal import Decimal

import bson
import pytest
from bson.decimal128 import Decimal128

from retail.nosql import decimals
from retail.nosql.decimals import decimal128, install_fast_from_bid

TEXTS = [
    "0", "-0", "0.00", "-0.00", "0E-8", "256.25", "-12.3450", "1E+5", "1.000E+3", "-0.0001",
    "0.0000001", "9" * 34, "123456789012345678901234567890.1234", "0.000" + "9" * 34,
    "1E-6176", "1E+6111", "1E+6120", "NaN", "-Infinity", "sNaN",
]


@pytest.mark.parametrize("text", TEXTS)
def test_decimal128_is_the_drivers_encoding(text: str) -> None:
    """Written twice (the second from the cache): the same 16 bytes as `Decimal128(value)`."""
    expected = Decimal128(Decimal(text)).bid
    assert decimal128(Decimal(text)).bid == expected
    assert decimal128(Decimal(text)).bid == expected


def test_equal_amounts_keep_their_own_exponent() -> None:
    """12.5 and 12.50 are equal decimals, but the profile writes each as gold holds it."""
    assert decimal128(Decimal("12.50")).to_decimal().as_tuple().exponent == -2
    assert decimal128(Decimal("12.5")).to_decimal().as_tuple().exponent == -1
    assert decimal128(Decimal("12.50")).bid != decimal128(Decimal("12.5")).bid


def test_the_cache_starts_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decimals, "CACHE_SIZE", 10)
    decimals._cache.clear()
    values = [Decimal(f"{cents / 100:.2f}") for cents in range(25)]
    assert [decimal128(v).to_decimal() for v in values] == values
    assert 0 < len(decimals._cache) <= 10


def test_fast_from_bid_decodes_what_the_driver_decodes() -> None:
    """What the embedded server's process installs: every decoded Decimal128 is the same."""
    values = [Decimal(text) for text in TEXTS] + [Decimal(f"-{n}.{n % 100:02d}")
                                                  for n in range(0, 10**6, 997)]
    documents = [bson.encode({"amount": Decimal128(v), "lines": [{"price": Decimal128(v)}]})
                 for v in values]
    before = [bson.decode(document) for document in documents]
    original = Decimal128.__dict__["from_bid"]
    try:
        assert install_fast_from_bid()
        after = [bson.decode(document) for document in documents]
        assert Decimal128.from_bid(b"\x01" * 16).bid == b"\x01" * 16
        with pytest.raises(ValueError, match="16 bytes"):
            Decimal128.from_bid(b"\x01")
    finally:
        Decimal128.from_bid = original
    assert [(d["amount"].bid, d["lines"][0]["price"].bid) for d in after] == \
        [(d["amount"].bid, d["lines"][0]["price"].bid) for d in before]
    assert all(type(d["amount"]) is Decimal128 for d in after)
    assert [str(d["amount"]) for d in after] == [str(d["amount"]) for d in before]
