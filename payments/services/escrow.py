"""Escrow: charge a client into a contract's escrow, release it to a freelancer, refund it to the client.

Account design (all in one currency):
  fund     clearing −(amount + client fee)   escrow +amount   client-fee revenue +fee
  release  escrow −amount   freelancer pending +(amount − freelancer fee)   freelancer-fee revenue +fee
  refund   escrow −amount   client-fee revenue −fee share   clearing +(amount + fee share)
A refund gives back the client fee charged on the refunded part: the fee share is prorated on the charge it
refunds, cumulatively, so refunding a charge in several parts gives back exactly the fee charged, never a cent
more. Money leaving to the card goes back through clearing, where it came in.

Gateway calls follow one pattern: record the intended call (GatewayOperation, pending) and commit, call the
gateway, then write the outcome in one transaction. A crash in between leaves a pending operation that
payments.services.reconcile finishes. These functions therefore commit on their own: call them outside any
open transaction, then record your side (milestone funded...) in your own transaction; if you crash before that,
calling again with the same idempotency key returns the same entry and charges nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import Organization, User
from kernel.errors import DomainError
from payments import fees
from payments.gateway.base import GatewayError, GatewayUnavailable, get_gateway
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayOperation,
    HoldLot,
    JournalEntry,
    OperationKind,
    OperationStatus,
    PaymentMethod,
    Posting,
)
from payments.services import ledger
from payments.services.payment_methods import customer_for


def _operation_existing(*, idempotency_key: str, request_hash: str) -> GatewayOperation | None:
    op = GatewayOperation.objects.filter(idempotency_key=idempotency_key).select_related("entry").first()
    if op is not None and op.request_hash != request_hash:
        raise DomainError("idempotency_conflict", "That idempotency key was already used for a different request.")
    return op


def _repeat(op: GatewayOperation) -> JournalEntry:
    """Answer a repeated request with what the first one got."""
    if op.status == OperationStatus.FAILED:
        raise DomainError(op.error_code or "payment_failed", op.error_detail or "The payment failed.")
    if op.entry_id is None:
        raise DomainError(
            "operation_in_progress", "That payment is still being processed. Try again in a minute.", status=409
        )
    return op.entry


def _check_reference(reference: str) -> None:
    if not reference or len(reference) > 120:
        raise DomainError("reference_invalid", "A reference of 1 to 120 characters is required.", status=400)


def _checked_request_hash(
    *, op: str, escrow_reference: str, amount_cents: int, currency: str, idempotency_key: str, reference: str, **party
) -> str:
    """Refuse a bad amount, key or reference (400); else the request's fingerprint for its idempotency key."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    _check_reference(reference)
    return ledger.request_hash(
        op=op, escrow_reference=escrow_reference, amount=amount_cents, currency=currency, reference=reference, **party
    )


