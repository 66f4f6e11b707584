"""The work diary: the timer and manual entries of an hourly contract.

Rules: time only on an active hourly contract, by its freelancer, in the current billing week, on or after the
contract's start date, never in the future, in whole 10-minute segments, never overlapping the freelancer's other
time on any contract; at most one running timer per freelancer (the database holds that too). Entries of the
current week may be edited or deleted until it ends. Hours past the weekly limit are recorded, not billed.

Locks, always in this order: the contract, the freelancer's user row (which serializes one freelancer's time across
contracts, tabs and devices), then the timesheet.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.models import Contract, TimeEntry, Timesheet
from contracts.services._common import require_freelancer, require_party
from contracts.services.timesheets import timesheet_for_week, timesheet_recount
from contracts.services.weeks import (
    SEGMENT,
    ceil_segment,
    floor_segment,
    on_segment,
    week_bounds,
    week_start_of,
)
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.transitions import lock

MEMO_MAX = 500


def _contract_for_time(*, actor, contract_id: int) -> Contract:
    """The contract locked, the actor its freelancer, and time still allowed on it."""
    contract = lock(Contract.objects, pk=contract_id)
    require_freelancer(user=actor, contract=contract)
    if not contract.is_hourly:
        raise DomainError("contract_not_hourly", "Time is logged on hourly contracts only.")
    if contract.status != Contract.Status.ACTIVE:
        details: dict[str, str] = {
            Contract.Status.PAUSED: "This contract is paused: no time can be logged until the client resumes it.",
            Contract.Status.ENDED: "This contract has ended: no more time can be logged.",
        }
        raise DomainError("contract_not_active", details[contract.status])
    lock(get_user_model().objects, pk=contract.freelancer_id)
    return contract


def _clean_memo(memo: str) -> str:
    memo = (memo or "").strip()
    if len(memo) > MEMO_MAX or "\x00" in memo:
        detail = f"Keep the memo under {MEMO_MAX} characters."
        raise InvalidInput("memo_invalid", detail, errors={"memo": [detail]})
    return memo


def _contract_start(contract: Contract) -> dt.datetime:
    return dt.datetime.combine(contract.start_date, dt.time(), tzinfo=dt.UTC)


def _overlapping(*, freelancer_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime, exclude=None):
    """The freelancer's first entry (any contract) sharing time with [start, end); a running timer runs to now."""
    mine = TimeEntry.objects.filter(freelancer_id=freelancer_id, started_at__lt=end).select_related("contract")
    if exclude is not None:
        mine = mine.exclude(pk=exclude)
    clash = mine.filter(ended_at__gt=start).order_by("started_at").first()
    if clash is not None:
        return clash
    running = mine.filter(ended_at__isnull=True).first()
    if running is not None and max(now, running.started_at + SEGMENT) > start:
        return running
    return None


def _check_manual(*, contract: Contract, start: dt.datetime, end: dt.datetime, now: dt.datetime, exclude=None):
    errors: dict[str, list[str]] = {}
    for name, moment in (("started_at", start), ("ended_at", end)):
        if moment.tzinfo is None:
            errors[name] = ["Give the time with its zone offset."]
        elif not on_segment(moment):
            errors[name] = ["Time is logged in 10-minute segments: use :00, :10, :20, :30, :40 or :50."]
    if errors:
        raise InvalidInput("time_invalid", "Check the times.", errors=errors)
    if end <= start:
        raise InvalidInput("end_before_start", "The end must be after the start.", errors={"ended_at": ["Too early."]})
    if end > now:
        raise InvalidInput("future_time", "Time cannot be logged ahead: the end is in the future.")
    week_start, _ = week_bounds(week_start_of(now))
    if start < week_start:
        raise InvalidInput(
            "outside_week",
            f"Only this billing week's time can be added (from Monday {week_start:%d %b %Y} 00:00 UTC).",
        )
    if start < _contract_start(contract):
        raise InvalidInput(
            "before_start_date", f"The contract starts on {contract.start_date:%d %b %Y}: log time from then on."
        )
    clash = _overlapping(freelancer_id=contract.freelancer_id, start=start, end=end, now=now, exclude=exclude)
    if clash is not None:
        when = f"{clash.started_at:%a %d %b %H:%M} UTC"
        detail = f"That overlaps time already logged from {when} on “{clash.contract.title}”."
        raise DomainError("time_overlaps", detail)


@dataclass
class Logged:
    """What a write left: the entry and the week's totals, so the page can say when time went past the limit."""

    entry: TimeEntry
    timesheet: Timesheet
    unbilled_minutes: int


