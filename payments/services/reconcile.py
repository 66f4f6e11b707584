"""Finish payment operations whose outcome we never wrote down (a crash, a timeout, a lost answer).

Each pending operation older than `older_than` is looked up at the gateway by the id we stored (when we got one)
or by our idempotency key, and settled through the saga exactly as if the answer had arrived in time, business
side included (a charge settled here makes its milestone funded). An operation the gateway never received is
failed; one the gateway cannot tell us about, or has not finished, stays pending for the next run.
"""

from datetime import timedelta

from django.utils import timezone

from payments.gateway.base import GatewayError, GatewayUnavailable, get_gateway
from payments.models import GatewayOperation, OperationKind, OperationStatus
from payments.services import saga

_FAILURE_CODES: dict[str, str] = {
    OperationKind.CHARGE: "payment_failed",
    OperationKind.REFUND: "refund_failed",
    OperationKind.TRANSFER: "payout_failed",
}


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
        if result.status == "succeeded":
            saga.operation_succeeded(operation_id=op.pk, gateway_id=result.gateway_id)
        elif result.status in ("failed", "missing"):
            detail = result.detail or ("The gateway has no record of it." if result.status == "missing" else "Refused.")
            saga.operation_failed(operation_id=op.pk, code=_FAILURE_CODES[op.kind], detail=detail)
        else:
            continue
        settled += 1
    return settled
