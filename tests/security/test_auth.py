"""Items 1, 5, 6 and 8 of issue 14: one login limit for the web and the token endpoint, keyed on an address the
client cannot choose; one password hash per attempt and per sign-up; tokens revoked on a password change or
reset and on request; log-in, sign-up and tokens working while Redis is down."""

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.adapters import client_ip
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
NEW_PASSWORD = "a-brand-new-passphrase-77"
TOKEN_URL = "/api/v1/auth/token/"


class CountingHasher(MD5PasswordHasher):
    """Counts password hashes: every check and every new password encodes exactly once."""

    hashes = 0

    def encode(self, password, salt):
        CountingHasher.hashes += 1
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_auth.CountingHasher"]

    def count(action) -> int:
        CountingHasher.hashes = 0
        action()
        return CountingHasher.hashes

    return count


def _token(email, password=PASSWORD, **headers):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", **headers)


def _web_login(client, email, password, **headers):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


# --- Item 1: the token endpoint ---


def test_an_account_locked_by_the_web_login_gets_no_token(client):
    user = UserFactory()
    for _ in range(5):
        assert _web_login(client, user.email, "wrong").status_code == 200
    response = _token(user.email)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not Token.objects.filter(user=user).exists()


def test_failed_token_requests_lock_the_web_login_too(client):
    user = UserFactory()
    for _ in range(5):
        assert _token(user.email, "wrong").status_code == 400
    page = _web_login(client, user.email, PASSWORD)
    assert page.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_rotating_x_forwarded_for_does_not_escape_the_per_address_limit():
    users = UserFactory.create_batch(11)
    answers = [_token(u.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n, u in enumerate(users)]
    assert answers == [400] * 10 + [429]


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: the request did not come through them all
    assert client_ip(request) == "10.0.0.1"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(garbage) == "10.0.0.1"


def test_behind_a_trusted_proxy_spoofed_entries_do_not_reset_the_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    users = UserFactory.create_batch(11)
    answers = [
        _token(u.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7").status_code
        for n, u in enumerate(users)
    ]
    assert answers == [400] * 10 + [429]
    # Another client behind the same proxy is not locked out by the first one.
    assert _token(users[0].email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_each_token_attempt_costs_one_password_hash(hashes):
    user = UserFactory()
    assert hashes(lambda: _token(user.email, "wrong")) == 1
    assert hashes(lambda: _token("nobody@example.test", "wrong")) == 1
    assert hashes(lambda: _token(user.email)) == 1


def test_each_web_login_attempt_costs_one_password_hash(client, hashes):
    user = UserFactory()
    assert hashes(lambda: _web_login(client, user.email, "wrong")) == 1
    assert hashes(lambda: _web_login(client, "nobody@example.test", "wrong")) == 1


def test_an_inactive_account_gets_no_token():
    user = UserFactory(is_active=False)
    assert _token(user.email).status_code == 400


# --- Item 8: sign-up and web login ---


def _signup(client, email):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "intent": "work",
        "organization_name": "",
        "timezone": "UTC",
    }
    return client.post("/accounts/signup/", data)


def test_sign_up_does_the_same_hashing_for_known_and_new_addresses(client, hashes):
    known = UserFactory()
    new_cost = hashes(lambda: _signup(client, "newcomer@example.test"))
    assert User.objects.filter(email="newcomer@example.test").exists()
    client.logout()
    known_cost = hashes(lambda: _signup(client, known.email))
    assert new_cost == known_cost == 1


def test_web_login_spraying_from_spoofed_addresses_is_limited_per_address(client):
    users = UserFactory.create_batch(11)
    for n, user in enumerate(users[:10]):
        _web_login(client, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    page = _web_login(client, users[10].email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert "Too many failed login attempts" in page.content.decode()
    assert "_auth_user_id" not in client.session


# --- Item 5: token revocation ---


def test_delete_revokes_the_token_it_is_called_with():
    user = UserFactory()
    key = _token(user.email).json()["token"]
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200
    assert api.delete(TOKEN_URL).status_code == 204
    assert api.get("/api/v1/me/").status_code == 401
    assert _token(user.email).json()["token"] != key


def test_delete_needs_credentials():
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_a_stale_token_header_does_not_block_asking_for_a_new_token():
    user = UserFactory()
    assert _token(user.email, HTTP_AUTHORIZATION="Token not-a-real-token").status_code == 200


def test_a_password_change_revokes_the_token(client):
    user = UserFactory()
    key = _token(user.email).json()["token"]
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(key=key).exists()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").status_code == 401


def test_a_password_reset_revokes_the_token(client):
    user = UserFactory()
    key = _token(user.email).json()["token"]
    url = f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}/"
    set_password_url = client.get(url)["Location"]
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not Token.objects.filter(key=key).exists()


def test_the_api_access_page_lists_and_revokes_the_token(client):
    user = UserFactory()
    key = _token(user.email).json()["token"]
    assert client.get("/api-access/").status_code == 302  # log in first
    client.force_login(user)
    page = client.get("/api-access/").content.decode()
    assert key[-4:] in page and key not in page
    client.post("/api-access/")
    assert not Token.objects.filter(user=user).exists()
    assert "you have no API token" in client.get("/api-access/").content.decode()


# --- Item 6: Redis down ---


@pytest.fixture
def redis_down(settings):
    """The project's own cache configuration, pointed at a Redis that refuses connections."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}


@pytest.mark.redis
def test_log_in_sign_up_and_tokens_work_while_redis_is_down(client, redis_down, caplog):
    user = UserFactory()
    assert _token(user.email).status_code == 200
    assert _web_login(client, user.email, PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session
    client.logout()
    assert _signup(client, "during-outage@example.test").status_code == 302
    assert User.objects.filter(email="during-outage@example.test").exists()
    assert "Cache unavailable" in caplog.text
