"""Messaging on the real components: two ASGI server processes sharing the Redis channel layer, and a Celery
worker on Redis delivering e-mails from the outbox (the 10-minute unread rule with its time moved)."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone
from websockets.sync.client import connect

from kernel.models import OutboxMessage
from kernel.tasks import outbox_drain
from messaging import services
from tests.messaging.processes import asgi_server, celery_worker, environment, session_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _socket(base: str, user, conversation_id: int):
    return connect(
        f"{base.replace('http', 'ws')}/ws/conversations/{conversation_id}/",
        additional_headers={"Cookie": f"sessionid={session_cookie(user)}"},
        origin=base,
    )


def _receive(ws, wanted: str) -> dict:
    while True:
        event = json.loads(ws.recv(timeout=10))
        if event["type"] == wanted:
            return event


def test_two_server_processes_share_events_through_the_redis_layer(room, tmp_path):
    env = environment(tmp_path)
    with (
        asgi_server(env) as one,
        asgi_server(env) as two,
        _socket(one, room.owner, room.contract.pk) as owner,
        _socket(two, room.freelancer, room.contract.pk) as freelancer,
    ):
        # Typing goes from a consumer in one process to a consumer in the other.
        owner.send(json.dumps({"type": "typing"}))
        assert _receive(freelancer, "typing")["user"] == room.owner.pk
        # A message posted by a third process (this one) reaches both.
        message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="Hi")
        assert _receive(owner, "message")["id"] == message.pk
        assert _receive(freelancer, "message")["id"] == message.pk


def test_a_celery_worker_on_redis_sends_the_unread_message_email_and_notifications(room, tmp_path):
    with celery_worker(environment(tmp_path)):
        services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="Still there?")
        # Time moves on: the message's e-mail rows come due as if ten minutes had passed.
        OutboxMessage.objects.filter(topic=services.MESSAGE_EMAIL_TOPIC).update(
            available_at=timezone.now() - dt.timedelta(seconds=1)
        )
        services.conversation_mark_read(conversation_id=room.contract.pk, user=room.owner)
        services.notify(user=room.freelancer, kind="milestone_funded", title="Milestone funded")  # nudges at once
        outbox_drain.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and OutboxMessage.objects.exists():
            time.sleep(0.5)  # the worker's progress shows only in the table
        assert not OutboxMessage.objects.exists()
    sent = "\n".join(p.read_text() for p in (tmp_path / "mail").glob("*.log"))
    for person in (room.hiring, room.finance, room.member, room.freelancer):
        assert person.email in sent
    assert f"To: {room.owner.email}" not in sent  # read in time: no e-mail
    assert "Still there?" in sent and "Milestone funded" in sent
