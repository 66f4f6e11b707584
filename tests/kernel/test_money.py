"""One formatter and one parser for money: integer cents in, the currency's symbol out, no floats, one rule for
what a person may type."""

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from kernel.errors import InvalidInput
from kernel.money import CentsField, MoneyField, format_money, parse_amount


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (123456789, "USD", "$1,234,567.89"),
        (5, "EUR", "€0.05"),
        (-1050, "GBP", "−£10.50"),
        (100000, "CHF", "1,000.00 CHF"),
        (None, "USD", ""),
    ],
)
def test_format_money(cents, currency, text):
    assert format_money(cents, currency) == text


@given(st.integers(0, 10**12))
def test_what_is_shown_parses_back_to_the_same_cents(cents):
    assert parse_amount(format_money(cents, "USD")) == cents


@pytest.mark.parametrize("typed", ["1.005", "1e3", "12,34", "٥٠", "-5", "", "1,2345.00", "$", "0x10"])
def test_anything_but_a_plain_amount_is_refused_not_rounded(typed):
    with pytest.raises(InvalidInput):
        parse_amount(typed)


class _Form(forms.Form):
    amount = MoneyField(min_cents=1000, max_cents=50_000)


@pytest.mark.parametrize(
    ("typed", "cents", "error"),
    [
        ("40.5", 4050, None),
        ("$1,250", None, "at most $500.00"),
        ("9.99", None, "at least $10.00"),
        ("12.345", None, "at most two decimals"),
        ("1" * 30, None, "Enter an amount"),
    ],
)
def test_money_field_cleans_to_cents_with_bounds_in_cents(typed, cents, error):
    form = _Form({"amount": typed})
    if error is None:
        assert form.is_valid() and form.cleaned_data["amount"] == cents
    else:
        assert not form.is_valid() and error in " ".join(form.errors["amount"])


def test_money_field_shows_cents_as_an_amount():
    assert 'value="40.50"' in str(_Form(initial={"amount": 4050})["amount"])


class _Payload(serializers.Serializer):
    amount_cents = CentsField(max_cents=10_000)


@pytest.mark.parametrize(("value", "ok"), [(500, True), ("500", False), (5.0, False), (True, False), (10_001, False)])
def test_cents_field_takes_json_integers_only(value, ok):
    assert _Payload(data={"amount_cents": value}).is_valid() is ok
