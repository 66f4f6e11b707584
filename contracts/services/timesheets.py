"""Timesheets: the week's terms, keeping a week's totals, reading weeks for a viewer, disputing hours.

A timesheet is made with the week's first time entry, on the terms that hold for that week (the latest terms
change not after it), and its totals are recounted under its row lock by every change to its entries.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Contract, TimeEntry, Timesheet
from contracts.services import disputes
from contracts.services._common import notify_client, require_contract_client, require_party
from contracts.services.weeks import (
    DayTotal,
    Interval,
    amount_for,
    day_totals,
    week_start_of,
    zone_of,
)
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import format_money
from kernel.refs import Kind, ref
from kernel.transitions import lock, transition
from payments import fees

S = Timesheet.Status


@dataclass(frozen=True)
class WeekTerms:
    hourly_rate_cents: int
    weekly_limit_hours: int


def terms_for_week(contract: Contract, week_start: dt.date) -> WeekTerms:
    change = contract.terms_changes.filter(week_start__lte=week_start).order_by("-week_start").first()
    if change is not None:
        return WeekTerms(change.hourly_rate_cents, change.weekly_limit_hours)
    if contract.hourly_rate_cents is None or contract.weekly_limit_hours is None:
        raise DomainError("contract_not_hourly", "Weeks are billed on hourly contracts only.")
    return WeekTerms(contract.hourly_rate_cents, contract.weekly_limit_hours)


def timesheet_for_week(*, contract: Contract, week_start: dt.date) -> Timesheet:
    """The contract's timesheet of that week, locked, made on the week's terms if it is the first entry's.
    Call inside a transaction holding the contract's row lock (which serializes its creation)."""
    terms = terms_for_week(contract, week_start)
    timesheet, _ = Timesheet.objects.get_or_create(
        contract=contract,
        week_start=week_start,
        defaults={
            "hourly_rate_cents": terms.hourly_rate_cents,
            "weekly_limit_hours": terms.weekly_limit_hours,
            "currency": contract.currency,
        },
    )
    return lock(Timesheet.objects, pk=timesheet.pk)


def intervals_of(entries) -> list[Interval]:
    return [Interval(e.started_at, e.ended_at) for e in entries if e.ended_at is not None]


def timesheet_recount(timesheet: Timesheet) -> None:
    """Recount a locked open timesheet's totals from its finished entries."""
    intervals = intervals_of(timesheet.entries.all())
    total = sum(i.minutes for i in intervals)
    timesheet.total_minutes = total
    timesheet.billable_minutes = min(total, timesheet.weekly_limit_hours * 60)
    timesheet.save(update_fields=["total_minutes", "billable_minutes", "updated_at"])


# --- Reads ---


def timesheets_of(*, user, contract_id: int) -> QuerySet[Timesheet]:
    """The contract's timesheets, newest week first, for a party to it (anyone else: NotFound)."""
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    require_party(user=user, contract=contract)
    return Timesheet.objects.filter(contract=contract).select_related("contract")


def timesheet_get(*, user, timesheet_id: int) -> Timesheet:
    timesheet = (
        Timesheet.objects.select_related("contract__organization", "contract__freelancer")
        .prefetch_related("entries", "documents", "events__actor")
        .filter(pk=timesheet_id)
        .first()
    )
    if timesheet is None:
        raise NotFound()
    require_party(user=user, contract=timesheet.contract)
    return timesheet


@dataclass
class WeekView:
    """A week as one viewer reads it: per-day totals in their own zone, amounts as they stand."""

    timesheet: Timesheet | None
    week_start: dt.date
    days: list[DayTotal]
    total_minutes: int
    billable_minutes: int
    hourly_rate_cents: int
    weekly_limit_hours: int
    amount_cents: int
    client_fee_cents: int
    zone_name: str
    running_entry: TimeEntry | None = None

    @property
    def unbilled_minutes(self) -> int:
        return self.total_minutes - self.billable_minutes


