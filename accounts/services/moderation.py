"""Staff actions on accounts and profiles: suspend and reinstate an account, hide and restore a freelancer's profile,
each with a written reason, recorded in the audit trail (kernel.audit) and e-mailed to the user after commit (a
suspended user cannot sign in to read a notification; accounts cannot notify, messaging sits above it).

A suspended account is `is_active=False`: allauth refuses its login, DRF's TokenAuthentication refuses its token,
and its token is deleted as well, so a reinstated user asks for a new one."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import FreelancerProfile, User
from accounts.services.auth import api_token_revoke
from kernel import audit
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.permissions import may_moderate
from kernel.refs import Kind, ref
from kernel.transitions import lock


def _check(staff: User, reason: str) -> str:
    if not may_moderate(staff):
        raise PermissionDenied("Only staff who may moderate can do this.")
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


@transaction.atomic
def profile_hide(*, staff: User, profile_id: int, reason: str) -> FreelancerProfile:
    """Take a freelancer's profile out of every public page and search (the account keeps working; its owner
    sees the reason on the profile page). The owner is told why."""
    reason = _check(staff, reason)
    profile = lock(FreelancerProfile.objects.select_related("user"), pk=profile_id)
    if profile.user_id == staff.pk:
        raise DomainError("own_profile", "You cannot hide your own profile.")
    if profile.hidden_at is not None:
        raise DomainError("already_hidden", "This profile is already hidden.")
    profile.hidden_at = timezone.now()
    profile.hidden_reason = reason
    profile.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    audit.record(actor=staff, action="profile_hidden", target=ref(Kind.PROFILE, profile.pk), reason=reason)
    _tell(profile.user, "profile_hidden", reason)
    return profile


@transaction.atomic
def profile_restore(*, staff: User, profile_id: int, reason: str) -> FreelancerProfile:
    """Show a hidden profile again. The owner is told why."""
    reason = _check(staff, reason)
    profile = lock(FreelancerProfile.objects.select_related("user"), pk=profile_id)
    if profile.hidden_at is None:
        raise DomainError("not_hidden", "This profile is not hidden.")
    profile.hidden_at = None
    profile.hidden_reason = ""
    profile.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    audit.record(actor=staff, action="profile_restored", target=ref(Kind.PROFILE, profile.pk), reason=reason)
    _tell(profile.user, "profile_restored", reason)
    return profile


_SUBJECTS = {
    "suspended": "Your account was suspended",
    "reinstated": "Your account was reinstated",
    "profile_hidden": "Your profile was hidden",
    "profile_restored": "Your profile is visible again",
}


def _tell(user: User, what: str, reason: str) -> None:
    email = user.email
    context = {"user": user, "what": what, "reason": reason, "SITE_NAME": settings.SITE_NAME}
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{_SUBJECTS[what]}"
    body = render_to_string("accounts/email/account_moderated.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[email])
    )
