"""The billing week and the arithmetic of hourly time: pure functions, no database writes.

A billing week runs Monday 00:00 to Sunday 23:59 UTC (an entry ends at most at the next Monday 00:00, exclusive).
Time counts in whole 10-minute segments. Which minutes are billable is decided in the order they were worked:
the first `weekly_limit_hours` of the week are, later ones are recorded but not billed.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.errors import InvalidInput

UTC = dt.UTC
SEGMENT = dt.timedelta(minutes=10)
WEEK = dt.timedelta(days=7)
_ISO_WEEK = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")


def week_start_of(moment: dt.datetime) -> dt.date:
    """The Monday (UTC) of the billing week `moment` falls in."""
    day = moment.astimezone(UTC).date()
    return day - dt.timedelta(days=day.weekday())


def week_bounds(week_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, next Monday 00:00) in UTC."""
    start = dt.datetime.combine(week_start, dt.time(), tzinfo=UTC)
    return start, start + WEEK


def parse_iso_week(text: str) -> dt.date:
    """ "2026-W49" → the Monday of that ISO week; InvalidInput for anything else."""
    match = _ISO_WEEK.fullmatch(text.strip())
    if match is None:
        raise InvalidInput("week_invalid", "Give a week as YYYY-Www, such as 2026-W49.")
    try:
        return dt.date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:
        raise InvalidInput("week_invalid", f"{text} is not a week of that year.") from None


def iso_week_label(week_start: dt.date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def floor_segment(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 10, second=0, microsecond=0)


def ceil_segment(moment: dt.datetime) -> dt.datetime:
    floored = floor_segment(moment)
    return floored if floored == moment else floored + SEGMENT


def on_segment(moment: dt.datetime) -> bool:
    return floor_segment(moment) == moment


def amount_for(minutes: int, hourly_rate_cents: int) -> int:
    """What `minutes` at `hourly_rate_cents` an hour cost, half-up to the cent."""
    exact = Decimal(minutes) * Decimal(hourly_rate_cents) / Decimal(60)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def zone_of(name: str | None) -> ZoneInfo:
    """The viewer's zone; UTC when they have none or it is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def billable_parts(intervals: Iterable[Interval], *, limit_minutes: int) -> list[tuple[Interval, int]]:
    """Each interval (in the order worked) with how many of its first minutes are billable under the limit."""
    left = limit_minutes
    parts = []
    for interval in sorted(intervals, key=lambda i: i.start):
        billable = min(interval.minutes, max(left, 0))
        left -= billable
        parts.append((interval, billable))
    return parts


@dataclass
class DayTotal:
    date: dt.date
    minutes: int = 0
    billable_minutes: int = 0


def _split_at_midnights(start: dt.datetime, end: dt.datetime, zone: ZoneInfo):
    """Pieces of [start, end) cut at each local midnight of `zone` (a daylight-saving day is 23 or 25 hours)."""
    while start < end:
        local = start.astimezone(zone)
        next_day = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        cut = min(end, next_day.astimezone(UTC))
        yield local.date(), int((cut - start).total_seconds() // 60)
        start = cut


def day_totals(intervals: Iterable[Interval], *, limit_minutes: int, zone: ZoneInfo) -> list[DayTotal]:
    """Minutes and billable minutes per local date of `zone`, in date order; they add up to the week's totals."""
    days: dict[dt.date, DayTotal] = {}
    for interval, billable in billable_parts(intervals, limit_minutes=limit_minutes):
        cut = interval.start + dt.timedelta(minutes=billable)
        for piece_start, piece_end, counts in ((interval.start, cut, True), (cut, interval.end, False)):
            for date, minutes in _split_at_midnights(piece_start, piece_end, zone):
                total = days.setdefault(date, DayTotal(date))
                total.minutes += minutes
                if counts:
                    total.billable_minutes += minutes
    return [days[d] for d in sorted(days)]


def hours_label(minutes: int) -> str:
    """610 → "10:10" (hours:minutes), what a timesheet shows."""
    return f"{minutes // 60}:{minutes % 60:02d}"
