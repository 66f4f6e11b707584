"""Credentials: API tokens issued for an e-mail and password, revoked on request and whenever the password changes.

Asking for a token is a login: it goes through allauth's `authenticate`, so every attempt counts against the same
per-address and per-account limits as the web login (ACCOUNT_RATE_LIMITS["login_failed"]), an account the web
login has locked gets no token either, and each attempt costs one password hash."""

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from kernel.errors import DomainError


def api_token_issue(*, request, email: str, password: str) -> str:
    """The API token of the user with these credentials (made on first use); e-mail must be verified first."""
    try:
        user = get_adapter(request).authenticate(request, email=email, password=password)
    except ValidationError as exc:  # allauth's limiter: too many failed attempts for this address or account
        raise DomainError("throttled", " ".join(exc.messages), status=429) from exc
    # allauth hands back an inactive account whose password matched (to show its own page): no token for it.
    if user is None or not user.is_active:
        raise DomainError("invalid_credentials", "E-mail or password is not correct.", status=400)
    if (
        settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    ):
        raise DomainError(
            "email_not_verified", "Confirm your e-mail address first: follow the link we sent you.", status=403
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def api_token_of(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_revoke(*, user: User) -> bool:
    """Delete the user's API token; the next token request makes a new one. False when there was none. Called on
    request, on suspension, and by User.save whenever the password changed (by any path)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0
