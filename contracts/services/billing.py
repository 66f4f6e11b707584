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

Money calls go through `payments.services.escrow`, which commits on its own: each step claims its work under
the lock and commits, makes the call outside any transaction, then records the outcome under the lock again. A
crash in between leaves the claim, and the next run repeats the call with the same key (which moves no money
twice).
"""

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Contract, Timesheet
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
from kernel.refs import Kind, ref
from kernel.transitions import lock, transition
from payments import fees
from payments.services import escrow

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


# --- 1. Close ---


def timesheet_close(*, timesheet_id: int, now: dt.datetime) -> bool:
    """Fix an ended week's totals. True when this call closed it."""
    with transaction.atomic():
        contract_id = Timesheet.objects.filter(pk=timesheet_id).values_list("contract_id", flat=True).first()
        contract = lock(Contract.objects, pk=contract_id)
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


def _charge_claim(*, timesheet_id: int, now: dt.datetime) -> str | None:
    """Under the lock: the key of the attempt to make now (the one in flight if a crash left it), or None."""
    with transaction.atomic():
        timesheet = lock(Timesheet.objects, pk=timesheet_id)
        if timesheet.charge_key:
            return timesheet.charge_key
        first = timesheet.status == S.OPEN and timesheet.closed_at is not None and timesheet.amount_cents > 0
        retry = timesheet.status == S.PAYMENT_FAILED and timesheet.next_charge_at and timesheet.next_charge_at <= now
        if not (first or retry):
            return None
        timesheet.charge_attempts += 1
        timesheet.charge_key = charge_key(timesheet.pk, timesheet.charge_attempts)
        timesheet.save(update_fields=["charge_attempts", "charge_key", "updated_at"])
        return timesheet.charge_key


def timesheet_charge(*, timesheet_id: int, now: dt.datetime) -> bool | None:
    """Charge a closed week if an attempt is due: True when charged now, False when it failed, None when there
    was nothing to do (or another worker is making the same attempt)."""
    key = _charge_claim(timesheet_id=timesheet_id, now=now)
    if key is None:
        return None
    timesheet = Timesheet.objects.select_related("contract__organization").get(pk=timesheet_id)
    contract = timesheet.contract
    try:
        escrow.escrow_fund(
            organization=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=timesheet.amount_cents,
            currency=timesheet.currency,
            idempotency_key=key,
            reference=ref(Kind.TIMESHEET, timesheet.pk),
            description=f"{contract.title}: week of {timesheet.week_start:%d %b %Y}",
            escrow_label=contract.title,
        )
    except DomainError as exc:
        if exc.code == "operation_in_progress" or exc.status == 503:
            # Another worker is making this very attempt, or the gateway did not answer: the same key is kept,
            # and the next run (or reconcile) learns the outcome.
            return None
        _charge_failed(timesheet_id=timesheet_id, key=key, detail=exc.detail, now=now)
        return False
    return _charge_succeeded(timesheet_id=timesheet_id, key=key, now=now)


@transaction.atomic
def _charge_succeeded(*, timesheet_id: int, key: str, now: dt.datetime) -> bool:
    contract_id = Timesheet.objects.filter(pk=timesheet_id).values_list("contract_id", flat=True).first()
    lock(Contract.objects, pk=contract_id)
    timesheet = lock(Timesheet.objects.select_related("contract__freelancer"), pk=timesheet_id)
    if timesheet.charge_key != key:
        return False
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
    tell_both(
        contract=contract,
        kind="timesheet_closed",
        perm=OrgPerm.APPROVE_PAYMENTS,
        title=f"Week of {timesheet.week_start:%d %b %Y} on “{contract.title}”: {hours} h billed, "
        f"{format_money(timesheet.total_cents, timesheet.currency)} charged",
        body="The contract is active again." if resumed else "Hours can be disputed until Friday.",
    )
    return True


@transaction.atomic
def _charge_failed(*, timesheet_id: int, key: str, detail: str, now: dt.datetime) -> None:
    contract_id = Timesheet.objects.filter(pk=timesheet_id).values_list("contract_id", flat=True).first()
    lock(Contract.objects, pk=contract_id)
    timesheet = lock(Timesheet.objects.select_related("contract__freelancer"), pk=timesheet_id)
    if timesheet.charge_key != key:
        return
    retries_left = timesheet.charge_attempts <= settings.CHARGE_RETRY_DAYS
    next_at = now + dt.timedelta(days=1) if retries_left else None
    fields = {"charge_key": "", "charge_error": detail[:255], "next_charge_at": next_at}
    if timesheet.status == S.OPEN:
        transition(timesheet, S.PAYMENT_FAILED, note=detail[:2000], **fields)
    else:
        for name, value in fields.items():
            setattr(timesheet, name, value)
        timesheet.save(update_fields=[*fields, "updated_at"])
    contract = timesheet.contract
    contract_pause_for_failed_charge(contract_id=contract.pk, detail=f"The weekly charge failed: {detail}")
    then = f"We will try again on {next_at:%a %d %b %H:%M} UTC." if next_at else "No more retries are scheduled."
    tell_both(
        contract=contract,
        kind="charge_failed",
        perm=OrgPerm.MANAGE_PAYMENT_METHODS,
        title=f"The charge for the week of {timesheet.week_start:%d %b %Y} on “{contract.title}” failed",
        body=f"{detail} The contract is paused: no time can be logged. {then}",
    )


# --- 3. Release ---


def timesheet_release(*, timesheet_id: int, now: dt.datetime) -> bool:
    """After the review: release the undisputed amount. True when this call recorded it."""
    timesheet = Timesheet.objects.select_related("contract__freelancer").get(pk=timesheet_id)
    due = timesheet.status in (S.IN_REVIEW, S.DISPUTED) and timesheet.review_ends_at and timesheet.released_at is None
    if not due or now < timesheet.review_ends_at:
        return False
    amount = timesheet.amount_cents - timesheet.disputed_cents
    if amount > 0:
        escrow.escrow_release(
            escrow_reference=timesheet.contract.escrow_reference,
            freelancer=timesheet.contract.freelancer,
            amount_cents=amount,
            currency=timesheet.currency,
            idempotency_key=release_key(timesheet.pk),
            reference=ref(Kind.TIMESHEET, timesheet.pk),
            description=f"{timesheet.contract.title}: week of {timesheet.week_start:%d %b %Y}",
        )
    return _release_record(timesheet_id=timesheet_id, amount=amount, now=now)


@transaction.atomic
def _release_record(*, timesheet_id: int, amount: int, now: dt.datetime) -> bool:
    timesheet = lock(Timesheet.objects.select_related("contract__freelancer"), pk=timesheet_id)
    if timesheet.released_at is not None:
        return False
    timesheet.released_cents, timesheet.released_at = amount, now
    timesheet.save(update_fields=["released_cents", "released_at", "updated_at"])
    if timesheet.status == S.IN_REVIEW:
        transition(timesheet, S.APPROVED, note="The review period ended without a dispute.")
        transition(timesheet, S.PAID, note=f"Released {format_money(amount, timesheet.currency)}.")
    if amount:
        net, _ = fees.split_release(amount)
        available = (now + dt.timedelta(days=settings.SECURITY_HOLD_DAYS)).date()
        tell_both(
            contract=timesheet.contract,
            kind="payment_released",
            perm=OrgPerm.APPROVE_PAYMENTS,
            title=f"Week of {timesheet.week_start:%d %b %Y} on “{timesheet.contract.title}”: "
            f"{format_money(net, timesheet.currency)} released to the freelancer",
            body=f"Available to withdraw from {available:%d %b %Y}, after the security hold.",
        )
    return True
