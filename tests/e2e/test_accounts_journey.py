"""A freelancer signs up in the browser, verifies the address from the e-mail, fills in the profile, and sees the
public page; every page on the way is checked with axe-core."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import FreelancerProfile, Skill
from tests.e2e.conftest import assert_accessible


@pytest.mark.django_db(transaction=True)
def test_freelancer_signs_up_verifies_and_publishes_a_profile(page, live_server):
    Skill.objects.get_or_create(slug="django", defaults={"name": "Django", "category": "development"})
    base = live_server.url

    page.goto(base + "/?about=1")
    assert_accessible(page, "accounts-home")
    page.goto(base + "/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "accounts-login")

    page.goto(base + "/accounts/signup/?intent=work")
    expect(page.get_by_label("I want to work")).to_be_checked()
    expect(page.get_by_label("Business name")).to_be_hidden()
    page.get_by_label("I want to hire").check()
    expect(page.get_by_label("Business name")).to_be_visible()
    page.get_by_label("I want to work").check()
    assert_accessible(page, "accounts-signup")
    page.get_by_label("First name").fill("Rosa")
    page.get_by_label("Last name").fill("Parks")
    page.get_by_label("Email").fill("rosa@example.test")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase-42")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase-42")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert_accessible(page, "accounts-verification-sent")

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    page.goto(base + link)
    assert_accessible(page, "accounts-confirm-email")
    page.get_by_role("button", name="Confirm").click()
    if "/accounts/login/" in page.url:
        page.get_by_label("Email").fill("rosa@example.test")
        page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase-42")
        page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text("Still missing")).to_be_visible()
    assert_accessible(page, "accounts-dashboard")

    page.get_by_role("link", name="Edit profile").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")
    page.get_by_label("Headline").fill("Accessible front-end developer")
    page.get_by_label("Hourly rate (USD)").fill("48.50")
    page.get_by_label("Time zone").fill("America/Bogota")
    page.get_by_label("Working hours start").fill("22:00")
    page.get_by_label("Working hours end").fill("06:00")
    page.get_by_label("Find a skill").press_sequentially("Djan")
    page.get_by_role("checkbox", name=re.compile("^Django")).check()
    page.locator("#id_languages-0-code").select_option(label="Spanish")
    page.locator("#id_languages-0-proficiency").select_option("native")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    assert_accessible(page, "accounts-profile-edit")

    profile = FreelancerProfile.objects.get(user__email="rosa@example.test")
    assert profile.hourly_rate_cents == 4850
    assert (profile.work_utc_start_minute, profile.work_minutes) == (3 * 60, 480)  # 22:00 in Bogota (UTC-5)

    page.get_by_role("link", name="View public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Parks")
    expect(page.get_by_text("Accessible front-end developer")).to_be_visible()
    expect(page.locator(".tag", has_text="Django")).to_be_visible()
    expect(page.get_by_text("New on the platform")).to_be_visible()
    expect(page.get_by_text("22:00–06:00 their time")).to_be_visible()
    assert_accessible(page, "accounts-public-profile")


@pytest.mark.django_db(transaction=True)
def test_organization_page_is_accessible_for_an_owner(page, live_server, client):
    from tests.factories import MembershipFactory, OrganizationInvitationFactory

    owner = MembershipFactory(role="owner")
    MembershipFactory(organization=owner.organization, role="finance")
    OrganizationInvitationFactory(organization=owner.organization, email="pat@example.test")
    client.force_login(owner.user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(f"{live_server.url}/organizations/{owner.organization_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(owner.organization.name)
    expect(page.get_by_role("button", name="Revoke the invitation to pat@example.test")).to_be_visible()
    assert_accessible(page, "accounts-organization")
