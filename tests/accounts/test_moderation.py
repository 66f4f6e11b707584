"""Staff suspend and reinstate accounts from the admin: through the service, audited, the user e-mailed; a
suspended user can neither sign in nor use the API token they had."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services.moderation import account_reinstate, account_suspend
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.models import AuditEntry
from kernel.refs import Kind, ref
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def _token(user) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _api_me(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/me/").status_code


def _login(user) -> bool:
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def test_suspend_from_the_admin_audits_emails_and_locks_the_user_out(admin_client, admin_user):
    user = UserFactory(email="target@example.test")
    token = _token(user)
    assert _api_me(token) == 200 and _login(user)
    signed_in = Client()
    signed_in.force_login(user)
    assert signed_in.get(reverse("accounts:api_access")).status_code == 200
    changelist = "/admin/accounts/user/"
    # The action first asks for a reason; nothing happens without one.
    form = admin_client.post(changelist, {"action": "suspend_accounts", "_selected_action": [user.pk]})
    assert form.status_code == 200 and b"reason" in form.content
    user.refresh_from_db()
    assert user.is_active
    mail.outbox.clear()
    response = admin_client.post(
        changelist,
        {"action": "suspend_accounts", "_selected_action": [user.pk], "apply": "1", "reason": "Spam in proposals"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    entry = AuditEntry.objects.get(action="account_suspended")
    assert (entry.actor_id, entry.target, entry.reason) == (admin_user.pk, ref(Kind.USER, user.pk), "Spam in proposals")
    assert entry.created_at is not None
    assert [m.to for m in mail.outbox] == [["target@example.test"]]
    assert "suspended" in mail.outbox[0].subject and "Spam in proposals" in mail.outbox[0].body
    # Locked out: the old token, a new token, and the web login all fail.
    assert _api_me(token) == 401
    assert APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}).status_code == 400
    assert not _login(user)
    # A session opened before the suspension ends with it.
    assert signed_in.get(reverse("accounts:api_access")).status_code == 302


def test_reinstate_lets_the_user_back_in_with_a_new_token(admin_user):
    user = UserFactory()
    old = _token(user)
    account_suspend(staff=admin_user, user_id=user.pk, reason="Check")
    mail.outbox.clear()
    account_reinstate(staff=admin_user, user_id=user.pk, reason="Cleared after review")
    assert AuditEntry.objects.filter(action="account_reinstated", reason="Cleared after review").exists()
    assert "reinstated" in mail.outbox[0].subject
    assert _login(user)
    assert _api_me(old) == 401
    assert _api_me(_token(user)) == 200


def test_suspension_refusals(admin_user):
    user = UserFactory()
    with pytest.raises(InvalidInput):
        account_suspend(staff=admin_user, user_id=user.pk, reason="  ")
    with pytest.raises(PermissionDenied):
        account_suspend(staff=UserFactory(), user_id=user.pk, reason="no")
    with pytest.raises(DomainError) as own:
        account_suspend(staff=admin_user, user_id=admin_user.pk, reason="me")
    assert own.value.code == "own_account"
    account_suspend(staff=admin_user, user_id=user.pk, reason="once")
    with pytest.raises(DomainError) as twice:
        account_suspend(staff=admin_user, user_id=user.pk, reason="twice")
    assert twice.value.code == "already_suspended"
    with pytest.raises(DomainError):
        account_reinstate(staff=admin_user, user_id=admin_user.pk, reason="not suspended")
    assert AuditEntry.objects.count() == 1