def _logged(entry: TimeEntry, timesheet: Timesheet, before_unbilled: int) -> Logged:
    timesheet_recount(timesheet)
    unbilled = timesheet.total_minutes - timesheet.billable_minutes
    return Logged(entry, timesheet, max(unbilled - before_unbilled, 0))


@transaction.atomic
def entry_add(
    *, actor, contract_id: int, started_at: dt.datetime, ended_at: dt.datetime, memo: str = "", now=None
) -> Logged:
    """A manual entry [started_at, ended_at) on the contract."""
    now = now or timezone.now()
    contract = _contract_for_time(actor=actor, contract_id=contract_id)
    memo = _clean_memo(memo)
    _check_manual(contract=contract, start=started_at, end=ended_at, now=now)
    timesheet = timesheet_for_week(contract=contract, week_start=week_start_of(started_at))
    before = timesheet.total_minutes - timesheet.billable_minutes
    entry = TimeEntry.objects.create(
        contract=contract,
        timesheet=timesheet,
        freelancer_id=contract.freelancer_id,
        started_at=started_at,
        ended_at=ended_at,
        memo=memo,
        source=TimeEntry.Source.MANUAL,
    )
    return _logged(entry, timesheet, before)


def _entry_for_change(*, actor, entry_id: int, now: dt.datetime) -> TimeEntry:
    contract_id = TimeEntry.objects.filter(pk=entry_id).values_list("contract_id", flat=True).first()
    if contract_id is None:
        raise NotFound()
    contract = lock(Contract.objects, pk=contract_id)
    require_freelancer(user=actor, contract=contract)
    lock(get_user_model().objects, pk=contract.freelancer_id)
    entry = lock(TimeEntry.objects.select_related("timesheet"), pk=entry_id)
    entry.contract = contract
    if entry.timesheet.week_start != week_start_of(now) or entry.timesheet.status != Timesheet.Status.OPEN:
        raise DomainError("week_closed", "That week has ended: its time can no longer be changed.")
    return entry


@transaction.atomic
def entry_update(
    *, actor, entry_id: int, started_at: dt.datetime, ended_at: dt.datetime, memo: str = "", now=None
) -> Logged:
    """Change a finished entry of the current week (stop a running timer first)."""
    now = now or timezone.now()
    entry = _entry_for_change(actor=actor, entry_id=entry_id, now=now)
    if entry.ended_at is None:
        raise DomainError("timer_running", "Stop the timer before changing its times.")
    if entry.contract.status != Contract.Status.ACTIVE:
        raise DomainError("contract_not_active", "This contract is not active: its time cannot be changed.")
    memo = _clean_memo(memo)
    _check_manual(contract=entry.contract, start=started_at, end=ended_at, now=now, exclude=entry.pk)
    timesheet = lock(Timesheet.objects, pk=entry.timesheet_id)
    before = timesheet.total_minutes - timesheet.billable_minutes
    entry.started_at, entry.ended_at, entry.memo = started_at, ended_at, memo
    entry.save(update_fields=["started_at", "ended_at", "memo", "updated_at"])
    return _logged(entry, timesheet, before)


@transaction.atomic
def entry_delete(*, actor, entry_id: int, now=None) -> None:
    """Delete an entry of the current week (a running timer is discarded)."""
    now = now or timezone.now()
    entry = _entry_for_change(actor=actor, entry_id=entry_id, now=now)
    timesheet = lock(Timesheet.objects, pk=entry.timesheet_id)
    entry.delete()
    timesheet_recount(timesheet)


# --- The timer ---


def running_timer(*, user) -> TimeEntry | None:
    """The user's running timer on any contract."""
    if not user.is_authenticated:
        return None
    return TimeEntry.objects.filter(freelancer=user, ended_at__isnull=True).select_related("contract").first()


