"""Messaging base: notifications (with e-mail after commit, by preference) and conversations scoped to participants."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from kernel.errors import DomainError, NotFound
from messaging import selectors, services
from messaging.models import ConversationParticipant, Notification
from messaging.tasks import notification_email_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_records_and_queues_the_email_only_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    user = UserFactory()
    sent = []
    monkeypatch.setattr(notification_email_send, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = services.notify(user=user, kind="test", title="Hello", url="/jobs/1/")
        assert sent == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert sent == [{"notification_id": notification.pk}]
    notification_email_send(notification_id=notification.pk)
    assert mail.outbox[0].to == [user.email] and "Hello" in mail.outbox[0].subject
    assert "/jobs/1/" in mail.outbox[0].body


def test_a_kind_switched_off_is_not_emailed(django_capture_on_commit_callbacks):
    user = UserFactory()
    services.notification_email_preference_set(user=user, kind="quiet", email=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(user=user, kind="quiet", title="Shh")
        services.notify(user=user, kind="loud", title="Hey")
    assert len(callbacks) == 1
    assert Notification.objects.filter(user=user).count() == 2


def test_the_email_task_returns_quietly_when_the_notification_is_gone():
    notification_email_send(notification_id=999_999)
    assert mail.outbox == []


def test_conversation_open_is_idempotent_on_its_reference():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    first = services.conversation_open(reference="proposal:1", title="About it", participants=[alice, bob])
    again = services.conversation_open(reference="proposal:1", title="Other title", participants=[alice, bob, carol])
    assert first.pk == again.pk and again.title == "About it"
    assert ConversationParticipant.objects.filter(conversation=first).count() == 3


def test_only_participants_read_and_post():
    alice, bob, mallory = UserFactory(), UserFactory(), UserFactory()
    conversation = services.conversation_open(reference="contract:7", title="Contract", participants=[alice, bob])
    services.message_post(conversation_id=conversation.pk, sender=alice, body="  Hi Bob  ")
    assert [m.body for m in selectors.messages_of(conversation=conversation)] == ["Hi Bob"]
    assert selectors.conversation_get(user=mallory, conversation_id=conversation.pk) is None
    with pytest.raises(NotFound):
        services.message_post(conversation_id=conversation.pk, sender=mallory, body="let me in")
    with pytest.raises(DomainError) as excinfo:
        services.message_post(conversation_id=conversation.pk, sender=bob, body="   ")
    assert excinfo.value.code == "message_empty"


def test_the_api_scopes_conversations_and_notifications():
    alice, bob, mallory = UserFactory(), UserFactory(), UserFactory()
    conversation = services.conversation_open(reference="proposal:9", title="P9", participants=[alice, bob])
    services.notify(user=alice, kind="k", title="For Alice")
    api = APIClient()
    api.force_authenticate(mallory)
    assert api.get("/api/v1/conversations/").json()["results"] == []
    assert api.get(f"/api/v1/conversations/{conversation.pk}/messages/").status_code == 404
    assert api.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "x"}).status_code == 404
    assert api.get("/api/v1/notifications/").json()["results"] == []
    api.force_authenticate(bob)
    assert api.post(f"/api/v1/conversations/{conversation.pk}/messages/", {"body": "Hello"}).status_code == 201
    assert [m["body"] for m in api.get(f"/api/v1/conversations/{conversation.pk}/messages/").json()["results"]] == [
        "Hello"
    ]
    api.force_authenticate(alice)
    assert [n["title"] for n in api.get("/api/v1/notifications/").json()["results"]] == ["For Alice"]
    assert api.post("/api/v1/notifications/mark-read/").json() == {"marked": 1}


@pytest.mark.parametrize("rows", [5, 50])
def test_conversation_page_queries_are_constant(client, django_assert_max_num_queries, rows):
    alice, bob = UserFactory(), UserFactory()
    conversation = services.conversation_open(reference="proposal:3", title="P3", participants=[alice, bob])
    for i in range(rows):
        services.message_post(conversation_id=conversation.pk, sender=alice if i % 2 else bob, body=f"m{i}")
    client.force_login(alice)
    # Opening the page also marks it read (an UPDATE inside a savepoint under the test transaction).
    with django_assert_max_num_queries(13):
        response = client.get(f"/conversations/{conversation.pk}/")
    assert response.content.decode().count("message-body") == rows
    with django_assert_max_num_queries(10):
        assert client.get("/conversations/").status_code == 200


def test_the_header_counts_unread_notifications_and_the_list_page_reads_them(client):
    alice, bob = UserFactory(), UserFactory()
    services.notify(user=alice, kind="k", title="Offer received", url="/offers/1/")
    services.notify(user=alice, kind="k", title="Milestone funded")
    services.notify(user=bob, kind="k", title="Not for Alice")
    client.force_login(alice)
    header = client.get("/dashboard/").content.decode()
    assert 'href="/notifications/"' in header and 'hx-get="/notifications/count/"' in header
    badge = client.get("/notifications/count/").content.decode()
    assert '<span class="nav-count">2<span class="visually-hidden"> unread</span></span>' in badge

    page = client.get("/notifications/").content.decode()
    # The visit that shows them still marks them as new; afterwards the badge no longer counts them.
    assert page.count('class="notification-unread"') == 2 and "Not for Alice" not in page
    assert "nav-count" not in client.get("/notifications/count/").content.decode()
    assert Notification.objects.get(user=bob).read_at is None


def test_the_unread_badge_needs_a_login(client):
    assert client.get("/notifications/count/").status_code == 302


def test_the_conversation_list_counts_unread_messages_until_the_conversation_is_opened(client):
    alice, bob = UserFactory(), UserFactory()
    conversation = services.conversation_open(reference="proposal:4", title="P4", participants=[alice, bob])
    services.message_post(conversation_id=conversation.pk, sender=bob, body="one")
    services.message_post(conversation_id=conversation.pk, sender=bob, body="two")
    # Your own messages are never unread for you.
    assert {c.pk: c.unread for c in selectors.conversations_with_unread_of(bob)} == {conversation.pk: 0}
    client.force_login(alice)
    listing = client.get("/conversations/").content.decode()
    assert "2 unread" in listing and "last message now" in listing  # not "0 minutes ago"
    client.get(f"/conversations/{conversation.pk}/")
    assert "unread" not in client.get("/conversations/").content.decode()
    services.message_post(conversation_id=conversation.pk, sender=bob, body="three")
    assert "1 unread" in client.get("/conversations/").content.decode()