def escrow_fund(
    *,
    organization: Organization,
    escrow_reference: str,
    amount_cents: int,
    currency: str,
    idempotency_key: str,
    reference: str,
    description: str = "",
    escrow_label: str = "",
) -> JournalEntry:
    """Charge the organization's default card amount + client fee and put `amount_cents` into the escrow of
    `escrow_reference`. One entry per idempotency key; a declined card posts nothing."""
    rhash = _checked_request_hash(
        op="escrow_fund",
        organization=organization.pk,
        escrow_reference=escrow_reference,
        amount_cents=amount_cents,
        currency=currency,
        idempotency_key=idempotency_key,
        reference=reference,
    )
    # Funding names the escrow it may create, so its reference is held to the same rule.
    _check_reference(escrow_reference)
    op = _operation_existing(idempotency_key=idempotency_key, request_hash=rhash)
    if op is not None:
        return _repeat(op)

    gateway = get_gateway()
    method = PaymentMethod.objects.filter(organization=organization, is_default=True, gateway=gateway.name).first()
    if method is None:
        raise DomainError("payment_method_required", "Add a payment method before funding escrow.")
    escrow = ledger.escrow_account(
        escrow_reference=escrow_reference, currency=currency, organization=organization, label=escrow_label[:200]
    )
    total, fee = fees.charge_total(amount_cents)
    try:
        with transaction.atomic():
            op = GatewayOperation.objects.create(
                kind=OperationKind.CHARGE,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                amount_cents=total,
                fee_cents=fee,
                currency=currency,
                organization=organization,
                escrow_reference=escrow.reference,
                reference=reference,
                description=description[:255],
                payment_method=method,
                gateway_customer=customer_for(organization=organization, gateway=gateway),
                gateway_source=method.token,
            )
    except IntegrityError:
        # The same key arrived at the same moment: the other request owns the charge.
        return _repeat(_operation_existing(idempotency_key=idempotency_key, request_hash=rhash))

    try:
        gateway_id = gateway.charge(
            customer_id=op.gateway_customer,
            token=op.gateway_source,
            amount_cents=total,
            currency=currency,
            idempotency_key=idempotency_key,
            metadata={"operation": str(op.pk), "reference": reference, "escrow": escrow.reference},
        )
    except GatewayError as exc:
        charge_failed(operation_id=op.pk, code=exc.code, detail=exc.detail)
        detail = exc.detail
        if exc.code == "card_declined":
            detail = (
                f"{exc.detail} Nothing was charged to {method}. To pay with another card, make it the default on "
                "the payment methods page, then try again."
            )
        raise DomainError(exc.code, detail) from exc
    except GatewayUnavailable as exc:
        raise DomainError(
            "gateway_unavailable", "The payment processor did not answer; we will check and finish it.", status=503
        ) from exc
    return charge_succeeded(operation_id=op.pk, gateway_id=gateway_id).entry


@transaction.atomic
def charge_succeeded(*, operation_id: int, gateway_id: str) -> GatewayOperation:
    """The gateway took the money: post the funding entry (once) and mark the operation succeeded."""
    op = GatewayOperation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=operation_id)
    if op.status == OperationStatus.SUCCEEDED:
        return op
    amount = op.amount_cents - op.fee_cents
    escrow = ledger.escrow_account(
        escrow_reference=op.escrow_reference, currency=op.currency, organization=op.organization
    )
    entry = ledger.entry_post(
        kind=EntryKind.ESCROW_FUND,
        idempotency_key=op.idempotency_key,
        request_hash=op.request_hash,
        currency=op.currency,
        reference=op.reference,
        memo=op.description or f"Escrow funded for {op.escrow_reference}",
        organization=op.organization,
        lines=[
            (ledger.platform_account(AccountKind.GATEWAY_CLEARING, op.currency), -op.amount_cents),
            (escrow, amount),
            (ledger.platform_account(AccountKind.CLIENT_FEE_REVENUE, op.currency), op.fee_cents),
        ],
    )
    ledger.save_transition(op, OperationStatus.SUCCEEDED, noun="operation", gateway_id=gateway_id, entry=entry)
    return op


@transaction.atomic
def charge_failed(*, operation_id: int, code: str, detail: str) -> GatewayOperation:
    op = GatewayOperation.objects.select_for_update().get(pk=operation_id)
    if op.status == OperationStatus.PENDING:
        ledger.save_transition(
            op, OperationStatus.FAILED, noun="operation", error_code=code[:64], error_detail=detail[:255]
        )
    return op


def escrow_balance(*, escrow_reference: str, currency: str = "USD") -> int:
    account = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
    return account.balance_cents if account else 0


def escrow_balance_for_reference(*, reference: str) -> int:
    """Net escrow postings of the entries caused by `reference` (e.g. a milestone): funded − released − refunded."""
    total = Posting.objects.filter(account__kind=AccountKind.ESCROW, entry__reference=reference).aggregate(
        s=Sum("amount_cents")
    )["s"]
    return total or 0


def _check_escrow_covers(*, escrow, reference: str, amount_cents: int) -> None:
    """Call holding the escrow account's lock: both the contract's escrow and the piece of work's share of it
    must cover the amount."""
    if escrow is None or escrow.balance_cents < amount_cents:
        raise DomainError("insufficient_escrow", "There is not enough money in escrow for that.")
    if escrow_balance_for_reference(reference=reference) < amount_cents:
        raise DomainError("insufficient_escrow", f"Less than that was funded for {reference}.")


