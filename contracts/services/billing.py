"""The weekly billing cycle of hourly contracts, one contract at a time.

Steps, each due at an instant and each safe to run twice or side by side (every one re-checks under the
timesheet's row lock, and every money call carries a key derived from what it settles):

1. close (from Monday 00:00 UTC): a running timer's part up to Sunday 23:59 goes to the closed week; the totals
   are fixed: billable hours × the week's rate, plus the client fee. A week with nothing billable is approved
   with nothing to pay (no charge, no invoice).
2. charge: the client's default card, into the contract's escrow (`timesheet:{id}:charge:{attempt}`: each attempt
   its own key, so a retry never replays the first failure). Success opens the review until Saturday 00:00
   (settings.HOURLY_REVIEW_DAYS after Monday), issues the invoice and the statement, and resumes a contract an
   earlier failure paused. A failure pauses the contract, tells both sides and retries daily
   (settings.CHARGE_RETRY_DAYS times).
3. release (after the review): the undisputed amount to the freelancer's pending balance less the freelancer fee
   (`timesheet:{id}:release`); the security hold (payments) then makes it available. Disputed money stays.

Money moves through the payment saga (`payments.services.saga`). The charge is begun under the timesheet's lock
with the attempt's key, the claim and the operation commit together, and `saga.execute` calls the gateway after
commit; whichever of its answer, the webhook or reconcile settles it, `_payment_settled` (registered for
Kind.TIMESHEET) records the outcome in the settling transaction. A crash after the commit leaves the operation
pending, which reconcile finishes. The release and a dispute's hold are ledger moves inside our own transaction.
"""

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Contract, Dispute, Timesheet
from contracts.services import invoices
from contracts.services.contracts import (
    contract_pause_for_failed_charge,
    contract_resume_after_charge,
    tell_both,
)
from contracts.services.time_entries import timer_split_at_week_end
from contracts.services.timesheets import timesheet_recount
from contracts.services.weeks import WEEK, amount_for, hours_label, week_bounds, week_start_of
from kernel.errors import DomainError
from kernel.money import format_money
from kernel.refs import Kind, pk_of, ref
from kernel.transitions import lock, transition
from payments import fees
from payments.models import OperationKind
from payments.services import saga
from payments.services.ledger import Owner

logger = logging.getLogger(__name__)
S = Timesheet.Status
BATCH_SIZE = 500


def charge_key(timesheet_id: int, attempt: int) -> str:
    return f"{ref(Kind.TIMESHEET, timesheet_id)}:charge:{attempt}"


def release_key(timesheet_id: int) -> str:
    return f"{ref(Kind.TIMESHEET, timesheet_id)}:release"


def _due(now: dt.datetime) -> Q:
    """Timesheets with a step due at `now`."""
    closed_weeks = Q(status=S.OPEN, week_start__lte=week_start_of(now) - WEEK)
    retry = Q(status=S.PAYMENT_FAILED, next_charge_at__lte=now)
    release = Q(status__in=[S.IN_REVIEW, S.DISPUTED], review_ends_at__lte=now, released_at__isnull=True)
    return closed_weeks | retry | release


