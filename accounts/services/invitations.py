"""Invitations to join an organization: sent by email, revoked, accepted by the invited user."""

import secrets

from django.conf import settings
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
from accounts.permissions import OrgPerm, may, may_grant_role
from accounts.services.organizations import membership_for_action, one_line
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.transitions import lock, register_actors, transition


def _invitation_moves(invitation: OrganizationInvitation, actor) -> set[str]:
    """Members who manage members revoke; the person it was sent to (by e-mail address) accepts."""
    if actor is None or not actor.is_authenticated:
        return set()
    moves = set()
    if may(actor, invitation.organization_id, OrgPerm.MANAGE_MEMBERS):
        moves.add(OrganizationInvitation.Status.REVOKED)
    if invitation.email.lower() == actor.email.lower():
        moves.add(OrganizationInvitation.Status.ACCEPTED)
    return moves


register_actors(OrganizationInvitation, _invitation_moves)


@transaction.atomic
def invitation_create(*, actor: User, organization_id: int, email: str, role: str) -> OrganizationInvitation:
    """Invite `email` to the organization with `role`; the e-mail with the accept link leaves after commit."""
    actor_membership = membership_for_action(actor, organization_id, OrgPerm.MANAGE_MEMBERS)
    email = email.strip().lower()
    if role not in Role.values:
        raise InvalidInput("invalid_role", errors={"role": f"“{role}” is not a role."})
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
        transition(pending, OrganizationInvitation.Status.REVOKED, actor=actor)
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
    membership_for_action(actor, organization_id, OrgPerm.MANAGE_MEMBERS)
    invitation = lock(OrganizationInvitation.objects, organization_id=organization_id, pk=invitation_id)
    transition(
        invitation,
        OrganizationInvitation.Status.REVOKED,
        actor=actor,
        refusal=("invitation_not_pending", "This invitation was already accepted or revoked."),
    )


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Join the organization the invitation names; the invitation must be pending and addressed to this user."""
    try:
        invitation = lock(OrganizationInvitation.objects, token=token)
    except NotFound:
        raise NotFound("This invitation link is not valid.") from None
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
    transition(invitation, OrganizationInvitation.Status.ACCEPTED, actor=user, accepted_at=dj_timezone.now())
    user.__dict__.pop("is_client", None)
    return membership
