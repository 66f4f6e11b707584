"""Invitations to join an organization: sent by email, revoked, accepted by the invited user."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as dj_timezone

from accounts.models import (
    Membership,
    OrganizationInvitation,
    Role,
    User,
)
from accounts.permissions import OrgPerm, may_grant_role
from accounts.services.organizations import _membership_for_update, _require, one_line
from kernel.errors import DomainError, NotFound


@transaction.atomic
def invitation_create(*, actor: User, organization_id: int, email: str, role: str) -> OrganizationInvitation:
    """Invite `email` to the organization with `role`; the e-mail with the accept link leaves after commit."""
    actor_membership = _membership_for_update(actor, organization_id)
    _require(actor_membership, OrgPerm.MANAGE_MEMBERS)
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"“{role}” is not a role."})
    if not may_grant_role(actor_membership.role, role):
        raise DomainError("owner_only", "Only an owner can invite someone as an owner.")
    if Membership.objects.filter(organization_id=organization_id, user__email__iexact=email).exists():
        raise DomainError("already_member", f"{email} is already a member of this organization.")
    pending = (
        OrganizationInvitation.objects.select_for_update()
        .filter(organization_id=organization_id, email=email, status=OrganizationInvitation.Status.PENDING)
        .first()
    )
    if pending is not None and not pending.is_expired:
        raise DomainError("already_invited", f"{email} already has a pending invitation.")
    if pending is not None:  # an expired link gives way to a fresh one
        pending.status = OrganizationInvitation.Status.REVOKED
        pending.save(update_fields=["status"])
    invitation = OrganizationInvitation.objects.create(
        organization_id=organization_id, email=email, role=role, token=secrets.token_urlsafe(32), invited_by=actor
    )
    invitation_id = invitation.pk
    transaction.on_commit(lambda: _send_invitation_email(invitation_id))
    return invitation


def _send_invitation_email(invitation_id: int) -> None:
    invitation = (
        OrganizationInvitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.status != OrganizationInvitation.Status.PENDING:
        return
    accept_url = settings.SITE_URL.rstrip("/") + reverse("accounts:invitation_accept", args=[invitation.token])
    context = {"invitation": invitation, "accept_url": accept_url, "SITE_NAME": settings.SITE_NAME}
    organization_name = one_line(invitation.organization.name)
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to join {organization_name}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, actor: User, organization_id: int, invitation_id: int) -> None:
    _require(_membership_for_update(actor, organization_id), OrgPerm.MANAGE_MEMBERS)
    invitation = (
        OrganizationInvitation.objects.select_for_update()
        .filter(organization_id=organization_id, pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound()
    if invitation.status != OrganizationInvitation.Status.PENDING:
        raise DomainError("invitation_not_pending", "This invitation was already accepted or revoked.")
    invitation.status = OrganizationInvitation.Status.REVOKED
    invitation.save(update_fields=["status"])


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Join the organization the invitation names; the invitation must be pending and addressed to this user."""
    invitation = OrganizationInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    if invitation.status != OrganizationInvitation.Status.PENDING:
        raise DomainError("invitation_not_pending", "This invitation was already used or was revoked.")
    if invitation.is_expired:
        raise DomainError("invitation_expired", "This invitation has expired: ask for a new one.")
    if invitation.email.lower() != user.email.lower():
        raise DomainError(
            "invitation_email_mismatch",
            f"This invitation was sent to {invitation.email}. Log in with that address to accept it.",
        )
    membership, created = Membership.objects.get_or_create(
        organization_id=invitation.organization_id, user=user, defaults={"role": invitation.role}
    )
    if not created:
        raise DomainError("already_member", "You are already a member of this organization.")
    invitation.status = OrganizationInvitation.Status.ACCEPTED
    invitation.accepted_at = dj_timezone.now()
    invitation.save(update_fields=["status", "accepted_at"])
    user.__dict__.pop("is_client", None)
    return membership
