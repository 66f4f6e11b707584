"""The live channel with Channels' WebsocketCommunicator against the real ASGI application: who may join, and
what arrives (new messages, read receipts, typing, the bell), checked again on every event."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.authtoken.models import Token

from accounts.models import Membership
from marketplace.asgi import application
from messaging import services
from tests.messaging.processes import session_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://localhost")


@pytest_asyncio.fixture(autouse=True)
async def _close_connections_of_the_sync_thread():
    """`sync_to_async` runs the ORM in a worker thread whose connection would outlive the test database."""
    yield
    await sync_to_async(connections.close_all)()


async def _connect(path: str, user=None, headers=()):
    headers = [ORIGIN, *headers]
    if user is not None:
        headers.append((b"cookie", b"sessionid=" + (await sync_to_async(session_cookie)(user)).encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_participants_join_and_outsiders_get_the_websocket_404(room):
    path = f"/ws/conversations/{room.contract.pk}/"
    owner, connected, _ = await _connect(path, room.owner)
    assert connected
    outsider, connected, code = await _connect(path, room.outsider)
    assert not connected and code == 4404
    anonymous, connected, code = await _connect(path)
    assert not connected and code == 4401
    missing, connected, code = await _connect("/ws/conversations/99999999/", room.owner)
    assert not connected and code == 4404
    await owner.disconnect()


async def test_a_page_from_another_site_cannot_open_a_socket_with_the_visitors_session(room):
    cookie = b"sessionid=" + (await sync_to_async(session_cookie)(room.owner)).encode()
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_new_message_read_receipt_and_typing_arrive_live(room):
    path = f"/ws/conversations/{room.contract.pk}/"
    freelancer, _, _ = await _connect(path, room.freelancer)
    owner, _, _ = await _connect(path, room.owner)
    message = await sync_to_async(services.message_post)(
        conversation_id=room.contract.pk, sender=room.freelancer, body="Draft is up"
    )
    received = [await owner.receive_json_from(timeout=5) for _ in range(2)]
    new = {"type": "message", "id": message.pk, "sender": room.freelancer.pk, "conversation": room.contract.pk}
    assert new in received and {"type": "bell"} in received
    assert "Draft" not in str(received)  # text is fetched through the page's own view, never pushed
    assert (await freelancer.receive_json_from(timeout=5))["type"] == "message"

    await sync_to_async(services.conversation_mark_read)(conversation_id=room.contract.pk, user=room.owner)
    receipts = [await freelancer.receive_json_from(timeout=5)]
    assert receipts[0]["type"] == "read" and receipts[0]["name"] == room.owner.display_name

    await owner.send_json_to({"type": "typing"})
    typing = await freelancer.receive_json_from(timeout=5)
    assert typing["type"] == "typing" and typing["user"] == room.owner.pk
    # Nobody hears their own typing or read receipt.
    while not await owner.receive_nothing(timeout=0.3):
        assert (await owner.receive_json_from())["type"] == "bell"
    await freelancer.disconnect()
    await owner.disconnect()


async def test_a_member_removed_from_the_organization_stops_receiving_at_the_next_event(room):
    path = f"/ws/conversations/{room.contract.pk}/"
    member, connected, _ = await _connect(path, room.member)
    assert connected
    await sync_to_async(Membership.objects.filter(user=room.member).delete)()
    await sync_to_async(services.message_post)(conversation_id=room.contract.pk, sender=room.owner, body="Budget")
    closed = await member.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4404}
    again, connected, code = await _connect(path, room.member)
    assert not connected and code == 4404


async def test_the_bell_is_live_on_every_page(room):
    bell, connected, _ = await _connect("/ws/notifications/", room.freelancer)
    assert connected
    await sync_to_async(services.notify)(user=room.freelancer, kind="milestone_funded", title="Funded")
    assert await bell.receive_json_from(timeout=5) == {"type": "bell"}
    await bell.disconnect()


async def test_api_clients_authenticate_with_an_authorization_header_and_never_a_url_token(room):
    token = await sync_to_async(Token.objects.create)(user=room.freelancer)
    path = f"/ws/conversations/{room.contract.pk}/"
    client, connected, _ = await _connect(path, headers=[(b"authorization", f"Token {token.key}".encode())])
    assert connected
    await client.disconnect()
    bad, connected, code = await _connect(path, headers=[(b"authorization", b"Token nope")])
    assert not connected and code == 4401
    in_url, connected, code = await _connect(f"{path}?token={token.key}")
    assert not connected and code == 4401
