from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments import fees


def test_fees_use_the_settings_percent(settings):
    settings.CLIENT_FEE_PERCENT = 5
    settings.FREELANCER_FEE_PERCENT = 10
    assert fees.client_fee(10_000) == 500
    assert fees.freelancer_fee(10_000) == 1_000


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [(10, 5, 1), (30, 5, 2), (9, 5, 0), (50, 1, 1), (49, 1, 0), (1, 50, 1), (0, 10, 0), (12_345, "2.5", 309)],
)
def test_percent_rounds_half_up_to_the_cent(amount, percent, expected):
    assert fees.percent_of(amount, percent) == expected


def test_percent_refuses_negative_amounts():
    with pytest.raises(ValueError):
        fees.percent_of(-1, 5)


@given(amount=st.integers(min_value=0, max_value=10**12))
def test_release_split_adds_back_to_the_whole(amount):
    net, fee = fees.split_release(amount)
    assert net + fee == amount
    assert 0 <= fee <= amount


@given(amount=st.integers(min_value=0, max_value=10**12))
def test_charge_total_is_amount_plus_client_fee(amount):
    total, fee = fees.charge_total(amount)
    assert total - fee == amount
    assert fee == int((Decimal(amount) * Decimal(5) / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(lambda w: sum(w) > 0),
)
def test_allocate_parts_add_up_and_follow_the_weights(total, weights):
    parts = fees.allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / whole) < 1 + 1e-9


@given(
    fee=st.integers(min_value=0, max_value=10**6),
    parts=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=15),
)
def test_cumulative_prorating_gives_back_exactly_the_whole_fee(fee, parts):
    whole = sum(parts)
    given_back, so_far = 0, 0
    for part in parts:
        so_far += part
        share = fees.prorate(so_far, whole, fee) - given_back
        assert share >= 0
        given_back += share
    assert given_back == fee


def test_allocate_refuses_weights_that_sum_to_zero():
    with pytest.raises(ValueError):
        fees.allocate(100, [0, 0])