def escrow_release(
    *,
    escrow_reference: str,
    freelancer: User,
    amount_cents: int,
    currency: str,
    idempotency_key: str,
    reference: str,
    description: str = "",
) -> JournalEntry:
    """Move `amount_cents` from escrow to the freelancer's pending balance less the freelancer fee; the net
    waits out settings.SECURITY_HOLD_DAYS in a hold lot. Serializes on the escrow account's row lock."""
    rhash = _checked_request_hash(
        op="escrow_release",
        escrow_reference=escrow_reference,
        freelancer=freelancer.pk,
        amount_cents=amount_cents,
        currency=currency,
        idempotency_key=idempotency_key,
        reference=reference,
    )
    with transaction.atomic():
        escrow = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
        pending = ledger.user_account(AccountKind.FREELANCER_PENDING, freelancer, currency)
        revenue = ledger.platform_account(AccountKind.FREELANCER_FEE_REVENUE, currency)
        if escrow is None:
            raise DomainError("insufficient_escrow", "Nothing was funded into that escrow.")
        locked = ledger.accounts_lock(escrow, pending, revenue)
        existing = ledger.entry_find(idempotency_key=idempotency_key, request_hash=rhash)
        if existing is not None:
            return existing
        _check_escrow_covers(escrow=locked[escrow.pk], reference=reference, amount_cents=amount_cents)
        net, fee = fees.split_release(amount_cents)
        entry = ledger.entry_post(
            kind=EntryKind.ESCROW_RELEASE,
            idempotency_key=idempotency_key,
            request_hash=rhash,
            currency=currency,
            reference=reference,
            memo=description[:255] or f"Released from {escrow_reference}",
            organization=escrow.organization,
            user=freelancer,
            lines=[(escrow, -amount_cents), (pending, net), (revenue, fee)],
        )
        HoldLot.objects.create(
            user=freelancer,
            currency=currency,
            amount_cents=net,
            release_entry=entry,
            available_at=entry.created_at + timedelta(days=settings.SECURITY_HOLD_DAYS),
        )
        return entry


def _refundable_charge(*, escrow_reference: str, organization: Organization, reference: str, amount_cents: int):
    """The succeeded charge into this escrow that still has `amount_cents` of escrow money left to refund,
    preferring the one made for the same reference. Locks the charge rows so refunds of one charge serialize."""
    charges = list(
        GatewayOperation.objects.select_for_update()
        .filter(
            kind=OperationKind.CHARGE,
            status=OperationStatus.SUCCEEDED,
            escrow_reference=escrow_reference,
            organization=organization,
        )
        .order_by("pk")
    )
    charges.sort(key=lambda c: (c.reference != reference, -c.pk))
    for charge in charges:
        refunded = charge.children.filter(
            kind=OperationKind.REFUND, status__in=[OperationStatus.PENDING, OperationStatus.SUCCEEDED]
        ).aggregate(total=Sum("amount_cents"), fee=Sum("fee_cents"))
        refunded_escrow = (refunded["total"] or 0) - (refunded["fee"] or 0)
        charged_escrow = charge.amount_cents - charge.fee_cents
        if charged_escrow - refunded_escrow >= amount_cents:
            fee_after = fees.prorate(refunded_escrow + amount_cents, charged_escrow, charge.fee_cents)
            return charge, fee_after - (refunded["fee"] or 0)
    raise DomainError(
        "refund_exceeds_charge",
        "No single charge into this escrow has that much left to refund; refund it in parts per charge.",
    )


