"""Notifications: the registry of kinds, e-mail through the outbox (a broker outage delays, never loses or fails
a request), one digest for a burst, the 10-minute unread rule, the site's own name and address, and the pages
and API for notifications and preferences."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kernel import outbox
from kernel.models import OutboxMessage
from kernel.tasks import outbox_drain
from messaging import kinds, services
from messaging.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRODUCT_KINDS = [
    "job_invitation",
    "proposal_received",
    "offer_received",
    "contract_started",
    "contract_ended",
    "milestone_funded",
    "milestone_submitted",
    "milestone_approved",
    "milestone_changes_requested",
    "timesheet_closed",
    "payment_released",
    "payout_sent",
    "dispute_opened",
    "dispute_resolved",
    "new_message",
    "feedback_received",
]


def test_every_kind_product_lists_is_registered_with_a_title_and_a_link():
    for key in PRODUCT_KINDS:
        assert kinds.KINDS[key].title and kinds.KINDS[key].link[0]
    with pytest.raises(LookupError):
        services.notify(user=UserFactory(), kind="no_such_kind", title="x")


def test_the_link_comes_from_the_reference_when_no_url_is_given():
    user = UserFactory()
    notification = services.notify(user=user, kind="milestone_funded", title="Funded", reference="contract:7")
    assert notification.url == reverse("contracts:contract_detail", args=[7])
    other = services.notify(user=user, kind="milestone_funded", title="Funded", reference="milestone:7")
    assert other.url == ""


def test_a_notification_is_emailed_after_commit_with_the_sites_name_and_address(settings):
    settings.SITE_URL = "https://work.example.org"
    user = UserFactory()
    with transaction.atomic():
        services.notify(user=user, kind="offer_received", title="New offer", url="/contracts/offers/3/")
        assert OutboxMessage.objects.filter(topic=services.EMAIL_TOPIC).count() == 1
    assert outbox.drain() == 1
    email = mail.outbox[0]
    assert email.to == [user.email] and email.subject == f"[{settings.SITE_NAME}] New offer"
    assert "https://work.example.org/contracts/offers/3/" in email.body
    assert "example.com" not in email.body and "localhost" not in email.body
    html = email.alternatives[0][0]
    assert 'href="https://work.example.org/contracts/offers/3/"' in html and settings.SITE_NAME in html
    assert OutboxMessage.objects.count() == 0


def test_a_burst_becomes_one_digest():
    user = UserFactory()
    for n in range(4):
        services.notify(user=user, kind="saved_search_match", title=f"Job {n}")
    outbox.drain()
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.endswith("4 updates for you")
    assert all(f"Job {n}" in mail.outbox[0].body for n in range(4))


def test_a_kind_switched_off_is_not_emailed_and_unknown_kinds_are_refused():
    user = UserFactory()
    services.notification_preferences_set(user=user, email={"offer_received": False})
    services.notify(user=user, kind="offer_received", title="Quiet")
    services.notify(user=user, kind="weekly_update", title="Off by default")
    outbox.drain()
    assert mail.outbox == [] and Notification.objects.filter(user=user).count() == 2
    with pytest.raises(services.InvalidInput):
        services.notification_preferences_set(user=user, email={"nope": True})


def test_a_failing_handler_is_retried_later_then_given_up(settings, monkeypatch):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    user = UserFactory()
    services.notify(user=user, kind="offer_received", title="Hi")
    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", lambda self: 1 / 0)
    outbox.drain()
    row = OutboxMessage.objects.get()
    assert row.attempts == 1 and "ZeroDivisionError" in row.last_error and row.available_at > timezone.now()
    outbox.drain(now=timezone.now() + dt.timedelta(hours=2))
    row.refresh_from_db()
    assert row.given_up_at is not None


def test_a_message_is_emailed_only_if_still_unread_after_ten_minutes(room):
    services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="Are you there?")
    assert outbox.drain() == 0  # not due yet
    later = timezone.now() + dt.timedelta(minutes=11)
    # The owner read it in time; the finance member did not.
    services.conversation_mark_read(conversation_id=room.contract.pk, user=room.owner)
    outbox.drain(now=later)
    assert {tuple(m.to) for m in mail.outbox} == {(u.email,) for u in (room.hiring, room.finance, room.member)}
    email = next(m for m in mail.outbox if m.to == [room.finance.email])
    assert "Are you there?" in email.body and reverse("messaging:conversation", args=[room.contract.pk]) in email.body
    mail.outbox.clear()
    outbox.drain(now=later)
    assert mail.outbox == []  # each message e-mailed once


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_request_succeeds_and_the_email_arrives_after_the_drain(room, settings, monkeypatch):
    dead = outbox_drain.app.connection_for_write("redis://127.0.0.1:1/0")  # nothing listens there
    dead.transport_options = {"socket_connect_timeout": 1}
    publish = outbox_drain.apply_async
    monkeypatch.setattr(outbox_drain, "apply_async", lambda **options: publish(connection=dead, **options))
    with pytest.raises(Exception):  # noqa: B017 (whatever the broker client raises)
        outbox_drain.apply_async(retry=False)
    # A fund/approve-like business change: it commits, and the nudge fails quietly after commit.
    with transaction.atomic():
        services.notify(user=room.owner, kind="milestone_funded", title="Milestone funded", reference="contract:1")
    assert Notification.objects.filter(user=room.owner, kind="milestone_funded").exists()
    assert mail.outbox == [] and OutboxMessage.objects.count() == 1
    assert outbox_drain() == 1  # what beat runs once the broker is back
    assert [m.subject for m in mail.outbox] == [f"[{settings.SITE_NAME}] Milestone funded"]


def test_pages_mark_read_one_or_all_and_follow_links(client):
    user = UserFactory()
    first = services.notify(user=user, kind="offer_received", title="Offer one", url="/contracts/offers/1/")
    services.notify(user=user, kind="offer_received", title="Offer two")
    client.force_login(user)
    page = client.get(reverse("messaging:notifications"))
    assert b"Offer one" in page.content and b"Mark all read" in page.content
    opened = client.get(reverse("messaging:notification_open", args=[first.pk]))
    assert opened.url == "/contracts/offers/1/"
    assert b">1<" in client.get(reverse("messaging:notifications_count")).content
    client.post(reverse("messaging:notifications_mark_read"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    client.force_login(UserFactory())
    assert client.get(reverse("messaging:notification_open", args=[first.pk])).status_code == 404


def test_preferences_page_and_api(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("messaging:preferences"))
    assert b"Milestone funded" in page.content and b"Disputes" in page.content
    form = {key: "on" for key in services.email_preferences_of(user) if key != "payout_sent"}
    client.post(reverse("messaging:preferences"), form)
    assert services.email_preferences_of(user)["payout_sent"] is False
    api = APIClient()
    api.force_authenticate(user)
    body = api.get("/api/v1/notification-preferences/").json()
    assert body["email"]["payout_sent"] is False and {"key", "title", "group"} <= set(body["kinds"][0])
    changed = api.put("/api/v1/notification-preferences/", {"email": {"payout_sent": True}}, format="json")
    assert changed.status_code == 200 and changed.json()["email"]["payout_sent"] is True
    assert api.put("/api/v1/notification-preferences/", {"email": {"x": True}}, format="json").status_code == 400
    assert api.put("/api/v1/notification-preferences/", {"email": "no"}, format="json").status_code == 400
    services.notify(user=user, kind="offer_received", title="Hi")
    assert api.post("/api/v1/notifications/mark-read/", {"ids": ["x"]}, format="json").status_code == 400
    assert api.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked": 1}


def test_account_emails_greet_with_the_sites_own_name_and_address(client, settings):
    settings.ALLOWED_HOSTS = ["work.example.org"]
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_HOST="work.example.org")
    body = mail.outbox[0].body
    assert f"Hello from {settings.SITE_NAME}!" in body and "example.com" not in body
    assert "http://work.example.org/" in body
