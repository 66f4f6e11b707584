"""Sign-up for each side, e-mail verification, login and its rate limit, password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import FreelancerProfile, Membership, Role, User
from tests.factories import OrganizationInvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"


def _signup(client, **overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "intent": "work",
        "organization_name": "",
        "timezone": "Europe/Lisbon",
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def _confirmation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_signup_to_work_creates_a_freelancer_profile_in_the_browser_zone(client):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.test")
    profile = FreelancerProfile.objects.get(user=user)
    assert profile.timezone == "Europe/Lisbon"
    assert user.first_name == "Ada"
    assert not Membership.objects.filter(user=user).exists()


def test_signup_to_hire_creates_an_organization_owned_by_the_user(client):
    _signup(client, intent="hire", organization_name="Analytical Engines Ltd", timezone="America/Bogota")
    user = User.objects.get(email="ada@example.test")
    membership = Membership.objects.select_related("organization").get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Analytical Engines Ltd"
    assert membership.organization.timezone == "America/Bogota"
    assert not FreelancerProfile.objects.filter(user=user).exists()


def test_signup_to_hire_without_a_business_name_gets_a_default_one(client):
    _signup(client, intent="hire")
    assert Membership.objects.get(user__email="ada@example.test").organization.name == "Ada Lovelace's business"


def test_an_invited_colleague_signing_up_to_hire_joins_the_team_without_a_business_of_their_own(client):
    invitation = OrganizationInvitationFactory(email="Ada@Example.test", role=Role.HIRING_MANAGER)
    _signup(client, intent="hire")
    user = User.objects.get(email="ada@example.test")
    assert not Membership.objects.filter(user=user).exists()  # until they accept; no stray "Ada's business"
    client.force_login(user)
    client.post(f"/invitations/{invitation.token}/")
    assert list(Membership.objects.filter(user=user).values_list("organization", "role")) == [
        (invitation.organization_id, Role.HIRING_MANAGER)
    ]


def test_an_invited_colleague_who_names_a_business_gets_it(client):
    OrganizationInvitationFactory(email="ada@example.test")
    _signup(client, intent="hire", organization_name="Side Project Ltd")
    assert Membership.objects.get(user__email="ada@example.test").organization.name == "Side Project Ltd"


def test_an_unknown_browser_zone_falls_back_to_utc(client):
    _signup(client, timezone="Mars/Olympus_Mons")
    assert FreelancerProfile.objects.get(user__email="ada@example.test").timezone == "UTC"


def test_signup_page_preselects_the_intent_from_the_url(client):
    html = client.get("/accounts/signup/?intent=hire").content.decode()
    assert re.search(r'value="hire" id="[^"]+" required\s+checked', html)
    assert 'data-toggle-field="hire:#field-organization_name"' in html


def test_signup_sends_a_verification_mail_and_login_waits_for_it(client):
    _signup(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.test"]
    client.logout()

    response = client.post("/accounts/login/", {"login": "ada@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    link = _confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@example.test").verified

    client.logout()
    response = client.post("/accounts/login/", {"login": "ada@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session["_auth_user_id"] == str(User.objects.get(email="ada@example.test").pk)


def test_login_with_a_wrong_password_is_refused(client):
    UserFactory(email="bob@example.test")
    response = client.post("/accounts/login/", {"login": "bob@example.test", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited_per_account(client):
    UserFactory(email="bob@example.test")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "bob@example.test", "password": "wrong-password"})
    # Even the right password is refused while the limit holds.
    response = client.post("/accounts/login/", {"login": "bob@example.test", "password": "correct-horse-battery"})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_password_reset_sends_a_mail_with_a_reset_link(client):
    UserFactory(email="bob@example.test")
    response = client.post("/accounts/password/reset/", {"email": "bob@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@example.test"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_the_new_password_page_has_real_labels_only_and_a_quiet_cancel(client):
    UserFactory(email="bob@example.test")
    client.post("/accounts/password/reset/", {"email": "bob@example.test"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    html = client.get(link, follow=True).content.decode()
    assert 'name="password1"' in html
    assert "placeholder=" not in html  # the labels say it; a placeholder repeating them vanishes as you type
    assert re.search(r'class="button button-secondary"\s+form="logout-from-stage"', html)
    assert "placeholder=" not in client.get("/accounts/password/reset/").content.decode()


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_auth_pages_render_in_our_layout(client, url):
    html = client.get(url).content.decode()
    assert 'class="card form auth-card"' in html
