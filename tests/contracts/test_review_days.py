"""The review of a closed week lasts settings.HOURLY_REVIEW_DAYS: every message that names its end reads it
(they used to say "Friday", right only for the default of 5 days)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from contracts.models import Timesheet
from contracts.services import billing, time_entries
from contracts.services.timesheets import timesheet_dispute
from kernel.errors import DomainError
from messaging.models import Notification
from tests.contracts.hourly_fixtures import at, hourly_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_day_review(settings, organization, freelancer, members, card, clock):
    """Week W49 charged on Monday 7 Dec with a three-day review: it ends on Thursday 10 Dec 00:00 UTC."""
    settings.HOURLY_REVIEW_DAYS = 3
    contract = hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    time_entries.entry_add(
        actor=freelancer, contract_id=contract.pk, started_at=at("2026-12-01 09:00"), ended_at=at("2026-12-01 11:00")
    )
    clock("2026-12-07 00:15")
    billing.billing_run()
    return Timesheet.objects.get(contract=contract)


def test_the_charge_notice_names_the_reviews_end(three_day_review):
    assert three_day_review.review_ends_at == at("2026-12-10 00:00")
    notice = Notification.objects.filter(kind="timesheet_closed").first()
    assert notice.body == "Hours can be disputed until Thu 10 Dec 00:00 UTC."


def test_the_timesheet_page_names_the_reviews_end(client, three_day_review, members):
    client.force_login(members[Role.OWNER])
    html = client.get(reverse("contracts:timesheet_detail", args=[three_day_review.pk])).content.decode()
    assert "Until <time" in html and "Wednesday 9 Dec, 19:00 EST</time> you may dispute" in html  # New York


def test_a_dispute_after_the_review_says_when_it_ended(three_day_review, members, clock):
    clock("2026-12-10 00:10")
    with pytest.raises(DomainError) as exc:
        timesheet_dispute(actor=members[Role.OWNER], timesheet_id=three_day_review.pk, minutes=60, reason="No.")
    assert exc.value.code == "review_over"
    assert "The review ended on Thu 10 Dec 00:00 UTC" in exc.value.detail
