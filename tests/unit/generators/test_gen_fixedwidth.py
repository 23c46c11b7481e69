"""Fixed-width byte-matrix text (`generators.fixedwidth`) against Python's own formatting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from generators import fixedwidth as fw


def _rows(matrix: np.ndarray) -> list[str]:
    return [bytes(row).decode() for row in matrix]


def test_digits_are_zero_padded_decimal() -> None:
    values = np.array([0, 7, 42, 9_999, 10_000, 123_456_789, 9_999_999_999])
    assert _rows(fw.digits(values, 10)) == [f"{v:010d}" for v in values]
    assert _rows(fw.digits(np.array([5, 99]), 2)) == ["05", "99"]
    with pytest.raises(ValueError, match="3 digits"):
        fw.digits(np.array([1_000]), 3)


def test_iso_timestamps_match_datetime() -> None:
    rng = np.random.default_rng(1)
    seconds = np.concatenate([[0, 86_399, 951_782_400], rng.integers(0, 4_102_444_800, 5_000)])
    expected = [datetime.fromtimestamp(int(s), UTC).isoformat() for s in seconds]
    assert _rows(fw.iso_timestamps(seconds)) == expected
    assert fw.iso_timestamps(np.zeros(0, np.int64)).shape == (0, 25)


def test_uuid4_are_valid_version_4_and_distinct() -> None:
    ids = _rows(fw.uuid4(np.random.default_rng(2), 2_000))
    parsed = [uuid.UUID(s) for s in ids]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)
    assert [str(u) for u in parsed] == ids and len(set(ids)) == len(ids)


def test_concat_and_strings_make_one_string_per_row() -> None:
    m = fw.concat(3, ["<", fw.digits(np.array([1, 2, 3]), 2), ">"])
    assert fw.strings(m).to_pylist() == ["<01>", "<02>", "<03>"]


def test_range_digits_and_gather_pick_whole_rows() -> None:
    values = np.array([1_000_105, 1_000_100, 1_000_103, 1_000_105])
    assert _rows(fw.range_digits(values, 10)) == [f"{v:010d}" for v in values]
    assert fw.range_digits(np.zeros(0, np.int64), 4).shape == (0, 4)
    table = fw.digits(np.arange(5), 3)
    assert _rows(fw.gather(table, np.array([4, 0, 4]))) == ["004", "000", "004"]


def test_numbers_at_writes_plain_decimals_at_their_rows_only() -> None:
    values = np.array([0, 9, 10, 99_999, 100_000, 1_234_567])
    at = np.array([1, 2, 4, 7, 8, 11])
    strings = fw.numbers_at(12, at, '"SO', values, '"').to_pylist()
    expected = [""] * 12
    for row, value in zip(at, values, strict=True):
        expected[row] = f'"SO{value}"'
    assert strings == expected
    assert fw.numbers_at(3, np.zeros(0, np.int64), "x", np.zeros(0, np.int64), "").to_pylist() \
        == ["", "", ""]
