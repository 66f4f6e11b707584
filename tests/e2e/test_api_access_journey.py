"""A user logs in, finds their API token on the API access page and revokes it (issue 14 item 5); a freelancer's
portfolio picture shows on the public page through the file view (item 2). Each page is checked with axe-core."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from accounts.models import PortfolioItem
from tests.e2e.conftest import assert_accessible
from tests.factories import FreelancerProfileFactory


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_user_revokes_their_api_token_and_a_portfolio_picture_shows(page, live_server):
    profile = FreelancerProfileFactory()
    token = Token.objects.create(user=profile.user)
    PortfolioItem.objects.create(profile=profile, title="Booking app", image=ContentFile(_png(), name="shot.png"))
    base = live_server.url

    page.goto(base + f"/freelancers/{profile.pk}/")
    picture = page.get_by_role("img", name="Portfolio picture for Booking app")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") == 320
    assert_accessible(page, "security-portfolio-picture")

    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(profile.user.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Your API access").click()
    expect(page.get_by_text(f"API token ending in {token.key[-4:]}")).to_be_visible()
    assert_accessible(page, "security-api-access")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("you have no API token")).to_be_visible()
    assert_accessible(page, "security-api-access-revoked")
    assert not Token.objects.filter(user=profile.user).exists()
