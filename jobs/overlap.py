"""Daily overlap of two working windows on the 1,440-minute clock, and the conversion of a local window to UTC.

A window is (UTC start minute, length in minutes). Two windows overlap on a circle, not a line: a window that
starts at 22:00 UTC and one that starts at 01:00 UTC share time after midnight. Shifting one window by a whole day
either way and summing the three linear overlaps counts every shared minute exactly once (each window is at most a
day long). This is the one implementation: job search, talent search and proposal review all use it.
"""

import datetime as dt
import zoneinfo

MINUTES_PER_DAY = 1440


def _linear(a_start: int, a_len: int, b_start: int, b_len: int) -> int:
    return max(0, min(a_start + a_len, b_start + b_len) - max(a_start, b_start))


def overlap_minutes(a_start: int, a_len: int, b_start: int, b_len: int) -> int:
    """Minutes per day both windows are open. Starts in [0, 1440), lengths in [0, 1440]."""
    return sum(_linear(a_start, a_len, b_start + shift, b_len) for shift in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY))


def overlap_hours(a_start: int, a_len: int, b_start: int, b_len: int) -> float:
    return round(overlap_minutes(a_start, a_len, b_start, b_len) / 60, 1)


def window_to_utc(*, start: dt.time, end: dt.time, tz_name: str, on: dt.date | None = None) -> tuple[int, int]:
    """(UTC start minute, length) of the local window start–end in `tz_name` on `on` (today by default).

    End before (or equal to) start means the window runs past midnight. The UTC offset is taken on the given day,
    so a daylight-saving change moves the UTC start; stored windows are refreshed when they are saved.
    """
    on = on or dt.datetime.now(dt.UTC).date()
    start_minute = start.hour * 60 + start.minute
    end_minute = end.hour * 60 + end.minute
    length = (end_minute - start_minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
    local = dt.datetime.combine(on, start, tzinfo=zoneinfo.ZoneInfo(tz_name))
    offset = local.utcoffset() or dt.timedelta(0)
    utc_start = (start_minute - int(offset.total_seconds() // 60)) % MINUTES_PER_DAY
    return utc_start, length
