"""Stripe webhooks: verified by signature, stored once per event id, applied once.

payment_intent.succeeded / payment_failed settle the charge operation (what reconcile would do);
charge.dispute.created records a chargeback entry against platform clearing (never taken back from a
freelancer); charge.dispute.closed closes it (won: the money comes back); transfer.failed / transfer.reversed /
payout.failed fail the payout and return the money to available.
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.errors import DomainError
from payments.gateway.base import RemoteResult
from payments.models import (
    AccountKind,
    Chargeback,
    ChargebackStatus,
    EntryKind,
    GatewayOperation,
    OperationKind,
    Payout,
    WebhookEvent,
)
from payments.services import ledger, payouts
from payments.services.reconcile import operation_settle

logger = logging.getLogger(__name__)


def webhook_receive(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify, store and apply one Stripe event. A replayed event (same id) changes nothing; a forged or stale
    one raises DomainError("invalid_signature", status 400) and is not stored."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise DomainError("webhooks_disabled", "Stripe webhooks are not configured.", status=400)
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise DomainError("invalid_signature", "The webhook signature does not verify.", status=400) from exc
    data = event.to_dict()
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(event_id=data["id"], type=data.get("type", ""), payload=data)
    except IntegrityError:
        row = WebhookEvent.objects.get(event_id=data["id"])
    with transaction.atomic():
        row = WebhookEvent.objects.select_for_update().get(pk=row.pk)
        if row.processed_at is None:
            _apply(row.type, row.payload.get("data", {}).get("object", {}))
            row.processed_at = timezone.now()
            row.save(update_fields=["processed_at"])
    return row


def _operation(obj: dict, kind: str) -> GatewayOperation | None:
    key = (obj.get("metadata") or {}).get("idempotency_key")
    ops = GatewayOperation.objects.filter(kind=kind)
    if obj.get("id"):
        found = ops.filter(gateway_id=obj["id"]).first()
        if found:
            return found
    return ops.filter(idempotency_key=key).first() if key else None


def _apply(event_type: str, obj: dict) -> None:
    handler = _HANDLERS.get(event_type)
    if handler is None:
        logger.info("Stripe event %s ignored", event_type)
        return
    handler(obj)


def _payment_intent(obj: dict) -> None:
    op = _operation(obj, OperationKind.CHARGE)
    if op is None:
        logger.warning("payment_intent %s matches no operation", obj.get("id"))
        return
    operation_settle(operation=op, result=RemoteResult("succeeded", obj.get("id", "")))


def _payment_failed(obj: dict) -> None:
    op = _operation(obj, OperationKind.CHARGE)
    if op is not None:
        error = (obj.get("last_payment_error") or {}).get("message", "The card was declined.")
        operation_settle(operation=op, result=RemoteResult("failed", obj.get("id", ""), error))


def _dispute_created(obj: dict) -> None:
    dispute_id, amount, currency = obj["id"], int(obj["amount"]), str(obj.get("currency", "usd")).upper()
    if Chargeback.objects.filter(gateway_dispute_id=dispute_id).exists():
        return
    intent = obj.get("payment_intent") or ""
    op = GatewayOperation.objects.filter(kind=OperationKind.CHARGE, gateway_id=intent).first() if intent else None
    entry = ledger.entry_post(
        kind=EntryKind.CHARGEBACK,
        idempotency_key=f"chargeback:{dispute_id}",
        request_hash=ledger.request_hash(op="chargeback", dispute=dispute_id, amount=amount),
        currency=currency,
        reference=op.reference if op else "",
        memo=f"Card chargeback {dispute_id} ({obj.get('reason', '')})",
        organization=op.organization if op else None,
        lines=[
            (ledger.platform_account(AccountKind.GATEWAY_CLEARING, currency), amount),
            (ledger.platform_account(AccountKind.CHARGEBACKS, currency), -amount),
        ],
    )
    Chargeback.objects.create(
        gateway_dispute_id=dispute_id,
        operation=op,
        organization=op.organization if op else None,
        amount_cents=amount,
        currency=currency,
        reason=str(obj.get("reason", ""))[:80],
        entry=entry,
    )


def _dispute_closed(obj: dict) -> None:
    chargeback = Chargeback.objects.select_for_update().filter(gateway_dispute_id=obj["id"]).first()
    if chargeback is None or chargeback.status != ChargebackStatus.OPEN:
        return
    outcome = ChargebackStatus.WON if obj.get("status") == "won" else ChargebackStatus.LOST
    if outcome not in Chargeback.ALLOWED[chargeback.status]:
        raise DomainError("invalid_transition", f"A {chargeback.status} chargeback cannot become {outcome}.")
    if outcome == ChargebackStatus.WON:
        chargeback.resolution_entry = ledger.entry_post(
            kind=EntryKind.CHARGEBACK_WON,
            idempotency_key=f"chargeback:{chargeback.gateway_dispute_id}:won",
            request_hash=ledger.request_hash(op="chargeback_won", dispute=chargeback.gateway_dispute_id),
            currency=chargeback.currency,
            reference=chargeback.entry.reference,
            memo=f"Chargeback {chargeback.gateway_dispute_id} won",
            organization=chargeback.organization,
            lines=[
                (ledger.platform_account(AccountKind.GATEWAY_CLEARING, chargeback.currency), -chargeback.amount_cents),
                (ledger.platform_account(AccountKind.CHARGEBACKS, chargeback.currency), chargeback.amount_cents),
            ],
        )
    chargeback.status = outcome
    chargeback.resolved_at = timezone.now()
    chargeback.save(update_fields=["status", "resolved_at", "resolution_entry"])


def _transfer_failed(obj: dict) -> None:
    op = _operation(obj, OperationKind.TRANSFER)
    payout = Payout.objects.filter(operation=op).first() if op else None
    if payout is None:
        logger.warning("transfer/payout failure %s matches no payout", obj.get("id"))
        return
    reason = obj.get("failure_message") or "The payout failed at the bank."
    payouts.payout_failed(payout_id=payout.pk, reason=reason)


_HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_failed,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
    "transfer.failed": _transfer_failed,
    "transfer.reversed": _transfer_failed,
    "payout.failed": _transfer_failed,
}
