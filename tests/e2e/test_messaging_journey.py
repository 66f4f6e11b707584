"""Two people talking in the browser, as they would: a client and a freelancer, each in their own browser
context, on the real ASGI server (uvicorn, so the WebSocket is real; pytest-django's live server speaks only
HTTP). A message typed by one appears in the other's open page without a reload, the reply comes back the same
way with a read receipt and a typing indicator, and the inbox, conversation, notifications and preferences pages
are clean under axe-core."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.models import Role
from messaging import services
from tests.e2e.conftest import assert_accessible
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def asgi_server(transactional_db, tmp_path):
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        pytest.skip("the ASGI server process needs the test database on PostgreSQL")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "VAR_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
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
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)


def _signed_in(browser, base: str, user):
    signed_in = Client()
    signed_in.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Lisbon")
    context.add_cookies([{"name": "sessionid", "value": signed_in.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_message_typed_by_one_appears_live_for_the_other_and_the_reply_comes_back(browser, asgi_server):
    organization = OrganizationFactory(name="Harbour Apps")
    client = MembershipFactory(organization=organization, role=Role.OWNER, user__first_name="Clara").user
    freelancer = FreelancerProfileFactory(user__first_name="Felix").user
    conversation = services.conversation_open(
        reference="contract:77", title="Booking pages redesign", organization_id=organization.pk, freelancer=freelancer
    )
    path = f"{asgi_server}/conversations/{conversation.pk}/"
    client_page = _signed_in(browser, asgi_server, client)
    freelancer_page = _signed_in(browser, asgi_server, freelancer)
    for page in (client_page, freelancer_page):
        page.goto(path)
        expect(page.get_by_text("Live: new messages appear as they are sent.")).to_be_visible()

    client_page.get_by_label("Your message").fill("Hi Felix, the wireframes look great.")
    expect(freelancer_page.get_by_text(re.compile(r"is typing…"))).to_be_visible()
    client_page.get_by_role("button", name="Send").click()
    expect(freelancer_page.get_by_text("Hi Felix, the wireframes look great.")).to_be_visible()
    # The freelancer's open page read it: the client sees the receipt without a reload.
    expect(client_page.get_by_text(re.compile(r"^Seen by"))).to_be_visible()
    expect(client_page.get_by_label("Your message")).to_have_value("")

    freelancer_page.get_by_label("Your message").fill("Thanks! See https://example.com/mockups")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(client_page.get_by_role("link", name="https://example.com/mockups")).to_be_visible()
    assert_accessible(client_page, "messaging-conversation")

    client_page.goto(f"{asgi_server}/conversations/")
    expect(client_page.get_by_role("link", name="Booking pages redesign")).to_be_visible()
    assert_accessible(client_page, "messaging-inbox")
    client_page.goto(f"{asgi_server}/notifications/")
    expect(client_page.get_by_role("heading", name="Notifications")).to_be_visible()
    assert_accessible(client_page, "messaging-notifications")
    client_page.goto(f"{asgi_server}/notifications/preferences/")
    expect(client_page.get_by_role("heading", name="E-mail preferences")).to_be_visible()
    assert_accessible(client_page, "messaging-preferences")


def test_before_a_contract_contact_details_are_held_and_the_sender_told_why(browser, asgi_server):
    organization = OrganizationFactory(name="Quay Studio")
    client = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory().user
    conversation = services.conversation_open(
        reference="proposal:88", title="Proposal on “Logo”", organization_id=organization.pk, freelancer=freelancer
    )
    path = f"{asgi_server}/conversations/{conversation.pk}/"
    freelancer_page = _signed_in(browser, asgi_server, freelancer)
    client_page = _signed_in(browser, asgi_server, client)
    for page in (client_page, freelancer_page):
        page.goto(path)
        expect(page.get_by_text("Live: new messages appear as they are sent.")).to_be_visible()
    freelancer_page.get_by_label("Your message").fill("Write me at felix at gmail dot com")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(freelancer_page.get_by_text(re.compile("Held back, not delivered"))).to_be_visible()
    expect(freelancer_page.get_by_text(re.compile("escrow and dispute protection"))).to_be_visible()
    assert_accessible(freelancer_page, "messaging-held")
    freelancer_page.get_by_label("Your message").fill("Happy to start Monday.")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(client_page.get_by_text("Happy to start Monday.")).to_be_visible()
    expect(client_page.get_by_text("felix at gmail dot com")).to_have_count(0)
