"""Finish gateway operations whose outcome we never wrote down (a crash, a timeout, a lost answer).

Each pending operation older than `older_than` is looked up at the gateway by its id (when we got one) or by our
idempotency key, and settled exactly as if the answer had arrived in time. An operation the gateway never
received is failed: for a charge nothing was posted; for a refund or a payout the reserved money goes back.
"""

from datetime import timedelta

from django.utils import timezone

from payments.gateway.base import GatewayError, GatewayUnavailable, RemoteResult, get_gateway
from payments.models import GatewayOperation, OperationKind, OperationStatus
from payments.services import escrow, payouts


def operation_settle(*, operation: GatewayOperation, result: RemoteResult) -> None:
    """Apply what the gateway says about `operation` (succeeded / failed / missing). Idempotent: a settled
    operation is left as it is."""
    if result.status not in ("succeeded", "failed", "missing"):
        return
    ok = result.status == "succeeded"
    detail = result.detail or ("The gateway has no record of it." if result.status == "missing" else "Refused.")
    if operation.kind == OperationKind.CHARGE:
        if ok:
            escrow.charge_succeeded(operation_id=operation.pk, gateway_id=result.gateway_id)
        else:
            escrow.charge_failed(operation_id=operation.pk, code="payment_failed", detail=detail)
    elif operation.kind == OperationKind.REFUND:
        if ok:
            escrow.refund_succeeded(operation_id=operation.pk, gateway_id=result.gateway_id)
        else:
            escrow.refund_failed(operation_id=operation.pk, code="refund_failed", detail=detail)
    elif operation.kind == OperationKind.TRANSFER:
        payout = operation.payout
        if ok:
            payouts.payout_paid(payout_id=payout.pk, gateway_id=result.gateway_id)
        else:
            payouts.payout_failed(payout_id=payout.pk, reason=detail)


def reconcile_pending(*, older_than: timedelta, now=None) -> int:
    """Settle every operation still pending after `older_than`; returns how many were settled."""
    cutoff = (now or timezone.now()) - older_than
    gateway = get_gateway()
    settled = 0
    pending = GatewayOperation.objects.filter(status=OperationStatus.PENDING, created_at__lte=cutoff).select_related(
        "parent"
    )
    for op in pending.order_by("created_at", "pk"):
        try:
            result = gateway.find(
                kind=op.kind,
                idempotency_key=op.idempotency_key,
                gateway_id=op.gateway_id,
                parent_id=op.parent.gateway_id if op.parent else "",
            )
        except (GatewayError, GatewayUnavailable):
            continue  # the gateway cannot tell us now: try again on the next run
        if result.status in ("succeeded", "failed", "missing"):
            operation_settle(operation=op, result=result)
            settled += 1
    return settled
