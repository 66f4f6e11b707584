"""Money at the edges: the one formatter and the one parser. Inside the system an amount is integer minor units
(cents) plus an ISO 4217 code; only people type and read decimals.

One rule for typed amounts: digits with an optional decimal point and at most the currency's minor digits
("1,250.5" is 125050 cents); anything finer is refused rather than rounded, so what was typed is what is charged.
The API takes cents as JSON integers only (`CentsField`), never strings.
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from rest_framework import serializers

from kernel.errors import InvalidInput

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_TYPED_AMOUNT = re.compile(r"^(?P<whole>\d{1,3}(,\d{3})+|\d+)(\.(?P<frac>\d{1,2}))?$")
MINUS = "−"  # U+2212, what a reader expects in an amount, not the hyphen


def format_money(cents: int | None, currency: str = "") -> str:
    """123456789 → "$1,234,567.89"; a currency without a symbol reads "1,234.00 CHF". No floats on the way."""
    if cents is None:
        return ""
    cents = int(cents)
    currency = currency or settings.DEFAULT_CURRENCY
    sign = MINUS if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    amount = f"{whole:,}.{frac:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def parse_amount(text: str) -> int:
    """A typed amount ("1,250.50", "$40", "40.5") in cents; InvalidInput for anything else."""
    cleaned = str(text).strip().removeprefix("$").strip()
    match = _TYPED_AMOUNT.fullmatch(cleaned) if cleaned.isascii() else None
    if match is None:
        raise InvalidInput("invalid_amount", "Enter an amount such as 1250 or 1,250.50 (at most two decimals).")
    whole = int(match["whole"].replace(",", ""))
    frac = int((match["frac"] or "0").ljust(2, "0"))
    return whole * 100 + frac


def cents_to_decimal(cents: int | None) -> Decimal | None:
    """For a form's initial value: 4050 → Decimal("40.50")."""
    return None if cents is None else Decimal(int(cents)).scaleb(-2)


class MoneyField(forms.CharField):
    """A form field for an amount typed in the currency's units; `cleaned_data` holds cents (int) or None.
    Bounds are in cents, so a form and its service speak the same number."""

    MAX_TYPED = 20  # characters: "100,000,000.00" and then some

    def __init__(self, *, min_cents: int = 1, max_cents: int | None = None, **kwargs):
        self.min_cents, self.max_cents = min_cents, max_cents
        super().__init__(**kwargs)  # no max_length: CharField's length validator would run on the cents (an int)

    def widget_attrs(self, widget):
        attrs = {"inputmode": "decimal", "autocomplete": "off", "maxlength": str(self.MAX_TYPED)}
        return {**super().widget_attrs(widget), **attrs}

    def prepare_value(self, value):
        return f"{cents_to_decimal(value):.2f}" if isinstance(value, int) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > self.MAX_TYPED:
            raise forms.ValidationError("Enter an amount such as 1250 or 1,250.50.", code="invalid_amount")
        try:
            cents = parse_amount(value)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None
        check_bounds(cents, min_cents=self.min_cents, max_cents=self.max_cents, error=forms.ValidationError)
        return cents


class CentsField(serializers.IntegerField):
    """An API amount: a JSON integer of cents. Strings ("5000", "1_000", "٥٠٠٠") and floats are refused."""

    default_error_messages = {"invalid": "Send a whole number of cents as a JSON integer."}

    def __init__(self, *, min_cents: int = 1, max_cents: int | None = None, **kwargs):
        kwargs.setdefault("min_value", min_cents)
        kwargs.setdefault("max_value", max_cents if max_cents is not None else settings.MAX_PAYMENT_CENTS)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def check_bounds(cents: int, *, min_cents: int = 1, max_cents: int | None = None, error=InvalidInput) -> None:
    """Refuse an amount outside [min_cents, max_cents] (max defaults to the largest payment accepted)."""
    high = max_cents if max_cents is not None else settings.MAX_PAYMENT_CENTS
    if cents < min_cents:
        raise _error(error, "amount_too_small", f"The amount must be at least {format_money(min_cents)}.")
    if cents > high:
        raise _error(error, "amount_too_large", f"The amount must be at most {format_money(high)}.")


def _error(error, code: str, detail: str):
    return error(detail, code=code) if error is forms.ValidationError else error(code, detail)
