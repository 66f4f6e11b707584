"""The security hold: money released to a payee waits settings.SECURITY_HOLD_DAYS in pending, one lot per
release, then moves to available. (A hold that freezes escrow for a dispute is the saga's: saga.hold.)"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from payments.models import AccountKind, EntryKind, HoldLot
from payments.services import ledger


def hold_lot_mature(*, lot_id: int) -> bool:
    """Move one matured lot to available; idempotent (the entry's key is derived from the lot)."""
    with transaction.atomic():
        lot = HoldLot.objects.select_for_update(of=("self",)).select_related("account").get(pk=lot_id)
        if lot.matured_entry_id is not None:
            return False
        key = f"hold-lot:{lot.pk}"
        pending = lot.account
        available = ledger.sibling_account(pending, AccountKind.FREELANCER_AVAILABLE)
        entry = ledger.entry_post(
            kind=EntryKind.HOLD_MATURED,
            idempotency_key=key,
            request_hash=ledger.request_hash(op="hold_matured", lot=lot.pk),
            currency=lot.currency,
            reference=lot.release_entry.reference,
            memo="Security hold ended",
            user_id=pending.user_id,
            organization_id=pending.organization_id,
            lines=[(pending, -lot.amount_cents), (available, lot.amount_cents)],
        )
        lot.matured_entry = entry
        lot.save(update_fields=["matured_entry"])
        return True


def holds_release_matured(*, now: datetime | None = None) -> int:
    """Every lot whose hold has ended becomes available, one entry per lot, each in its own transaction (one
    freelancer's problem never blocks the others). Returns how many lots moved."""
    now = now or timezone.now()
    lot_ids = list(
        HoldLot.objects.filter(matured_entry__isnull=True, available_at__lte=now)
        .order_by("available_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(hold_lot_mature(lot_id=lot_id) for lot_id in lot_ids)
