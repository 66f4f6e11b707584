"""Two people talking in the browser, as they would: a client and a freelancer, each in their own browser
context, on the real ASGI server (uvicorn, so the WebSocket is real; pytest-django's live server speaks only
HTTP). A message typed by one appears in the other's open page without a reload, the reply comes back the same
way with a read receipt and a typing indicator, and the inbox, conversation, notifications and preferences pages
are clean under axe-core."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Role
from messaging import services
from tests.e2e.conftest import assert_accessible
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory
from tests.messaging.processes import asgi_server, environment, session_cookie


@pytest.fixture
def base(transactional_db, tmp_path):
    if not settings.IS_POSTGRES:
        pytest.skip("the ASGI server process needs the test database on PostgreSQL")
    with asgi_server(environment(tmp_path)) as url:
        yield url


def _open(browser, base: str, conversation, *users, websockets: bool = True):
    """Each user in their own browser context, signed in, with the conversation open (and its socket live, or
    with WebSockets missing from the browser, its polling running)."""
    pages = []
    for user in users:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Lisbon")
        context.add_cookies([{"name": "sessionid", "value": session_cookie(user), "url": base}])
        if not websockets:
            context.add_init_script("delete window.WebSocket")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{base}/conversations/{conversation.pk}/")
        status = "Live: new messages appear" if websockets else "New messages are checked every few seconds"
        expect(page.get_by_text(re.compile(status))).to_be_visible()
        pages.append(page)
    return pages


def test_a_message_typed_by_one_appears_live_for_the_other_and_the_reply_comes_back(browser, base):
    organization = OrganizationFactory(name="Harbour Apps")
    client = MembershipFactory(organization=organization, role=Role.OWNER, user__first_name="Clara").user
    freelancer = FreelancerProfileFactory(user__first_name="Felix").user
    conversation = services.conversation_open(
        reference="contract:77", title="Booking pages redesign", organization_id=organization.pk, freelancer=freelancer
    )
    client_page, freelancer_page = _open(browser, base, conversation, client, freelancer)

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

    client_page.goto(f"{base}/conversations/")
    expect(client_page.get_by_role("link", name="Booking pages redesign")).to_be_visible()
    assert_accessible(client_page, "messaging-inbox")
    client_page.goto(f"{base}/notifications/")
    expect(client_page.get_by_role("heading", name="Notifications")).to_be_visible()
    assert_accessible(client_page, "messaging-notifications")
    client_page.goto(f"{base}/notifications/preferences/")
    expect(client_page.get_by_role("heading", name="E-mail preferences")).to_be_visible()
    assert_accessible(client_page, "messaging-preferences")


def test_before_a_contract_contact_details_are_held_and_the_sender_told_why(browser, base):
    organization = OrganizationFactory(name="Quay Studio")
    client = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory().user
    conversation = services.conversation_open(
        reference="proposal:88", title="Proposal on “Logo”", organization_id=organization.pk, freelancer=freelancer
    )
    client_page, freelancer_page = _open(browser, base, conversation, client, freelancer)
    freelancer_page.get_by_label("Your message").fill("Write me at felix at gmail dot com")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(freelancer_page.get_by_text(re.compile("Held back, not delivered"))).to_be_visible()
    expect(freelancer_page.get_by_text(re.compile("escrow and dispute protection"))).to_be_visible()
    assert_accessible(freelancer_page, "messaging-held")
    freelancer_page.get_by_label("Your message").fill("Happy to start Monday.")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(client_page.get_by_text("Happy to start Monday.")).to_be_visible()
    expect(client_page.get_by_text("felix at gmail dot com")).to_have_count(0)


def test_without_websockets_the_page_polls_and_still_shows_new_messages(browser, base):
    organization = OrganizationFactory(name="Pier Works")
    client = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory().user
    conversation = services.conversation_open(
        reference="contract:99", title="Data import", organization_id=organization.pk, freelancer=freelancer
    )
    (client_page,) = _open(browser, base, conversation, client)
    (freelancer_page,) = _open(browser, base, conversation, freelancer, websockets=False)
    client_page.get_by_label("Your message").fill("The CSV is attached to the brief.")
    client_page.get_by_role("button", name="Send").click()
    # One poll period (5 s) plus the request: longer than expect's default 5 s.
    expect(freelancer_page.get_by_text("The CSV is attached to the brief.")).to_be_visible(timeout=15_000)
    freelancer_page.get_by_label("Your message").fill("Got it.")
    freelancer_page.get_by_role("button", name="Send").click()
    expect(client_page.get_by_text("Got it.")).to_be_visible()
