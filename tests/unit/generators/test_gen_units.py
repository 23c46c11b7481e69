"""Small pieces of the generator checked directly: hashes, name pools, line buffers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from faker import Faker

from generators.config import COUNTRIES
from generators.customers import customers_for, name_pools
from generators.rand import uniform
from generators.textout import join, to_lines


def test_uniform_is_a_pure_function_in_the_unit_interval() -> None:
    ids = np.arange(1_000_000)
    u = uniform(7, "x", ids)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert 0.49 < u.mean() < 0.51
    assert np.array_equal(u[123:456], uniform(7, "x", ids[123:456]))
    assert not np.array_equal(u, uniform(8, "x", ids))
    assert not np.array_equal(u, uniform(7, "y", ids))


def test_customers_get_names_from_their_country_locale() -> None:
    ids = np.arange(11_000, 16_000)
    cust = customers_for(3, ids)
    for c, (_, locale, _) in enumerate(COUNTRIES):
        provider = next(p for p in Faker(locale, providers=["faker.providers.person"])
                        .get_providers() if hasattr(p, "last_names"))
        known = {name.strip() for name in provider.last_names}
        mine = set(cust.last_name[cust.country == c])
        assert mine and mine <= known, locale
        male = set(cust.first_name[(cust.country == c) & (cust.gender == "M")])
        assert male <= {n.strip() for n in provider.first_names_male}, locale
    again = customers_for(3, ids[2000:2100])
    assert list(again.first_name) == list(cust.first_name[2000:2100])
    shares = np.bincount(cust.country, minlength=len(COUNTRIES)) / len(ids)
    assert np.allclose(shares, [s for _, _, s in COUNTRIES], atol=0.03)
    assert all(name and "," not in name for name in name_pools().names)


def test_lines_split_around_truncated_ones() -> None:
    lines = join([pa.array(["aaaa", "bbbb", "cccc", "dddd"])])
    out = to_lines(lines, cut=np.array([1, 3]), keep=2)
    assert b"".join(bytes(b) for b in out.buffers) == b"aaaa\nbb\ncccc\ndd\n"
    assert out.rows == 4 and out.nbytes == 16
    whole = to_lines(lines.slice(1, 2))
    assert b"".join(bytes(b) for b in whole.buffers) == b"bbbb\ncccc\n"


def test_yyyymmdd_matches_the_calendar() -> None:
    from datetime import date, timedelta

    from generators.textout import yyyymmdd

    days = np.array([19_000, 0, 11_016, 20_819, 19_000, 19_417])
    expected = [int((date(1970, 1, 1) + timedelta(days=int(d))).strftime("%Y%m%d")) for d in days]
    assert yyyymmdd(days).tolist() == expected
    assert yyyymmdd(np.zeros(0, np.int64)).tolist() == []


def test_join_puts_the_separator_between_pieces_and_a_newline_last() -> None:
    lines = join([pa.array(["a", ""]), "lit", np.array([1, 22])], ",")
    assert lines.to_pylist() == ["a,lit,1\n", ",lit,22\n"]
    assert join([np.array([3])]).to_pylist() == ["3\n"]
    assert join([pa.array(["x"]), "end"], ";").to_pylist() == ["x;end\n"]


def test_customer_keys_and_loc_cids_are_padded_to_eight_digits_and_never_cut() -> None:
    from collections import Counter

    from generators.config import DefectRates
    from generators.render_erp import loc_a101_columns

    for ids in (np.array([11_000, 99_999_999]), np.array([11_000, 100_000_000])):
        cid, _ = loc_a101_columns(np.random.default_rng(1), customers_for(7, ids),
                                  DefectRates(), Counter())
        assert cid.to_pylist() == [f"AW-{i:08d}" for i in ids]
        assert customers_for(7, ids).keys.to_pylist() == [f"AW{i:08d}" for i in ids]


def test_sorted_search_equals_searchsorted() -> None:
    from generators.sales import sorted_search

    rng = np.random.default_rng(3)
    cdf = np.cumsum(rng.random(10_000))
    values = np.concatenate([rng.random(5_000) * cdf[-1], cdf[[0, 17, -1]], [0.0]])
    assert np.array_equal(sorted_search(cdf, values), np.searchsorted(cdf, values))
    assert sorted_search(cdf, np.zeros(0)).shape == (0,)


def test_stable_argsort_equals_numpy_stable_sort_with_ties() -> None:
    from generators.web import stable_argsort

    rng = np.random.default_rng(4)
    for keys in (rng.integers(0, 50, 10_000), rng.integers(1_600_000_000, 1_800_000_000, 5_000),
                 np.zeros(0, np.int64), np.array([2**62, 1, 2**62, 0])):
        assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


def test_sales_date_fields_equal_three_joined_yyyymmdd_columns() -> None:
    from generators.render_sales import _date_fields
    from generators.textout import yyyymmdd

    rng = np.random.default_rng(4)
    order = rng.integers(19_000, 19_060, 2_000)
    ship, due = order + rng.integers(5, 10, 2_000), order + 12
    bad = np.array([0, 17, 1_999])
    bad_dates = [np.array([0, 1234, 20240101]), yyyymmdd(ship[bad]), yyyymmdd(due[bad])]
    dates = [yyyymmdd(d) for d in (order, ship, due)]
    for column, replaced in zip(dates, bad_dates, strict=True):
        column[bad] = replaced
    expected = [f"{a},{b},{c}" for a, b, c in zip(*dates, strict=True)]
    assert _date_fields(order, ship, due, bad, bad_dates).to_pylist() == expected