@transaction.atomic
def timer_start(*, actor, contract_id: int, memo: str = "", now=None) -> TimeEntry:
    """Start the timer on the contract, from the segment `now` is in (or the end of the freelancer's last entry
    when that is later). A second start of the same timer returns it; a timer on another contract is refused."""
    now = now or timezone.now()
    contract = _contract_for_time(actor=actor, contract_id=contract_id)
    memo = _clean_memo(memo)
    running = TimeEntry.objects.filter(freelancer_id=actor.pk, ended_at__isnull=True).select_related("contract").first()
    if running is not None:
        if running.contract_id == contract.pk:
            return running
        raise DomainError(
            "timer_running_elsewhere",
            f"Your timer is running on “{running.contract.title}”: stop it there first.",
        )
    start = floor_segment(now)
    if start < _contract_start(contract):
        raise DomainError("before_start_date", f"The contract starts on {contract.start_date:%d %b %Y}.")
    latest_end = (
        TimeEntry.objects.filter(freelancer_id=actor.pk, ended_at__gt=start)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    if latest_end is not None:
        if latest_end > ceil_segment(now):
            raise DomainError("time_overlaps", "Time is already logged up to later than now.")
        start = latest_end
    timesheet = timesheet_for_week(contract=contract, week_start=week_start_of(start))
    try:
        with transaction.atomic():
            return TimeEntry.objects.create(
                contract=contract,
                timesheet=timesheet,
                freelancer_id=actor.pk,
                started_at=start,
                memo=memo,
                source=TimeEntry.Source.TIMER,
            )
    except IntegrityError:
        raise DomainError("timer_running_elsewhere", "Your timer is already running.") from None


def _close_running(entry: TimeEntry, *, until: dt.datetime) -> list[Timesheet]:
    """End a running entry at `until` (a segment boundary), split at each week's end: each week's part belongs to
    its own timesheet. Returns the timesheets touched, locked and recounted. Call holding the contract's and the
    freelancer's locks."""
    touched = []
    contract = entry.contract
    while True:
        _, week_end = week_bounds(week_start_of(entry.started_at))
        end = min(until, week_end)
        if end <= entry.started_at:
            entry.delete()
            break
        entry.ended_at = end
        entry.save(update_fields=["ended_at", "updated_at"])
        touched.append(lock(Timesheet.objects, pk=entry.timesheet_id))
        if until <= week_end:
            break
        next_sheet = timesheet_for_week(contract=contract, week_start=week_start_of(week_end))
        entry = TimeEntry.objects.create(
            contract=contract,
            timesheet=next_sheet,
            freelancer_id=entry.freelancer_id,
            started_at=week_end,
            memo=entry.memo,
            source=entry.source,
        )
    for timesheet in touched:
        timesheet_recount(timesheet)
    return touched


@transaction.atomic
def timer_stop(*, actor, contract_id: int, now=None) -> Logged | None:
    """Stop the running timer at the end of the segment `now` is in (at least one segment). None when no timer
    was running there (a second tab's stop, a double click)."""
    now = now or timezone.now()
    contract = lock(Contract.objects, pk=contract_id)
    require_freelancer(user=actor, contract=contract)
    lock(get_user_model().objects, pk=actor.pk)
    entry = TimeEntry.objects.filter(contract=contract, ended_at__isnull=True).select_for_update().first()
    if entry is None:
        return None
    entry.contract = contract
    before_sheet = Timesheet.objects.get(pk=entry.timesheet_id)
    before = before_sheet.total_minutes - before_sheet.billable_minutes
    touched = _close_running(entry, until=max(ceil_segment(now), entry.started_at + SEGMENT))
    last = touched[-1]
    return Logged(entry, last, max(last.total_minutes - last.billable_minutes - before, 0))


def timers_stop_for_contract(*, contract: Contract, at: dt.datetime) -> None:
    """Stop a running timer on a contract that is being paused or ended (caller holds the contract's lock)."""
    entry = TimeEntry.objects.filter(contract=contract, ended_at__isnull=True).select_for_update().first()
    if entry is None:
        return
    lock(get_user_model().objects, pk=contract.freelancer_id)
    entry.contract = contract
    _close_running(entry, until=max(ceil_segment(at), entry.started_at + SEGMENT))


def timer_split_at_week_end(*, contract: Contract, week_end: dt.datetime) -> None:
    """At closing: a timer still running from the closed week keeps running, but the closed week gets its part
    up to Sunday 23:59 (caller holds the contract's lock)."""
    entry = (
        TimeEntry.objects.filter(contract=contract, ended_at__isnull=True, started_at__lt=week_end)
        .select_for_update()
        .first()
    )
    if entry is None:
        return
    lock(get_user_model().objects, pk=contract.freelancer_id)
    entry.ended_at = week_end
    entry.save(update_fields=["ended_at", "updated_at"])
    timesheet_recount(lock(Timesheet.objects, pk=entry.timesheet_id))
    TimeEntry.objects.create(
        contract=contract,
        timesheet=timesheet_for_week(contract=contract, week_start=week_start_of(week_end)),
        freelancer_id=entry.freelancer_id,
        started_at=week_end,
        memo=entry.memo,
        source=entry.source,
    )


def entry_get(*, user, entry_id: int) -> TimeEntry:
    """One entry for a party to its contract (anyone else: NotFound)."""
    entry = TimeEntry.objects.select_related("contract", "timesheet").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound()
    require_party(user=user, contract=entry.contract)
    return entry


def entries_of(*, user, contract_id: int):
    """A party's read of the contract's entries, newest first."""
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    require_party(user=user, contract=contract)
    return TimeEntry.objects.filter(contract=contract).select_related("timesheet").order_by("-started_at", "-id")