def escrow_refund(
    *,
    escrow_reference: str,
    organization: Organization,
    amount_cents: int,
    currency: str,
    idempotency_key: str,
    reference: str,
    description: str = "",
) -> JournalEntry:
    """Give `amount_cents` of escrow back to the client's card, with the client fee charged on it.

    The entry is posted (escrow reserved) before the gateway is called, so nothing can release the same money
    meanwhile; if the gateway refuses, a `refund_failed` entry puts it back and DomainError is raised."""
    rhash = _checked_request_hash(
        op="escrow_refund",
        escrow_reference=escrow_reference,
        organization=organization.pk,
        amount_cents=amount_cents,
        currency=currency,
        idempotency_key=idempotency_key,
        reference=reference,
    )
    op = _operation_existing(idempotency_key=idempotency_key, request_hash=rhash)
    if op is not None:
        return _repeat(op)
    try:
        with transaction.atomic():
            escrow = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
            if escrow is None or escrow.organization_id != organization.pk:
                raise DomainError("insufficient_escrow", "This organization has no escrow for that.")
            revenue = ledger.platform_account(AccountKind.CLIENT_FEE_REVENUE, currency)
            clearing = ledger.platform_account(AccountKind.GATEWAY_CLEARING, currency)
            locked = ledger.accounts_lock(escrow, revenue, clearing)
            # Under the escrow lock: a concurrent request with this key has either committed or not started.
            op = _operation_existing(idempotency_key=idempotency_key, request_hash=rhash)
            if op is not None:
                return _repeat(op)
            _check_escrow_covers(escrow=locked[escrow.pk], reference=reference, amount_cents=amount_cents)
            charge, fee = _refundable_charge(
                escrow_reference=escrow_reference,
                organization=organization,
                reference=reference,
                amount_cents=amount_cents,
            )
            entry = ledger.entry_post(
                kind=EntryKind.ESCROW_REFUND,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                currency=currency,
                reference=reference,
                memo=description[:255] or f"Refunded from {escrow_reference}",
                organization=organization,
                lines=[(escrow, -amount_cents), (revenue, -fee), (clearing, amount_cents + fee)],
            )
            op = GatewayOperation.objects.create(
                kind=OperationKind.REFUND,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                amount_cents=amount_cents + fee,
                fee_cents=fee,
                currency=currency,
                organization=organization,
                escrow_reference=escrow_reference,
                reference=reference,
                parent=charge,
                gateway_source=charge.gateway_id,
                entry=entry,
            )
    except IntegrityError:
        return _repeat(_operation_existing(idempotency_key=idempotency_key, request_hash=rhash))

    try:
        gateway_id = get_gateway().refund(
            charge_id=op.gateway_source,
            amount_cents=op.amount_cents,
            idempotency_key=idempotency_key,
            metadata={"operation": str(op.pk), "reference": reference},
        )
    except GatewayError as exc:
        refund_failed(operation_id=op.pk, code=exc.code, detail=exc.detail)
        raise DomainError(exc.code, exc.detail) from exc
    except GatewayUnavailable as exc:
        raise DomainError(
            "gateway_unavailable", "The payment processor did not answer; we will check and finish it.", status=503
        ) from exc
    refund_succeeded(operation_id=op.pk, gateway_id=gateway_id)
    return entry


@transaction.atomic
def refund_succeeded(*, operation_id: int, gateway_id: str) -> GatewayOperation:
    op = GatewayOperation.objects.select_for_update().get(pk=operation_id)
    if op.status == OperationStatus.PENDING:
        ledger.save_transition(op, OperationStatus.SUCCEEDED, noun="operation", gateway_id=gateway_id)
    return op


@transaction.atomic
def refund_failed(*, operation_id: int, code: str, detail: str) -> GatewayOperation:
    """The gateway refused the refund: put the reserved money back where it was, in its own entry."""
    op = (
        GatewayOperation.objects.select_for_update(of=("self",))
        .select_related("entry", "organization")
        .get(pk=operation_id)
    )
    if op.status != OperationStatus.PENDING:
        return op
    amount = op.amount_cents - op.fee_cents
    escrow = ledger.escrow_account(escrow_reference=op.escrow_reference, currency=op.currency)
    ledger.entry_post(
        kind=EntryKind.REFUND_FAILED,
        idempotency_key=f"{op.idempotency_key}:failed",
        request_hash=op.request_hash,
        currency=op.currency,
        reference=op.reference,
        memo=f"Refund failed: {detail}",
        organization=op.organization,
        lines=[
            (escrow, amount),
            (ledger.platform_account(AccountKind.CLIENT_FEE_REVENUE, op.currency), op.fee_cents),
            (ledger.platform_account(AccountKind.GATEWAY_CLEARING, op.currency), -op.amount_cents),
        ],
    )
    ledger.save_transition(
        op, OperationStatus.FAILED, noun="operation", error_code=code[:64], error_detail=detail[:255]
    )
    return op
