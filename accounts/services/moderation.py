"""Staff actions on accounts: suspend and reinstate, each with a written reason, recorded in the audit trail
(kernel.audit) and e-mailed to the user after commit (a suspended user cannot sign in to read a notification).

A suspended account is `is_active=False`: allauth refuses its login, DRF's TokenAuthentication refuses its token,
and its token is deleted as well, so a reinstated user asks for a new one."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from accounts.models import User
from accounts.services.auth import api_token_revoke
from kernel import audit
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.refs import Kind, ref
from kernel.transitions import lock


def _check(staff: User, reason: str) -> str:
    if not (staff.is_active and staff.is_staff):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "Give the reason.", errors={"reason": ["Required."]})
    return reason[:2000]


@transaction.atomic
def account_suspend(*, staff: User, user_id: int, reason: str) -> User:
    """Suspend an account: no login, no API token, until staff reinstate it. The user is told why."""
    reason = _check(staff, reason)
    user = lock(User.objects, pk=user_id)
    if user.pk == staff.pk:
        raise DomainError("own_account", "You cannot suspend your own account.")
    if not user.is_active:
        raise DomainError("already_suspended", "This account is already suspended.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    api_token_revoke(user=user)
    audit.record(actor=staff, action="account_suspended", target=ref(Kind.USER, user.pk), reason=reason)
    _tell(user, "suspended", reason)
    return user


@transaction.atomic
def account_reinstate(*, staff: User, user_id: int, reason: str) -> User:
    """Lift a suspension: the user can sign in again. The user is told why."""
    reason = _check(staff, reason)
    user = lock(User.objects, pk=user_id)
    if user.is_active:
        raise DomainError("not_suspended", "This account is not suspended.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(actor=staff, action="account_reinstated", target=ref(Kind.USER, user.pk), reason=reason)
    _tell(user, "reinstated", reason)
    return user


def _tell(user: User, what: str, reason: str) -> None:
    email = user.email
    context = {"user": user, "what": what, "reason": reason, "SITE_NAME": settings.SITE_NAME}
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your account was {what}"
    body = render_to_string("accounts/email/account_moderated.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])
    )
