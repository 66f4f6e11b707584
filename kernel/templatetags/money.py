"""`{% load money %}`: `{{ cents|money:currency }}` shows an amount with `kernel.money.format_money`, the one
formatter (integer cents, the currency's symbol, no floats)."""

from django import template

from kernel.money import format_money

register = template.Library()


@register.filter
def money(cents, currency: str = "") -> str:
    return format_money(cents, currency)
