"""Money set-up shared by the payments tests: put a sum in a freelancer's available balance through the real
services (fund, release, hold maturity), never by writing balances directly."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from payments.services import escrow
from payments.services.holds import holds_release_matured


def make_available(*, organization, freelancer, net_cents: int, tag: str) -> None:
    """Leave `net_cents` more in the freelancer's available balance (gross chosen so net after fee matches)."""
    gross = net_cents * 100 // (100 - settings.FREELANCER_FEE_PERCENT)
    while gross - escrow.fees.freelancer_fee(gross) < net_cents:
        gross += 1
    escrow.escrow_fund(
        organization=organization,
        escrow_reference=f"contract:{tag}",
        amount_cents=gross,
        currency="USD",
        idempotency_key=f"fund-{tag}",
        reference=f"milestone:{tag}",
    )
    escrow.escrow_release(
        escrow_reference=f"contract:{tag}",
        freelancer=freelancer,
        amount_cents=gross,
        currency="USD",
        idempotency_key=f"release-{tag}",
        reference=f"milestone:{tag}",
    )
    holds_release_matured(now=timezone.now() + timedelta(days=settings.SECURITY_HOLD_DAYS, minutes=1))
