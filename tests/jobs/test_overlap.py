"""The one overlap function: right across midnight and the date line, in any zone."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from jobs.overlap import overlap_hours, overlap_minutes, window_to_utc


def minute_by_minute(a_start, a_len, b_start, b_len) -> int:
    a = {(a_start + i) % 1440 for i in range(a_len)}
    b = {(b_start + i) % 1440 for i in range(b_len)}
    return len(a & b)


@given(
    a_start=st.integers(0, 1439),
    a_len=st.integers(0, 1440),
    b_start=st.integers(0, 1439),
    b_len=st.integers(0, 1440),
)
def test_overlap_equals_a_minute_by_minute_count(a_start, a_len, b_start, b_len):
    assert overlap_minutes(a_start, a_len, b_start, b_len) == minute_by_minute(a_start, a_len, b_start, b_len)


def test_windows_that_cross_midnight_utc_share_the_minutes_after_midnight():
    # 22:00–02:00 UTC and 01:00–05:00 UTC share one hour.
    assert overlap_minutes(22 * 60, 240, 60, 240) == 60


def test_auckland_morning_meets_los_angeles_afternoon_across_the_date_line():
    on = dt.date(2026, 1, 15)  # Auckland on daylight time (+13), Los Angeles on standard time (-8)
    auckland = window_to_utc(start=dt.time(9), end=dt.time(17), tz_name="Pacific/Auckland", on=on)
    los_angeles = window_to_utc(start=dt.time(9), end=dt.time(17), tz_name="America/Los_Angeles", on=on)
    assert auckland == (20 * 60, 480)  # 09:00 +13 is 20:00 UTC the day before
    assert los_angeles == (17 * 60, 480)
    assert overlap_hours(*auckland, *los_angeles) == 5.0


def test_a_night_shift_window_ending_after_midnight_has_the_right_length():
    assert window_to_utc(start=dt.time(22), end=dt.time(6), tz_name="UTC", on=dt.date(2026, 6, 1)) == (1320, 480)


def test_daylight_saving_moves_the_utc_start():
    winter = window_to_utc(start=dt.time(9), end=dt.time(17), tz_name="Europe/Lisbon", on=dt.date(2026, 1, 10))
    summer = window_to_utc(start=dt.time(9), end=dt.time(17), tz_name="Europe/Lisbon", on=dt.date(2026, 7, 10))
    assert winter == (540, 480)
    assert summer == (480, 480)
