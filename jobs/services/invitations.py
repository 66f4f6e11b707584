"""Invitations to apply: a client invites a freelancer to a job, who accepts or declines."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile
from accounts.permissions import OrgPerm
from jobs.models import (
    Invitation,
    Job,
)
from jobs.services.jobs import _job_for_org_action
from kernel.errors import DomainError, NotFound
from kernel.transitions import lock, register_actors, transition
from messaging.services import notify


def _invitation_moves(invitation: Invitation, actor) -> set[str]:
    """The invited freelancer answers; nobody else moves an invitation."""
    if actor is None or invitation.freelancer.user_id != actor.pk:
        return set()
    return {Invitation.Status.ACCEPTED, Invitation.Status.DECLINED}


register_actors(Invitation, _invitation_moves)


@transaction.atomic
def invitation_create(*, user, job_id: int, freelancer_id: int, message: str = "") -> Invitation:
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.HIRE)
    if job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "This job is closed.")
    if job.status != Job.Status.OPEN:
        raise DomainError("job_not_open", "Publish the job before inviting freelancers.")
    freelancer = FreelancerProfile.objects.select_related("user").filter(pk=freelancer_id).first()
    if freelancer is None:
        raise NotFound("No such freelancer.")
    if Invitation.objects.filter(job=job, freelancer=freelancer).exists():
        raise DomainError("invitation_exists", "This freelancer is already invited to this job.")
    invitation = Invitation.objects.create(job=job, freelancer=freelancer, invited_by=user, message=message.strip())
    notify(
        user=freelancer.user,
        kind="job_invitation",
        title=f"{job.organization.name} invites you to “{job.title}”",
        body=invitation.message,
        url=reverse("jobs:invitations"),
        reference=f"invitation:{invitation.pk}",
    )
    return invitation


def _own_invitation(*, user, invitation_id: int) -> Invitation:
    if not user.is_authenticated:
        raise NotFound()
    return lock(Invitation.objects.select_related("job", "freelancer"), pk=invitation_id, freelancer__user=user)


@transaction.atomic
def invitation_accept(*, user, invitation_id: int) -> Invitation:
    """Accepting says "I will write a proposal"; the proposal itself is submitted with `proposal_submit`."""
    invitation = _own_invitation(user=user, invitation_id=invitation_id)
    if invitation.job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "This job is closed.")
    transition(invitation, Invitation.Status.ACCEPTED, actor=user, responded_at=timezone.now())
    return invitation


@transaction.atomic
def invitation_decline(*, user, invitation_id: int) -> Invitation:
    invitation = _own_invitation(user=user, invitation_id=invitation_id)
    transition(invitation, Invitation.Status.DECLINED, actor=user, responded_at=timezone.now())
    if invitation.invited_by_id:
        notify(
            user=invitation.invited_by,
            kind="job_invitation_declined",
            title=f"{invitation.freelancer.user.display_name} declined your invitation to “{invitation.job.title}”",
            url=reverse("jobs:detail", args=[invitation.job_id]),
            reference=f"invitation:{invitation.pk}",
        )
    return invitation
