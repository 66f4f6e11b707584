"""Messaging on the real components: two ASGI server processes sharing the Redis channel layer, and a Celery
worker on Redis delivering e-mails from the outbox (the 10-minute unread rule with its time moved)."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from websockets.sync.client import connect

from kernel.models import OutboxMessage
from kernel.tasks import outbox_drain
from messaging import services
from tests.messaging.conftest import session_cookie

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _env(tmp_path) -> dict:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"  # the test database
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(env) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "marketplace.asgi:application", "--port", str(port), "--lifespan", "off"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the ASGI server did not start")


def _socket(port: int, user, conversation_id: int):
    return connect(
        f"ws://127.0.0.1:{port}/ws/conversations/{conversation_id}/",
        additional_headers={"Cookie": session_cookie(user)},
        origin=f"http://127.0.0.1:{port}",
    )


def _receive(ws, wanted: str) -> dict:
    while True:
        event = json.loads(ws.recv(timeout=10))
        if event["type"] == wanted:
            return event


def test_two_server_processes_share_events_through_the_redis_layer(room, tmp_path):
    env = _env(tmp_path)
    (one, port_one), (two, port_two) = _server(env), _server(env)
    try:
        with (
            _socket(port_one, room.owner, room.contract.pk) as owner,
            _socket(port_two, room.freelancer, room.contract.pk) as freelancer,
        ):
            # Typing goes from a consumer in one process to a consumer in the other.
            owner.send(json.dumps({"type": "typing"}))
            assert _receive(freelancer, "typing")["user"] == room.owner.pk
            # A message posted by a third process (this one) reaches both.
            message = services.message_post(conversation_id=room.contract.pk, sender=room.freelancer, body="Hi")
            assert _receive(owner, "message")["id"] == message.pk
            assert _receive(freelancer, "message")["id"] == message.pk
    finally:
        for process in (one, two):
            process.terminate()
            process.wait(timeout=20)


def test_a_celery_worker_on_redis_sends_the_unread_message_email_and_notifications(room, tmp_path):
    env = _env(tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    mailbox = tmp_path / "mail"
    try:
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
            time.sleep(0.5)
        assert not OutboxMessage.objects.exists()
        sent = "\n".join(p.read_text() for p in mailbox.glob("*.log"))
        for person in (room.hiring, room.finance, room.member, room.freelancer):
            assert person.email in sent
        assert f"To: {room.owner.email}" not in sent  # read in time: no e-mail
        assert "Still there?" in sent and "Milestone funded" in sent
    finally:
        worker.terminate()
        worker.wait(timeout=30)
