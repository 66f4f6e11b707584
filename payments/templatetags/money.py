from django import template

from accounts.permissions import OrgPerm, organization_ids_with

register = template.Library()

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def money(cents, currency="USD"):
    """1234567 → $12,345.67 (negative amounts keep their sign before the symbol)."""
    if cents is None:
        return ""
    cents = int(cents)
    sign = "−" if cents < 0 else ""
    symbol = _SYMBOLS.get(currency, "")
    amount = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


@register.simple_tag
def payments_nav(user):
    """Which payments links the header shows: wallet for freelancers, payments for client finance roles."""

    if not user.is_authenticated:
        return {}
    return {
        "wallet": user.is_freelancer,
        "payments": bool(organization_ids_with(user, OrgPerm.MANAGE_PAYMENT_METHODS)),
    }
