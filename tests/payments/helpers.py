"""Money set-up shared by the payments tests, through the real saga the way callers use it (begin inside a
transaction, execute after it commits), never by writing balances directly."""

import contextlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kernel.refs import Kind
from payments import fees
from payments.models import AccountKind, JournalEntry, Posting
from payments.services import saga
from payments.services.holds import holds_release_matured
from payments.services.ledger import Owner


def fund(*, organization, escrow_reference, amount_cents, idempotency_key, reference, currency="USD", **more):
    """Charge the organization's card into the escrow for `reference` (`more`: begin_charge's actor,
    description, escrow_label); the funding entry (raises on refusal)."""
    with transaction.atomic():
        op = saga.begin_charge(
            payer=organization,
            escrow_reference=escrow_reference,
            amount_cents=amount_cents,
            currency=currency,
            reference=reference,
            idempotency_key=idempotency_key,
            **more,
        )
    return saga.execute(op).entry


def release(*, escrow_reference, freelancer, amount_cents, idempotency_key, reference, currency="USD") -> JournalEntry:
    return saga.release(
        escrow_reference=escrow_reference,
        payee=Owner.of_user(freelancer),
        amount_cents=amount_cents,
        currency=currency,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def refund(*, escrow_reference, amount_cents, idempotency_key, reference, currency="USD"):
    """Refund to the card that paid; the refund operation as it is after the gateway's answer."""
    with transaction.atomic():
        op = saga.begin_refund(
            escrow_reference=escrow_reference,
            amount_cents=amount_cents,
            currency=currency,
            reference=reference,
            idempotency_key=idempotency_key,
        )
    return saga.execute(op)


def escrow_of_reference(reference: str) -> int:
    """Net escrow postings of the entries caused by `reference`: funded − released − refunded."""
    total = Posting.objects.filter(account__kind=AccountKind.ESCROW, entry__reference=reference).aggregate(
        s=Sum("amount_cents")
    )["s"]
    return total or 0


def platform_balance(kind: str) -> int:
    """A platform account's balance: the sum of its postings (it caches none)."""
    total = Posting.objects.filter(account__owner_key="platform", account__kind=kind).aggregate(s=Sum("amount_cents"))
    return total["s"] or 0


def make_available(*, organization, freelancer, net_cents: int, tag: str) -> None:
    """Leave `net_cents` more in the freelancer's available balance (gross chosen so net after fee matches)."""
    gross = net_cents * 100 // (100 - settings.FREELANCER_FEE_PERCENT)
    while gross - fees.freelancer_fee(gross) < net_cents:
        gross += 1
    fund(
        organization=organization,
        escrow_reference=f"contract:{tag}",
        amount_cents=gross,
        idempotency_key=f"fund-{tag}",
        reference=f"milestone:{tag}",
    )
    release(
        escrow_reference=f"contract:{tag}",
        freelancer=freelancer,
        amount_cents=gross,
        idempotency_key=f"release-{tag}",
        reference=f"milestone:{tag}",
    )
    holds_release_matured(now=timezone.now() + timedelta(days=settings.SECURITY_HOLD_DAYS, minutes=1))


@contextlib.contextmanager
def payments_alone():
    """Money alone: no business side above payments is registered with the saga (references such as milestone:1
    name no milestone in these tests); payouts, payments' own, stay. Contracts' tests run the real ones. (Not a
    monkeypatch: tests undo theirs midway.)"""
    saved = dict(saga._registry)
    for kind in [k for k in saved if k != Kind.PAYOUT]:
        del saga._registry[kind]
    try:
        yield
    finally:
        saga._registry.clear()
        saga._registry.update(saved)
