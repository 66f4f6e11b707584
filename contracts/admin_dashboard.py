"""The staff dashboard in the admin: money totals and the ledger check (payments' numbers), money held in open
disputes and their age, open chargebacks, and weekly volume as a bar chart drawn on the server (SVG, no script).

Reads only; `/admin/dashboard/` is for active staff (the admin's own login)."""

import dataclasses
import datetime as dt

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.shortcuts import render
from django.utils import timezone

from contracts.models import Dispute
from payments.models import AccountKind, EntryKind, Posting
from payments.selectors import staff_numbers

WEEKS = 12
CHART_WIDTH, CHART_HEIGHT, BAR_GAP, LABEL_SPACE = 600, 200, 6, 24
AGE_BUCKETS = ((2, "Under 2 days"), (settings.DISPUTE_RESPONSE_DAYS, "Within the response time"), (None, "Overdue"))


@dataclasses.dataclass(frozen=True)
class Bar:
    week: dt.date
    cents: int
    x: int
    y: int
    width: int
    height: int


def weekly_volume(*, now: dt.datetime, currency: str) -> list[Bar]:
    """What clients paid into escrow per ISO week (Monday start, UTC), the last WEEKS weeks, as chart bars."""
    this_monday = (now - dt.timedelta(days=now.weekday())).date()
    first = this_monday - dt.timedelta(weeks=WEEKS - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    rows = (
        Posting.objects.filter(
            account__kind=AccountKind.ESCROW,
            account__currency=currency,
            entry__kind=EntryKind.ESCROW_FUND,
            entry__created_at__gte=start,
        )
        .annotate(week=TruncWeek("entry__created_at", tzinfo=dt.UTC))
        .values("week")
        .annotate(total=Sum("amount_cents"))
    )
    by_week = {row["week"].date(): row["total"] for row in rows}
    weeks = [first + dt.timedelta(weeks=n) for n in range(WEEKS)]
    top = max(by_week.values(), default=0) or 1
    width = CHART_WIDTH // WEEKS
    plot = CHART_HEIGHT - LABEL_SPACE
    bars = []
    for n, week in enumerate(weeks):
        cents = by_week.get(week, 0)
        height = cents * plot // top
        bars.append(Bar(week=week, cents=cents, x=n * width, y=plot - height, width=width - BAR_GAP, height=height))
    return bars


def open_disputes_by_age(*, now: dt.datetime) -> list[tuple[str, int, int]]:
    """(label, count, cents held) per age bucket of the disputes not yet resolved."""
    buckets = {label: [0, 0] for _days, label in AGE_BUCKETS}
    for opened_at, cents in Dispute.objects.filter(status__in=Dispute.UNRESOLVED).values_list(
        "opened_at", "amount_cents"
    ):
        age = now - opened_at
        label = next(label for days, label in AGE_BUCKETS if days is None or age < dt.timedelta(days=days))
        buckets[label][0] += 1
        buckets[label][1] += cents
    return [(label, count, cents) for label, (count, cents) in buckets.items()]


@staff_member_required
def dashboard(request):
    now = timezone.now()
    by_age = open_disputes_by_age(now=now)
    context = {
        "title": "Staff dashboard",
        "numbers": staff_numbers(),
        "held_in_disputes_cents": sum(cents for _label, _count, cents in by_age),
        "disputes_by_age": by_age,
        "bars": weekly_volume(now=now, currency=settings.DEFAULT_CURRENCY),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": CHART_HEIGHT - LABEL_SPACE + 16},
        "currency": settings.DEFAULT_CURRENCY,
    }
    return render(request, "admin/contracts/dashboard.html", context)
