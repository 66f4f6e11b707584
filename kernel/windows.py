"""Working windows: a local working day (start–end in an IANA zone) as UTC minutes, the daily overlap of two of
them, and the one way an overlap is shown. Profiles, jobs, job search and the talent index all use this module.

- A window is stored as (UTC start minute 0..1439, length in real minutes). It is computed for one local date with
  the real UTC offset at each end, so a window that spans a daylight-saving change is an hour shorter or longer,
  and the stored start moves with the seasons (the owners refresh it: `profile_refresh_utc_window`,
  `job_windows_refresh`).
- End before start runs past midnight (22:00–06:00 is 8 h). End equal to start is refused, as is a window longer
  than settings.MAX_WORKING_WINDOW_MINUTES (16 h): one rule for profiles and jobs (`check_window`).
- Two windows overlap on the 1,440-minute circle, not a line: 22:00–02:00 and 01:00–05:00 UTC share an hour.
- An overlap reads in hours and minutes ("3 h 15 min"), never as a decimal ("3.2 h").
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone as dj_timezone

from kernel.errors import InvalidInput

MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class UtcWindow:
    start_minute: int  # minute of the UTC day the window opens, 0..1439
    minutes: int  # length in real minutes (a DST change inside the window makes it differ from the wall clock)


def wall_minutes(start: dt.time, end: dt.time) -> int:
    """Length on the wall clock; an end before the start crosses midnight; equal ends give 0."""
    return (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % MINUTES_PER_DAY


def check_window(start: dt.time, end: dt.time, *, field: str = "work_end") -> None:
    """The one rule for a working window (profiles and jobs): end ≠ start, at most MAX_WORKING_WINDOW_MINUTES."""
    if wall_minutes(start, end) == 0:
        raise InvalidInput("empty_window", errors={field: "Working hours must start and end at different times."})
    if wall_minutes(start, end) > settings.MAX_WORKING_WINDOW_MINUTES:
        hours = settings.MAX_WORKING_WINDOW_MINUTES // 60
        message = f"Working hours can span at most {hours} hours (a window may cross midnight, e.g. 22:00–06:00)."
        raise InvalidInput("window_too_long", errors={field: message})


def today_in(zone_name: str) -> dt.date:
    return dj_timezone.now().astimezone(zoneinfo.ZoneInfo(zone_name)).date()


def to_utc(*, timezone: str, start: dt.time, end: dt.time, on: dt.date | None = None) -> UtcWindow:
    """The window `start`–`end` in `timezone` on local date `on` (today there by default), in UTC minutes, with the
    offset in force at each end. A window with equal ends (refused by `check_window`) counts as a whole day."""
    zone = zoneinfo.ZoneInfo(timezone)
    on = on or today_in(timezone)
    start_local = dt.datetime.combine(on, start, tzinfo=zone)
    end_local = dt.datetime.combine(on if end > start else on + dt.timedelta(days=1), end, tzinfo=zone)
    start_utc, end_utc = start_local.astimezone(dt.UTC), end_local.astimezone(dt.UTC)
    minutes = int((end_utc - start_utc).total_seconds() // 60)
    return UtcWindow(start_minute=start_utc.hour * 60 + start_utc.minute, minutes=max(1, min(minutes, MINUTES_PER_DAY)))


def _linear(a_start: int, a_len: int, b_start: int, b_len: int) -> int:
    return max(0, min(a_start + a_len, b_start + b_len) - max(a_start, b_start))


def overlap_minutes(a: UtcWindow, b: UtcWindow) -> int:
    """Minutes per day both windows are open. Shifting one by a whole day either way and summing the three linear
    overlaps counts every shared minute once (each window is at most a day long)."""
    return sum(
        _linear(a.start_minute, a.minutes, b.start_minute + shift, b.minutes)
        for shift in (-MINUTES_PER_DAY, 0, MINUTES_PER_DAY)
    )


def format_duration(minutes: int | None) -> str:
    """The one display of an overlap or a window: 195 → "3 h 15 min", 180 → "3 h", 45 → "45 min", 0 → "0 h"."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{rest} min" if rest else f"{hours} h"
