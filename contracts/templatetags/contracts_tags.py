from django import template

from kernel.money import format_money
from payments.fees import charge_total

register = template.Library()


@register.simple_tag
def contract_terms(contract) -> str:
    """One line of terms for an offer or a contract."""
    if contract.contract_type == "hourly":
        rate = format_money(contract.hourly_rate_cents, contract.currency)
        return f"{rate}/hour, up to {contract.weekly_limit_hours} h/week"
    return f"Fixed price {format_money(contract.total_cents, contract.currency)}"


@register.filter
def with_client_fee(cents: int) -> int:
    """What funding `cents` charges the client's card: the amount plus the client fee (payments computes it)."""
    return charge_total(cents)[0]


_BADGES = {
    "accepted": "badge-success",
    "active": "badge-success",
    "approved": "badge-success",
    "funded": "badge-success",
    "pending": "badge-warning",
    "submitted": "badge-warning",
    "changes_requested": "badge-warning",
    "refund_requested": "badge-warning",
    "paused": "badge-warning",
    "disputed": "badge-danger",
    "declined": "badge-danger",
}


@register.filter
def badge_class(status: str) -> str:
    return _BADGES.get(status, "")


@register.filter
def current_status_event(milestone):
    """The event that put the milestone in its present state (its note says what changes or which refund was
    asked), or None. Reads the prefetched `milestone.events`."""
    events = [event for event in milestone.events.all() if event.to_status == milestone.status]
    return events[-1] if events else None
