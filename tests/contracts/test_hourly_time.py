"""The work diary's rules with the clock at chosen instants: the timer, manual time, weeks, zones, limits."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.models import ContractTermsChange, TimeEntry, Timesheet
from contracts.services import contracts as contract_services
from contracts.services import time_entries
from contracts.services.timesheets import week_view
from contracts.services.weeks import Interval, day_totals, zone_of
from kernel.errors import DomainError, NotFound
from tests.contracts.hourly_fixtures import W49, at, hourly_contract
from tests.factories import FreelancerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hourly(organization, freelancer, members):
    return hourly_contract(organization, freelancer)


def add(contract, start, end, memo="", user=None):
    return time_entries.entry_add(
        actor=user or contract.freelancer, contract_id=contract.pk, started_at=at(start), ended_at=at(end), memo=memo
    )


def refusal(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


# --- Manual entries ---


def test_manual_time_is_counted_in_the_weeks_timesheet(hourly, clock):
    clock("2026-12-02 18:00")
    logged = add(hourly, "2026-12-01 09:00", "2026-12-01 11:30", memo="API design")
    assert (logged.entry.minutes, logged.timesheet.week_start, logged.unbilled_minutes) == (150, W49, 0)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("2026-12-01 11:00", "2026-12-01 09:00", "end_before_start"),
        ("2026-12-01 09:00", "2026-12-01 09:00", "end_before_start"),
        ("2026-12-02 17:00", "2026-12-02 18:10", "future_time"),
        ("2026-12-01 09:05", "2026-12-01 10:00", "time_invalid"),
        ("2026-11-29 09:00", "2026-11-29 10:00", "outside_week"),
    ],
)
def test_bad_manual_entries_are_refused_with_a_clear_code(hourly, clock, start, end, code):
    clock("2026-12-02 18:00")
    assert refusal(lambda: add(hourly, start, end)) == code


def test_time_before_the_contracts_start_date_is_refused(organization, freelancer, members, clock):
    contract = hourly_contract(organization, freelancer)
    contract.start_date = dt.date(2026, 12, 2)
    contract.save()
    clock("2026-12-03 12:00")
    assert refusal(lambda: add(contract, "2026-12-01 09:00", "2026-12-01 10:00")) == "before_start_date"


def test_overlapping_time_is_refused_even_on_another_contract(hourly, organization, freelancer, clock):
    other = hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    add(hourly, "2026-12-01 09:00", "2026-12-01 11:00")
    assert refusal(lambda: add(hourly, "2026-12-01 10:00", "2026-12-01 12:00")) == "time_overlaps"
    assert refusal(lambda: add(other, "2026-12-01 08:00", "2026-12-01 09:10")) == "time_overlaps"
    add(other, "2026-12-01 11:00", "2026-12-01 12:00")  # touching is not overlapping


def test_time_on_someone_elses_contract_is_not_found(hourly, clock):
    stranger = FreelancerProfileFactory().user
    clock("2026-12-02 18:00")
    with pytest.raises(NotFound):
        add(hourly, "2026-12-01 09:00", "2026-12-01 10:00", user=stranger)


def test_the_client_cannot_log_time(hourly, members, clock):
    clock("2026-12-02 18:00")
    assert refusal(lambda: add(hourly, "2026-12-01 09:00", "2026-12-01 10:00", user=members["owner"])) == (
        "permission_denied"
    )


def test_entries_are_editable_until_the_week_ends_and_then_locked(hourly, clock):
    clock("2026-12-02 18:00")
    entry = add(hourly, "2026-12-01 09:00", "2026-12-01 10:00").entry
    time_entries.entry_update(
        actor=hourly.freelancer, entry_id=entry.pk, started_at=at("2026-12-01 09:00"), ended_at=at("2026-12-01 12:00")
    )
    assert Timesheet.objects.get().total_minutes == 180
    clock("2026-12-07 09:00")
    assert refusal(lambda: time_entries.entry_delete(actor=hourly.freelancer, entry_id=entry.pk)) == "week_closed"


def test_deleting_an_entry_recounts_the_week(hourly, clock):
    clock("2026-12-02 18:00")
    entry = add(hourly, "2026-12-01 09:00", "2026-12-01 10:00").entry
    time_entries.entry_delete(actor=hourly.freelancer, entry_id=entry.pk)
    assert Timesheet.objects.get().total_minutes == 0


def test_time_past_the_weekly_limit_is_recorded_but_not_billed(hourly, clock):
    clock("2026-12-04 20:00")
    add(hourly, "2026-11-30 09:00", "2026-11-30 16:00")
    logged = add(hourly, "2026-12-01 09:00", "2026-12-01 12:00")
    assert logged.unbilled_minutes == 120
    assert (logged.timesheet.total_minutes, logged.timesheet.billable_minutes) == (600, 480)


def test_paused_and_ended_contracts_refuse_time(hourly, members, clock):
    clock("2026-12-02 18:00")
    contract_services.contract_pause(actor=members["owner"], contract_id=hourly.pk, reason="Budget")
    assert refusal(lambda: add(hourly, "2026-12-01 09:00", "2026-12-01 10:00")) == "contract_not_active"
    contract_services.contract_resume(actor=members["owner"], contract_id=hourly.pk)
    add(hourly, "2026-12-01 09:00", "2026-12-01 10:00")
    contract_services.contract_end(actor=members["owner"], contract_id=hourly.pk, outcome="completed", reason="Done")
    assert refusal(lambda: time_entries.timer_start(actor=hourly.freelancer, contract_id=hourly.pk)) == (
        "contract_not_active"
    )


def test_pause_and_resume_leave_history_and_tell_the_freelancer(hourly, members, clock):
    from messaging.models import Notification

    clock("2026-12-02 18:00")
    contract_services.contract_pause(actor=members["owner"], contract_id=hourly.pk, reason="Budget review")
    contract_services.contract_resume(actor=members["owner"], contract_id=hourly.pk)
    events = list(hourly.events.values_list("from_status", "to_status", "note"))
    assert events[-2:] == [("active", "paused", "Budget review"), ("paused", "active", "")]
    kinds = set(Notification.objects.filter(user=hourly.freelancer).values_list("kind", flat=True))
    assert {"contract_paused", "contract_resumed"} <= kinds
    assert refusal(lambda: contract_services.contract_resume(actor=members["owner"], contract_id=hourly.pk)) == (
        "contract_not_paused"
    )
    assert refusal(
        lambda: contract_services.contract_pause(actor=hourly.freelancer, contract_id=hourly.pk, reason="")
    ) == ("permission_denied")


# --- The timer ---


def test_the_timer_runs_in_10_minute_segments_and_a_second_start_is_the_same_timer(hourly, clock):
    clock("2026-12-02 09:03")
    entry = time_entries.timer_start(actor=hourly.freelancer, contract_id=hourly.pk, memo="Bug")
    assert time_entries.timer_start(actor=hourly.freelancer, contract_id=hourly.pk).pk == entry.pk  # second tab
    assert entry.started_at == at("2026-12-02 09:00")
    clock("2026-12-02 10:12")
    logged = time_entries.timer_stop(actor=hourly.freelancer, contract_id=hourly.pk)
    assert (logged.entry.ended_at, logged.entry.minutes) == (at("2026-12-02 10:20"), 80)
    assert time_entries.timer_stop(actor=hourly.freelancer, contract_id=hourly.pk) is None  # the other tab's stop


def test_one_running_timer_per_freelancer_across_contracts(hourly, organization, freelancer, clock):
    other = hourly_contract(organization, freelancer)
    clock("2026-12-02 09:00")
    time_entries.timer_start(actor=freelancer, contract_id=hourly.pk)
    assert refusal(lambda: time_entries.timer_start(actor=freelancer, contract_id=other.pk)) == (
        "timer_running_elsewhere"
    )


def test_a_timer_across_the_week_boundary_is_split_at_sunday_2359_utc(hourly, clock):
    clock("2026-12-06 23:00")
    time_entries.timer_start(actor=hourly.freelancer, contract_id=hourly.pk)
    clock("2026-12-07 01:00")
    time_entries.timer_stop(actor=hourly.freelancer, contract_id=hourly.pk)
    parts = list(
        TimeEntry.objects.order_by("started_at").values_list("started_at", "ended_at", "timesheet__week_start")
    )
    assert parts == [
        (at("2026-12-06 23:00"), at("2026-12-07 00:00"), W49),
        (at("2026-12-07 00:00"), at("2026-12-07 01:00"), dt.date(2026, 12, 7)),
    ]


def test_pausing_stops_a_running_timer(hourly, members, clock):
    clock("2026-12-02 09:00")
    time_entries.timer_start(actor=hourly.freelancer, contract_id=hourly.pk)
    clock("2026-12-02 10:00")
    contract_services.contract_pause(actor=members["owner"], contract_id=hourly.pk, reason="")
    assert not TimeEntry.objects.filter(ended_at__isnull=True).exists()
    assert Timesheet.objects.get().total_minutes == 60


# --- Terms and zones ---


def test_a_rate_change_applies_from_the_next_week(hourly, members, clock):
    clock("2026-12-02 18:00")
    add(hourly, "2026-12-01 09:00", "2026-12-01 10:00")
    contract_services.contract_terms_change(
        actor=members["owner"], contract_id=hourly.pk, hourly_rate_cents=5000, weekly_limit_hours=10
    )
    add(hourly, "2026-12-02 09:00", "2026-12-02 10:00")
    assert Timesheet.objects.get(week_start=W49).hourly_rate_cents == 4000
    clock("2026-12-08 18:00")
    add(hourly, "2026-12-08 09:00", "2026-12-08 10:00")
    sheet = Timesheet.objects.get(week_start=dt.date(2026, 12, 7))
    assert (sheet.hourly_rate_cents, sheet.weekly_limit_hours) == (5000, 10)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Sunday 20:00–23:00 UTC is already Monday morning in Auckland (UTC+13 in December)...
        ("Pacific/Auckland", {dt.date(2026, 11, 30): 60, dt.date(2026, 12, 7): 180}),
        # ...and Monday 02:00 UTC is still Sunday evening in Honolulu (UTC−10).
        ("Pacific/Honolulu", {dt.date(2026, 11, 29): 60, dt.date(2026, 12, 6): 180}),
        ("UTC", {dt.date(2026, 11, 30): 60, dt.date(2026, 12, 6): 180}),
    ],
)
def test_per_day_totals_are_in_the_viewers_zone(hourly, clock, zone, expected):
    clock("2026-12-06 23:30")
    add(hourly, "2026-11-30 00:00", "2026-11-30 01:00")
    add(hourly, "2026-12-06 20:00", "2026-12-06 23:00")
    profile = hourly.freelancer.freelancer_profile
    profile.timezone = zone
    profile.save()
    viewer = type(hourly.freelancer).objects.get(pk=hourly.freelancer.pk)
    view = week_view(contract=hourly, week_start=W49, viewer=viewer)
    assert {d.date: d.minutes for d in view.days} == expected
    assert sum(d.minutes for d in view.days) == view.total_minutes == 240


def test_a_daylight_saving_change_in_the_week_keeps_the_days_adding_up():
    # Europe/Berlin leaves summer time on Sunday 25 Oct 2026 at 01:00 UTC: that local day has 25 hours.
    week = [Interval(at("2026-10-24 21:00"), at("2026-10-25 23:30"))]
    days = day_totals(week, limit_minutes=40 * 60, zone=zone_of("Europe/Berlin"))
    assert [(d.date.day, d.minutes) for d in days] == [(24, 60), (25, 25 * 60), (26, 30)]
    assert sum(d.minutes for d in days) == week[0].minutes


segments = st.integers(min_value=0, max_value=7 * 24 * 6 - 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spans=st.lists(st.tuples(segments, st.integers(min_value=1, max_value=36)), min_size=0, max_size=12),
    limit=st.integers(min_value=0, max_value=60),
    zone=st.sampled_from(["UTC", "Pacific/Auckland", "Pacific/Honolulu", "America/New_York", "Asia/Kolkata"]),
)
def test_random_entry_sequences_never_bill_past_the_limit_and_days_add_up(hourly, spans, limit, zone):
    """Random manual entries in one week through the services: the billable total never exceeds the limit, and the
    per-day totals (in any zone) add up to the week's."""
    import time_machine

    week_start = at("2026-11-30 00:00")
    with time_machine.travel(at("2026-12-06 23:59"), tick=False):
        TimeEntry.objects.filter(contract=hourly).delete()
        Timesheet.objects.filter(contract=hourly).delete()
        hourly.terms_changes.all().delete()
        ContractTermsChange.objects.create(
            contract=hourly, week_start=W49, hourly_rate_cents=4000, weekly_limit_hours=limit
        )
        for first, length in spans:
            start = week_start + dt.timedelta(minutes=10 * first)
            end = min(start + dt.timedelta(minutes=10 * length), at("2026-12-06 23:50"))
            if end <= start:
                continue
            try:
                time_entries.entry_add(actor=hourly.freelancer, contract_id=hourly.pk, started_at=start, ended_at=end)
            except DomainError as exc:
                assert exc.code == "time_overlaps"
        sheet = Timesheet.objects.filter(contract=hourly).first()
        if sheet is None:
            return
        entries = list(sheet.entries.all())
        assert sheet.total_minutes == sum(e.minutes for e in entries)
        assert sheet.billable_minutes <= sheet.weekly_limit_hours * 60
        days = day_totals(
            [Interval(e.started_at, e.ended_at) for e in entries],
            limit_minutes=sheet.weekly_limit_hours * 60,
            zone=zone_of(zone),
        )
        assert sum(d.minutes for d in days) == sheet.total_minutes
        assert sum(d.billable_minutes for d in days) == sheet.billable_minutes
