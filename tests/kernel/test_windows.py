"""The one working-window module: UTC intervals with the real offset at each end, overlap on the 1,440-minute
circle, one display, one rule for the window's length."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import InvalidInput
from kernel.windows import UtcWindow, check_window, format_duration, overlap_minutes, to_utc, wall_minutes

ZONES = ["UTC", "Europe/Lisbon", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "Australia/Lord_Howe"]


def minute_by_minute(a: UtcWindow, b: UtcWindow) -> int:
    first = {(a.start_minute + i) % 1440 for i in range(a.minutes)}
    second = {(b.start_minute + i) % 1440 for i in range(b.minutes)}
    return len(first & second)


windows = st.builds(UtcWindow, st.integers(0, 1439), st.integers(0, 1440))


@given(a=windows, b=windows)
def test_overlap_equals_a_minute_by_minute_count(a, b):
    assert overlap_minutes(a, b) == minute_by_minute(a, b) == overlap_minutes(b, a)


def test_windows_that_cross_midnight_utc_share_the_minutes_after_midnight():
    assert overlap_minutes(UtcWindow(22 * 60, 240), UtcWindow(60, 240)) == 60


def test_auckland_morning_meets_los_angeles_afternoon_across_the_date_line():
    on = dt.date(2026, 1, 15)  # Auckland on daylight time (+13), Los Angeles on standard time (-8)
    auckland = to_utc(timezone="Pacific/Auckland", start=dt.time(9), end=dt.time(17), on=on)
    los_angeles = to_utc(timezone="America/Los_Angeles", start=dt.time(9), end=dt.time(17), on=on)
    assert auckland == UtcWindow(20 * 60, 480)  # 09:00 +13 is 20:00 UTC the day before
    assert los_angeles == UtcWindow(17 * 60, 480)
    assert overlap_minutes(auckland, los_angeles) == 300


def test_a_night_window_ending_after_midnight_has_its_length():
    assert to_utc(timezone="UTC", start=dt.time(22), end=dt.time(6), on=dt.date(2026, 6, 1)) == UtcWindow(1320, 480)


def test_daylight_saving_moves_the_utc_start_with_the_seasons():
    winter = to_utc(timezone="Europe/Lisbon", start=dt.time(9), end=dt.time(17), on=dt.date(2026, 1, 10))
    summer = to_utc(timezone="Europe/Lisbon", start=dt.time(9), end=dt.time(17), on=dt.date(2026, 7, 10))
    assert (winter, summer) == (UtcWindow(540, 480), UtcWindow(480, 480))


@pytest.mark.parametrize(
    ("zone", "night", "start", "end", "minutes"),
    [
        # Spring forward inside the window: the night shift is an hour shorter in real time.
        ("Europe/Lisbon", dt.date(2026, 3, 28), dt.time(22), dt.time(6), 7 * 60),
        ("America/New_York", dt.date(2026, 3, 7), dt.time(22), dt.time(6), 7 * 60),
        # Fall back inside the window: an hour longer.
        ("Europe/Lisbon", dt.date(2026, 10, 24), dt.time(22), dt.time(6), 9 * 60),
        ("America/New_York", dt.date(2026, 10, 31), dt.time(22), dt.time(6), 9 * 60),
        # Lord Howe moves by 30 minutes.
        ("Australia/Lord_Howe", dt.date(2026, 4, 4), dt.time(22), dt.time(6), 8 * 60 + 30),
    ],
)
def test_a_window_spanning_a_dst_change_uses_the_offset_at_each_end(zone, night, start, end, minutes):
    window = to_utc(timezone=zone, start=start, end=end, on=night)
    assert window.minutes == minutes
    opens = dt.datetime.combine(night, start, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)
    assert window.start_minute == opens.hour * 60 + opens.minute


@given(
    zone=st.sampled_from(ZONES),
    on=st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    length=st.integers(1, 16 * 60),
)
def test_to_utc_agrees_with_the_real_instants_at_both_ends(zone, on, start, length):
    tz = zoneinfo.ZoneInfo(zone)
    end = (dt.datetime.combine(on, start) + dt.timedelta(minutes=length)).time()
    window = to_utc(timezone=zone, start=start, end=end, on=on)
    opens = dt.datetime.combine(on, start, tzinfo=tz)
    closes = dt.datetime.combine(on if end > start else on + dt.timedelta(days=1), end, tzinfo=tz)
    real = int((closes.astimezone(dt.UTC) - opens.astimezone(dt.UTC)).total_seconds() // 60)
    assert window.minutes == max(1, min(real, 1440))
    assert window.start_minute == opens.astimezone(dt.UTC).hour * 60 + opens.astimezone(dt.UTC).minute
    assert abs(window.minutes - wall_minutes(start, end)) <= 60  # a DST change moves an end by at most an hour


def test_one_rule_for_a_windows_length(settings):
    check_window(dt.time(22), dt.time(6))
    check_window(dt.time(6), dt.time(22))  # exactly 16 h
    with pytest.raises(InvalidInput) as exc:
        check_window(dt.time(9), dt.time(9))
    assert (exc.value.code, list(exc.value.errors)) == ("empty_window", ["work_end"])
    with pytest.raises(InvalidInput) as exc:
        check_window(dt.time(6), dt.time(22, 1))
    assert exc.value.code == "window_too_long"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(195, "3 h 15 min"), (180, "3 h"), (45, "45 min"), (0, "0 h"), (1440, "24 h"), (None, "")],
)
def test_one_display_for_an_overlap(minutes, text):
    assert format_duration(minutes) == text


@given(st.integers(0, 1440))
def test_the_display_never_shows_a_decimal_and_reads_back_exactly(minutes):
    text = format_duration(minutes)
    assert "." not in text
    hours = int(text.split(" h")[0]) if " h" in text else 0
    rest = int(text.split(" min")[0].split()[-1]) if "min" in text else 0
    assert hours * 60 + rest == minutes


@pytest.mark.parametrize(
    ("zone", "start", "end", "on", "expected_start", "expected_minutes"),
    [
        ("Europe/Lisbon", "09:00", "17:00", dt.date(2026, 1, 15), 9 * 60, 480),  # winter: UTC+0
        ("Europe/Lisbon", "09:00", "17:00", dt.date(2026, 7, 15), 8 * 60, 480),  # summer: UTC+1
        ("Europe/Lisbon", "22:00", "06:00", dt.date(2026, 1, 15), 22 * 60, 480),  # crosses midnight
        ("America/New_York", "22:00", "06:00", dt.date(2026, 1, 15), 3 * 60, 480),  # crosses UTC midnight too
        ("Asia/Kolkata", "09:00", "17:00", dt.date(2026, 1, 15), 3 * 60 + 30, 480),  # half-hour offset
        ("Asia/Kolkata", "02:00", "10:00", dt.date(2026, 1, 15), 20 * 60 + 30, 480),  # starts the UTC day before
        ("Asia/Kathmandu", "09:00", "17:00", dt.date(2026, 1, 15), 3 * 60 + 15, 480),  # quarter-hour offset
        ("America/New_York", "01:00", "05:00", dt.date(2026, 3, 8), 6 * 60, 180),  # DST starts inside the window
    ],
)
def test_local_window_to_utc(zone, start, end, on, expected_start, expected_minutes):
    window = to_utc(timezone=zone, start=dt.time.fromisoformat(start), end=dt.time.fromisoformat(end), on=on)
    assert (window.start_minute, window.minutes) == (expected_start, expected_minutes)
