"""Stripe webhooks: verified by signature, checked for shape, stored once per event id, applied once.

payment_intent.succeeded / payment_failed settle the charge operation through the saga (what reconcile would
do; a late success reopens a charge marked failed); refund.updated / refund.failed / charge.refund.updated settle
a refund that was pending; charge.dispute.created records a chargeback entry against platform clearing (never
taken back from a freelancer), unless it is an inquiry (status warning_*: no money was withdrawn), which is
recorded only if charge.dispute.funds_withdrawn says it became one; charge.dispute.closed closes it (won: the money
comes back); transfer.failed /
payout.failed fail the payout, transfer.reversed returns what was reversed (all of it fails the payout).

A signed event that is not the shape its type needs is refused with 400 (`malformed_event`), never a 500.
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.errors import DomainError, InvalidInput
from kernel.transitions import lock, transition
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
from payments.services import ledger, payouts, saga

logger = logging.getLogger(__name__)

# The largest amount an event may carry: what fits the ledger's bigint columns.
_MAX_CENTS = 2**63 - 1


def _malformed(detail: str) -> InvalidInput:
    return InvalidInput("malformed_event", f"The webhook event is malformed: {detail}.")


def webhook_receive(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify, store and apply one Stripe event. A replayed event (same id) changes nothing; a forged or stale
    one raises DomainError("invalid_signature", status 400) and is not stored; a malformed one is 400."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise DomainError("webhooks_disabled", "Stripe webhooks are not configured.", status=400)
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise DomainError("invalid_signature", "The webhook signature does not verify.", status=400) from exc
    except (TypeError, AttributeError, KeyError) as exc:
        raise _malformed("not an event object") from exc
    data = event.to_dict() if hasattr(event, "to_dict") else event
    if not isinstance(data, dict):
        raise _malformed("not an object")
    event_id, event_type = data.get("id"), data.get("type", "")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise _malformed("no id")
    if not isinstance(event_type, str) or len(event_type) > 80:
        raise _malformed("no type")
    raw = _object(data, "data").get("object")
    if event_type in _HANDLERS and not isinstance(raw, dict):
        raise _malformed("no data.object")
    obj = raw if isinstance(raw, dict) else {}
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(event_id=event_id, type=event_type, payload=data)
    except IntegrityError:
        row = WebhookEvent.objects.get(event_id=event_id)
    with transaction.atomic():
        row = lock(WebhookEvent.objects, pk=row.pk)
        if row.processed_at is None:
            _apply(row.type, obj)
            row.processed_at = timezone.now()
            row.save(update_fields=["processed_at"])
    return row


def _apply(event_type: str, obj: dict) -> None:
    handler = _HANDLERS.get(event_type)
    if handler is None:
        logger.info("Stripe event %s ignored", event_type)
        return
    handler(obj)


def _text(obj: dict, name: str) -> str:
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def _object(obj: dict, name: str) -> dict:
    value = obj.get(name)
    return value if isinstance(value, dict) else {}


def _amount(obj: dict, name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_CENTS:
        raise _malformed(f"{name} is not a whole number of cents from 0")
    return value


def _operation(obj: dict, kind: str) -> GatewayOperation | None:
    """The operation an event is about: by the gateway id we stored, else by our operation id and key in the
    metadata we sent (both must agree, so nobody can point an event at another operation)."""
    ops = GatewayOperation.objects.filter(kind=kind)
    gateway_id = _text(obj, "id")
    if gateway_id:
        found = ops.filter(gateway_id=gateway_id).first()
        if found:
            return found
    metadata = _object(obj, "metadata")
    key = metadata.get("idempotency_key")
    if not isinstance(key, str) or not key:
        return None
    found = ops.filter(idempotency_key=key).first()
    operation_id = metadata.get("operation")
    if found and operation_id not in (None, str(found.pk)):
        return None
    return found


def _payment_intent(obj: dict) -> None:
    op = _operation(obj, OperationKind.CHARGE)
    if op is None:
        logger.warning("payment_intent %s matches no operation", _text(obj, "id"))
        return
    saga.operation_succeeded(operation_id=op.pk, gateway_id=_text(obj, "id"))


def _payment_failed(obj: dict) -> None:
    op = _operation(obj, OperationKind.CHARGE)
    if op is not None:
        message = _text(_object(obj, "last_payment_error"), "message") or "The card was declined."
        saga.operation_failed(operation_id=op.pk, code="payment_failed", detail=message)


def _refund(obj: dict) -> None:
    op = _operation(obj, OperationKind.REFUND)
    if op is None:
        logger.warning("refund %s matches no operation", _text(obj, "id"))
        return
    status = _text(obj, "status")
    if status == "succeeded":
        saga.operation_succeeded(operation_id=op.pk, gateway_id=_text(obj, "id"))
    elif status in ("failed", "canceled"):
        reason = _text(obj, "failure_reason") or "The card network refused the refund."
        saga.operation_failed(operation_id=op.pk, code="refund_failed", detail=reason)


def _dispute_created(obj: dict) -> None:
    dispute_id, amount = _text(obj, "id"), _amount(obj, "amount")
    currency = _text(obj, "currency").upper() or "USD"
    if not dispute_id or amount == 0:
        raise _malformed("a dispute needs an id and an amount above zero")
    if currency not in settings.PAYMENT_CURRENCIES:
        raise _malformed(f"currency {currency[:3]!r} is not one we take")
    if _text(obj, "status").startswith("warning_"):
        logger.info("card inquiry %s: no money withdrawn, nothing to book", dispute_id)
        return
    if Chargeback.objects.filter(gateway_dispute_id=dispute_id).exists():
        return
    intent = _text(obj, "payment_intent")
    op = GatewayOperation.objects.filter(kind=OperationKind.CHARGE, gateway_id=intent).first() if intent else None
    clearing, chargebacks = ledger.platform_accounts(currency, AccountKind.GATEWAY_CLEARING, AccountKind.CHARGEBACKS)
    entry = ledger.entry_post(
        kind=EntryKind.CHARGEBACK,
        idempotency_key=f"chargeback:{dispute_id}",
        request_hash=ledger.request_hash(op="chargeback", dispute=dispute_id, amount=amount),
        currency=currency,
        reference=op.reference if op else "",
        memo=f"Card chargeback {dispute_id} ({_text(obj, 'reason')})",
        organization_id=op.organization_id if op else None,
        lines=[(clearing, amount), (chargebacks, -amount)],
    )
    Chargeback.objects.create(
        gateway_dispute_id=dispute_id,
        operation=op,
        organization_id=op.organization_id if op else None,
        amount_cents=amount,
        currency=currency,
        reason=_text(obj, "reason")[:80],
        entry=entry,
    )


def _dispute_closed(obj: dict) -> None:
    chargeback = Chargeback.objects.select_for_update().filter(gateway_dispute_id=_text(obj, "id")).first()
    if chargeback is None or chargeback.status != ChargebackStatus.OPEN:
        return
    outcome = ChargebackStatus.WON if obj.get("status") == "won" else ChargebackStatus.LOST
    resolution = None
    if outcome == ChargebackStatus.WON:
        clearing, chargebacks = ledger.platform_accounts(
            chargeback.currency, AccountKind.GATEWAY_CLEARING, AccountKind.CHARGEBACKS
        )
        resolution = ledger.entry_post(
            kind=EntryKind.CHARGEBACK_WON,
            idempotency_key=f"chargeback:{chargeback.gateway_dispute_id}:won",
            request_hash=ledger.request_hash(op="chargeback_won", dispute=chargeback.gateway_dispute_id),
            currency=chargeback.currency,
            reference=chargeback.entry.reference,
            memo=f"Chargeback {chargeback.gateway_dispute_id} won",
            organization_id=chargeback.organization_id,
            lines=[(clearing, -chargeback.amount_cents), (chargebacks, chargeback.amount_cents)],
        )
    transition(chargeback, outcome, resolved_at=timezone.now(), resolution_entry=resolution)


def _payout_of(obj: dict) -> Payout | None:
    op = _operation(obj, OperationKind.TRANSFER)
    payout = Payout.objects.filter(operation=op).first() if op else None
    if payout is None:
        logger.warning("transfer/payout event %s matches no payout", _text(obj, "id"))
    return payout


def _transfer_failed(obj: dict) -> None:
    payout = _payout_of(obj)
    if payout is not None:
        reason = _text(obj, "failure_message") or "The payout failed at the bank."
        payouts.payout_failed(payout_id=payout.pk, reason=reason)


def _transfer_reversed(obj: dict) -> None:
    reversed_cents = _amount(obj, "amount_reversed")
    payout = _payout_of(obj)
    if payout is not None:
        payouts.payout_reversed(payout_id=payout.pk, reversed_cents=reversed_cents, reason="The transfer was reversed.")


_HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_failed,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.refund.updated": _refund,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.funds_withdrawn": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
    "transfer.failed": _transfer_failed,
    "transfer.reversed": _transfer_reversed,
    "payout.failed": _transfer_failed,
}
