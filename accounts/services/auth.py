"""Credentials: issuing an API token for an email and password."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token

from kernel.errors import DomainError


def api_token_issue(*, request, email: str, password: str) -> str:
    """The API token of the user with these credentials (made on first use); e-mail must be verified first."""
    user = authenticate(request, email=email, password=password)
    if user is None:
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