def week_view(*, contract: Contract, week_start: dt.date, viewer, timesheet: Timesheet | None = None) -> WeekView:
    """The week for `viewer` (already checked to be a party). An open week's amounts are an estimate."""
    if timesheet is None:
        timesheet = Timesheet.objects.filter(contract=contract, week_start=week_start).first()
    zone = zone_of(viewer.timezone_name)
    if timesheet is None:
        terms = terms_for_week(contract, week_start)
        return WeekView(None, week_start, [], 0, 0, terms.hourly_rate_cents, terms.weekly_limit_hours, 0, 0, zone.key)
    entries = list(timesheet.entries.all())
    days = day_totals(intervals_of(entries), limit_minutes=timesheet.weekly_limit_hours * 60, zone=zone)
    if timesheet.closed_at:
        amount, fee = timesheet.amount_cents, timesheet.client_fee_cents
    else:
        amount = amount_for(timesheet.billable_minutes, timesheet.hourly_rate_cents)
        fee = fees.client_fee(amount)
    running = next((e for e in entries if e.ended_at is None), None)
    return WeekView(
        timesheet,
        week_start,
        days,
        timesheet.total_minutes,
        timesheet.billable_minutes,
        timesheet.hourly_rate_cents,
        timesheet.weekly_limit_hours,
        amount,
        fee,
        zone.key,
        running,
    )


def current_week_start(now: dt.datetime | None = None) -> dt.date:
    return week_start_of(now or timezone.now())


# --- Disputing hours in the review period ---


def _review_refusal(timesheet: Timesheet) -> str:
    if timesheet.review_ends_at is not None:
        return f"The review ended on {timesheet.review_ends_at:%a %d %b %H:%M} UTC: these hours cannot be disputed."
    days = settings.HOURLY_REVIEW_DAYS
    return f"Hours can be disputed once the week is charged, for {days} days from the Monday it closes."


@transaction.atomic
def timesheet_dispute(*, actor, timesheet_id: int, minutes: int, reason: str, now: dt.datetime | None = None):
    """A client member who approves payments disputes `minutes` of a week's billable time in its review (from
    the charge on the Monday it closed until settings.HOURLY_REVIEW_DAYS after that Monday): a dispute opens
    (contracts.services.disputes) and holds their amount in escrow, so the release at the end of the review
    takes only the rest; the dispute's resolution settles the held part."""
    now = now or timezone.now()
    contract_id = Timesheet.objects.filter(pk=timesheet_id).values_list("contract_id", flat=True).first()
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    timesheet = lock(Timesheet.objects, pk=timesheet_id)
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.APPROVE_PAYMENTS)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason_required", "Say which hours you dispute and why.", errors={"reason": ["Required."]})
    if not isinstance(minutes, int) or minutes <= 0 or minutes % 10 or minutes > timesheet.billable_minutes:
        raise InvalidInput(
            "minutes_invalid",
            "Dispute a whole number of 10-minute segments, at most the week's billable time.",
            errors={"minutes": ["Out of range."]},
        )
    if timesheet.review_ends_at is None or now >= timesheet.review_ends_at:
        raise DomainError("review_over", _review_refusal(timesheet))
    disputed = amount_for(minutes, timesheet.hourly_rate_cents)
    transition(
        timesheet,
        S.DISPUTED,
        actor=actor,
        note=reason[:5000],
        refusal=("not_in_review", "Only a week in review can be disputed."),
        disputed_minutes=minutes,
        disputed_cents=min(disputed, timesheet.amount_cents),
        dispute_reason=reason[:2000],
    )
    # Frozen in escrow: the release at the end of the review cannot take it; the dispute settles it.
    dispute = disputes.dispute_open_hours(actor=actor, contract=contract, timesheet=timesheet, reason=reason, now=now)
    held = timesheet.disputed_cents + fees.client_fee(timesheet.disputed_cents)
    notify_client(
        organization_id=contract.organization_id,
        perm=OrgPerm.APPROVE_PAYMENTS,
        kind="timesheet_disputed",
        title=f"Hours disputed on “{contract.title}”: {format_money(held, timesheet.currency)} held in escrow",
        url=disputes.dispute_url(dispute),
        reference=ref(Kind.TIMESHEET, timesheet.pk),
    )
    return timesheet


def timesheet_url(timesheet: Timesheet) -> str:
    return reverse("contracts:timesheet_detail", args=[timesheet.pk])
