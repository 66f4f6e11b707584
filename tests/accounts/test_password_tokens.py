"""Any password change revokes the user's API token, whatever path made it (allauth's change and reset are in
tests/security/test_auth.py); a re-hash of the same password at login does not."""

import io

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD = "correct-horse-battery"  # the factories' password
NEW = "a-brand-new-passphrase-77"


def with_token(**fields):
    user = UserFactory(**fields)
    Token.objects.create(user=user)
    return user


def test_the_admin_sites_password_change_revokes_the_staff_members_token(client):
    staff = with_token(is_staff=True)
    client.force_login(staff)
    response = client.post("/admin/password_change/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == "/admin/password_change/done/"
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    assert not Token.objects.filter(user=staff).exists()


def test_the_admins_set_password_form_revokes_the_users_token():
    user = with_token()
    form = AdminPasswordChangeForm(user, {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert form.is_valid(), form.errors
    form.save()
    assert not Token.objects.filter(user=user).exists()


def test_manage_py_changepassword_revokes_the_token(monkeypatch):
    user = with_token()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW)
    call_command("changepassword", user.email, stdout=io.StringIO())
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not Token.objects.filter(user=user).exists()


def test_saving_a_user_without_a_new_password_keeps_the_token():
    user = with_token()
    user.first_name = "Renamed"
    user.save()
    assert Token.objects.filter(user=user).exists()


def test_a_hasher_upgrade_at_login_is_not_a_password_change(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = with_token()
    user.password = PBKDF2PasswordHasher().encode(OLD, "somesalt", iterations=1000)
    user.save(update_fields=["password"])  # as if hashed by an older setting: no set_password, no change
    assert user.check_password(OLD)  # re-hashed with the preferred hasher and saved
    user.refresh_from_db()
    assert user.password.startswith("md5$")
    assert Token.objects.filter(user=user).exists()