def due_contract_ids(*, now: dt.datetime, week: dt.date | None = None, batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Contract ids with a billing step due, in id order, read in batches (keyset paging: no long scan, no lock)."""
    queryset = Timesheet.objects.filter(_due(now))
    if week is not None:
        queryset = queryset.filter(week_start=week)
    after = 0
    while True:
        batch = list(
            queryset.filter(contract_id__gt=after)
            .order_by("contract_id")
            .values_list("contract_id", flat=True)
            .distinct()[:batch_size]
        )
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1]


@dataclass
class Outcome:
    closed: int = 0
    charged: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        self.closed += other.closed
        self.charged += other.charged
        self.failed += other.failed
        self.released += other.released
        self.errors += other.errors


def contract_billing_run(*, contract_id: int, now: dt.datetime | None = None, week: dt.date | None = None) -> Outcome:
    """Every step due for one contract at `now` (its weeks oldest first)."""
    now = now or timezone.now()
    outcome = Outcome()
    sheets = Timesheet.objects.filter(_due(now), contract_id=contract_id)
    if week is not None:
        sheets = sheets.filter(week_start=week)
    for timesheet_id in sheets.order_by("week_start").values_list("pk", flat=True):
        if timesheet_close(timesheet_id=timesheet_id, now=now):
            outcome.closed += 1
        charged = timesheet_charge(timesheet_id=timesheet_id, now=now)
        if charged is True:
            outcome.charged += 1
        elif charged is False:
            outcome.failed += 1
        if timesheet_release(timesheet_id=timesheet_id, now=now):
            outcome.released += 1
    return outcome


def billing_run(*, now: dt.datetime | None = None, week: dt.date | None = None) -> Outcome:
    """The whole cycle in this process (the command's way; the beat task fans out instead). One contract's
    failure is logged and counted, and the others go on."""
    now = now or timezone.now()
    total = Outcome()
    for contract_id in due_contract_ids(now=now, week=week):
        try:
            total.add(contract_billing_run(contract_id=contract_id, now=now, week=week))
        except Exception as exc:  # noqa: BLE001 - isolation: one contract's fault never stops the run
            logger.exception("billing failed for contract %s", contract_id)
            total.errors.append(f"contract {contract_id}: {exc}")
    return total


def _lock_contract_of(timesheet_id: int, select: tuple[str, ...] = ()) -> Contract:
    """Every step locks the contract before the timesheet (the diary's order too), so steps never deadlock."""
    contract_id = Timesheet.objects.filter(pk=timesheet_id).values_list("contract_id", flat=True).first()
    return lock(Contract.objects.select_related(*select), pk=contract_id)


# --- 1. Close ---


def timesheet_close(*, timesheet_id: int, now: dt.datetime) -> bool:
    """Fix an ended week's totals. True when this call closed it."""
    with transaction.atomic():
        contract = _lock_contract_of(timesheet_id)
        timesheet = lock(Timesheet.objects, pk=timesheet_id)
        _, week_end = week_bounds(timesheet.week_start)
        if timesheet.status != S.OPEN or timesheet.closed_at is not None or now < week_end:
            return False
        timer_split_at_week_end(contract=contract, week_end=week_end)
        timesheet.refresh_from_db()
        timesheet_recount(timesheet)
        amount = amount_for(timesheet.billable_minutes, timesheet.hourly_rate_cents)
        timesheet.amount_cents = amount
        timesheet.client_fee_cents = fees.client_fee(amount)
        timesheet.closed_at = now
        timesheet.save(update_fields=["amount_cents", "client_fee_cents", "closed_at", "updated_at"])
        if amount == 0:
            transition(timesheet, S.APPROVED, note="Week closed with nothing billable: nothing to pay.")
        return True


# --- 2. Charge ---


def _charge_due(timesheet: Timesheet, now: dt.datetime) -> bool:
    first = timesheet.status == S.OPEN and timesheet.closed_at is not None and timesheet.amount_cents > 0
    retry = timesheet.status == S.PAYMENT_FAILED and timesheet.next_charge_at and timesheet.next_charge_at <= now
    return bool(first or retry)


def timesheet_charge(*, timesheet_id: int, now: dt.datetime) -> bool | None:
    """Charge a closed week if an attempt is due: True when charged now, False when it failed, None when there
    was nothing to do (or the outcome is not known yet: another worker's attempt, or the gateway did not answer;
    the settlement records it when it comes)."""
    with transaction.atomic():
        contract = _lock_contract_of(timesheet_id, select=("organization",))
        timesheet = lock(Timesheet.objects, pk=timesheet_id)
        if timesheet.charge_key:
            return None  # an attempt is at the gateway: its settlement records the outcome
        if not _charge_due(timesheet, now):
            return None
        timesheet.charge_attempts += 1
        timesheet.charge_key = charge_key(timesheet.pk, timesheet.charge_attempts)
        timesheet.save(update_fields=["charge_attempts", "charge_key", "updated_at"])
        try:
            with transaction.atomic():
                op = saga.begin_charge(
                    payer=contract.organization,
                    escrow_reference=contract.escrow_reference,
                    amount_cents=timesheet.amount_cents,
                    currency=timesheet.currency,
                    reference=ref(Kind.TIMESHEET, timesheet.pk),
                    idempotency_key=timesheet.charge_key,
                    description=f"{contract.title}: week of {timesheet.week_start:%d %b %Y}",
                    escrow_label=contract.title,
                )
        except DomainError as exc:
            if exc.code == "operation_in_progress":
                transaction.set_rollback(True)  # another attempt for this week is at the gateway: leave it be
                return None
            # Refused before reaching the gateway (no card on file): a failed attempt like a declined card.
            _record_failure(timesheet, detail=exc.detail, now=now)
            return False
    try:
        saga.execute(op)
    except DomainError as exc:
        if exc.code == "operation_in_progress" or exc.status == 503:
            return None
        return False
    return True


def _payment_settled(settled: saga.Settlement) -> None:
    """The saga settled a payment for a timesheet (registered for Kind.TIMESHEET), in the settling transaction."""
    op = settled.op
    if op.kind != OperationKind.CHARGE:
        return
    timesheet_id = pk_of(op.reference, Kind.TIMESHEET)
    _lock_contract_of(timesheet_id)
    timesheet = lock(Timesheet.objects.select_related("contract__freelancer"), pk=timesheet_id)
    succeeded = settled.succeeded
    if timesheet.charge_key != op.idempotency_key:
        if succeeded:  # not the attempt this week is waiting for: the saga gives the money back
            raise DomainError("timesheet_not_awaiting_charge", f"Timesheet {timesheet.pk} is {timesheet.status}.")
        return
    if succeeded:
        _record_charged(timesheet, now=timezone.now())
    else:
        _record_failure(timesheet, detail=settled.error_detail or "The payment failed.", now=timezone.now())


def _record_charged(timesheet: Timesheet, *, now: dt.datetime) -> None:
    _, week_end = week_bounds(timesheet.week_start)
    transition(
        timesheet,
        S.IN_REVIEW,
        note=f"Charged {format_money(timesheet.total_cents, timesheet.currency)}.",
        charge_key="",
        charge_error="",
        next_charge_at=None,
        charged_at=now,
        review_ends_at=week_end + dt.timedelta(days=settings.HOURLY_REVIEW_DAYS),
    )
    invoices.documents_issue(timesheet=timesheet, now=now)
    contract = timesheet.contract
    resumed = contract_resume_after_charge(contract_id=contract.pk)
    hours = hours_label(timesheet.billable_minutes)
    disputable = f"Hours can be disputed until {timesheet.review_ends_at:%a %d %b %H:%M} UTC."
    tell_both(
        contract=contract,
        kind="timesheet_closed",
        perm=OrgPerm.APPROVE_PAYMENTS,
        title=f"Week of {timesheet.week_start:%d %b %Y} on “{contract.title}”: {hours} h billed, "
        f"{format_money(timesheet.total_cents, timesheet.currency)} charged",
        body="The contract is active again." if resumed else disputable,
    )


def _record_failure(timesheet: Timesheet, *, detail: str, now: dt.datetime) -> None:
    """A failed attempt (the caller holds the contract's and the timesheet's locks): pause, tell, schedule."""
    retries_left = timesheet.charge_attempts <= settings.CHARGE_RETRY_DAYS
    next_at = now + dt.timedelta(days=1) if retries_left else None
    fields: dict[str, Any] = {"charge_key": "", "charge_error": detail[:255], "next_charge_at": next_at}
    if timesheet.status == S.OPEN:
        transition(timesheet, S.PAYMENT_FAILED, note=detail[:2000], **fields)
    else:
        for name, value in fields.items():
            setattr(timesheet, name, value)
        timesheet.save(update_fields=[*fields, "updated_at"])
    contract = Contract.objects.select_related("freelancer").get(pk=timesheet.contract_id)
    contract_pause_for_failed_charge(contract_id=contract.pk, detail=f"The weekly charge failed: {detail}")
    then = f"We will try again on {next_at:%a %d %b %H:%M} UTC." if next_at else "No more retries are scheduled."
    tell_both(
        contract=contract,
        kind="charge_failed",
        perm=OrgPerm.MANAGE_PAYMENT_METHODS,
        title=f"The charge for the week of {timesheet.week_start:%d %b %Y} on “{contract.title}” failed",
        body=f"{detail} The contract is paused: no time can be logged. {then}",
    )


def _dispute_settled(timesheet: Timesheet) -> bool:
    reference = ref(Kind.TIMESHEET, timesheet.pk)
    return Dispute.objects.filter(subject_reference=reference, status=Dispute.Status.RESOLVED).exists()


def _escrow_expected():
    """What each timesheet should hold in escrow, for the ledger check: what was charged and neither released nor
    refunded (a disputed part stays until its dispute settles it; then the client's part went back to the card)."""
    refunded = {
        pk_of(subject, Kind.TIMESHEET): client_cents
        for subject, client_cents in Dispute.objects.filter(
            milestone__isnull=True, status=Dispute.Status.RESOLVED
        ).values_list("subject_reference", "client_cents")
    }
    rows = Timesheet.objects.filter(charged_at__isnull=False).values_list("pk", "amount_cents", "released_cents")
    for pk, amount, released in rows.order_by("pk").iterator(chunk_size=2000):
        yield ref(Kind.TIMESHEET, pk), amount - released - refunded.get(pk, 0)


saga.register(Kind.TIMESHEET, on_settled=_payment_settled, expected_escrow=_escrow_expected)


# --- 3. Release ---


@transaction.atomic
def timesheet_release(*, timesheet_id: int, now: dt.datetime) -> bool:
    """After the review: release the undisputed amount (one ledger move in this transaction). True when this
    call released it."""
    _lock_contract_of(timesheet_id)
    timesheet = lock(Timesheet.objects.select_related("contract__freelancer"), pk=timesheet_id)
    ends = timesheet.review_ends_at
    due = timesheet.status in (S.IN_REVIEW, S.DISPUTED) and timesheet.released_at is None
    if not due or ends is None or now < ends:
        return False
    contract = timesheet.contract
    amount = timesheet.amount_cents - timesheet.disputed_cents
    if amount > 0:
        saga.release(
            escrow_reference=contract.escrow_reference,
            payee=Owner.of_user(contract.freelancer),
            amount_cents=amount,
            currency=timesheet.currency,
            reference=ref(Kind.TIMESHEET, timesheet.pk),
            idempotency_key=release_key(timesheet.pk),
            description=f"{contract.title}: week of {timesheet.week_start:%d %b %Y}",
        )
    # A dispute settled already counted the freelancer's part of the held hours.
    timesheet.released_cents, timesheet.released_at = timesheet.released_cents + amount, now
    timesheet.save(update_fields=["released_cents", "released_at", "updated_at"])
    if timesheet.status == S.IN_REVIEW:
        transition(timesheet, S.APPROVED, note="The review period ended without a dispute.")
        transition(timesheet, S.PAID, note=f"Released {format_money(amount, timesheet.currency)}.")
    elif _dispute_settled(timesheet):
        transition(timesheet, S.PAID, note=f"Released the undisputed {format_money(amount, timesheet.currency)}.")
    if amount:
        net, _ = fees.split_release(amount)
        available = (now + dt.timedelta(days=settings.SECURITY_HOLD_DAYS)).date()
        tell_both(
            contract=contract,
            kind="payment_released",
            perm=OrgPerm.APPROVE_PAYMENTS,
            title=f"Week of {timesheet.week_start:%d %b %Y} on “{contract.title}”: "
            f"{format_money(net, timesheet.currency)} released to the freelancer",
            body=f"Available to withdraw from {available:%d %b %Y}, after the security hold.",
        )
    return True
