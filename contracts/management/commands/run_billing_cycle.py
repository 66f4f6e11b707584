import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contracts.services import billing, milestones, offers
from contracts.services.weeks import parse_iso_week
from kernel.errors import InvalidInput
from payments.services.holds import holds_release_matured


class Command(BaseCommand):
    help = (
        "Run the billing cycle by hand: close ended weeks and charge them, retry failed charges, release reviewed "
        "weeks. With --now alone, every step due at that instant runs, including fixed-price auto-approvals, "
        "offer expiry and maturing security holds, so staff and tests can move the clock. --week limits the "
        "hourly steps to one week (2026-W49)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="an ISO week, such as 2026-W49")
        parser.add_argument("--now", help="the instant to run at, ISO 8601 with its offset (default: now)")

    def handle(self, *args, week=None, now=None, **options):
        try:
            week_start = parse_iso_week(week) if week else None
        except InvalidInput as exc:
            raise CommandError(exc.detail) from exc
        instant = timezone.now()
        if now:
            try:
                instant = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError("Give --now as ISO 8601, such as 2026-12-07T00:15:00Z.") from None
            if instant.tzinfo is None:
                raise CommandError("Give --now with its offset (Z or +hh:mm).")
        outcome = billing.billing_run(now=instant, week=week_start)
        self.stdout.write(
            f"hourly: closed {outcome.closed}, charged {outcome.charged}, failed {outcome.failed}, "
            f"released {outcome.released}"
        )
        for error in outcome.errors:
            self.stderr.write(error)
        if week_start is None:
            approved = milestones.milestones_auto_approve_due(now=instant)
            expired = offers.offers_expire_due(now=instant)
            matured = holds_release_matured(now=instant)
            self.stdout.write(f"milestones auto-approved {approved}, offers expired {expired}, holds matured {matured}")
