"""Proposals: a freelancer's bid on a job and the client's shortlist, decline and hire."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile, Membership
from accounts.permissions import OrgPerm, has_org_perm, may
from jobs.models import (
    Invitation,
    Job,
    Proposal,
    ProposalAnswer,
    ProposalAttachment,
    ProposalMilestone,
)
from jobs.selectors import proposals_visible_to
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import format_money
from kernel.permissions import require_access
from kernel.refs import Kind, ref
from kernel.transitions import lock, register_actors, transition
from kernel.uploads import check_upload
from messaging.models import Conversation
from messaging.selectors import may_read
from messaging.services import conversation_open, notify


@dataclasses.dataclass(frozen=True)
class MilestoneInput:
    title: str
    amount_cents: int


def _proposal_moves(proposal: Proposal, actor) -> set[str]:
    """The job's hirers shortlist, decline and hire; the freelancer who wrote it withdraws it."""
    if actor is None or not actor.is_authenticated:
        return set()
    moves: set[str] = set()
    if may(actor, proposal.job.organization_id, OrgPerm.HIRE):
        moves |= {Proposal.Status.SHORTLISTED, Proposal.Status.DECLINED, Proposal.Status.HIRED}
    if proposal.freelancer.user_id == actor.pk:
        moves.add(Proposal.Status.WITHDRAWN)
    return moves


register_actors(Proposal, _proposal_moves)


@transaction.atomic
def proposal_submit(
    *,
    user,
    job_id: int,
    cover_letter: str,
    estimated_duration: str,
    rate_cents: int | None = None,
    bid_cents: int | None = None,
    milestones: Sequence[MilestoneInput] = (),
    answers: dict[int, str] | None = None,
    attachments: Sequence = (),
) -> Proposal:
    """Send a proposal. Holds a lock on the freelancer's profile row while counting the rolling week, so two
    submissions at once cannot both be the last one allowed."""
    profile = FreelancerProfile.objects.select_for_update().filter(user=user).first() if user.is_authenticated else None
    if profile is None:
        raise DomainError("freelancer_required", "Create your freelancer profile before sending proposals.")
    job = Job.objects.select_related("organization").filter(pk=job_id).exclude(status=Job.Status.DRAFT).first()
    if job is None:
        raise NotFound()
    if job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "This job is closed and takes no more proposals.")
    if Membership.objects.filter(user=user, organization_id=job.organization_id).exists():
        raise DomainError("own_job", "You cannot send a proposal to your own organization's job.")
    invitation = (
        Invitation.objects.select_for_update()
        .filter(job=job, freelancer=profile)
        .exclude(status=Invitation.Status.DECLINED)
        .first()
    )
    if job.visibility == Job.Visibility.INVITE_ONLY and invitation is None:
        raise DomainError("invitation_required", "This job takes proposals by invitation only.")
    if Proposal.objects.filter(job=job, freelancer=profile, status__in=Proposal.LIVE).exists():
        raise DomainError("proposal_exists", "You already have a live proposal on this job.")
    week_ago = timezone.now() - dt.timedelta(days=7)
    if Proposal.objects.filter(freelancer=profile, created_at__gte=week_ago).count() >= settings.PROPOSALS_PER_WEEK:
        raise DomainError(
            "proposal_weekly_limit",
            f"You can send at most {settings.PROPOSALS_PER_WEEK} proposals in 7 days. Try again later.",
        )
    if not cover_letter.strip():
        raise InvalidInput("cover_letter_required", errors={"cover_letter": "Write a cover letter."})
    questions = list(job.questions.all())
    answers = {int(k): v.strip() for k, v in (answers or {}).items()}
    if any(not answers.get(q.pk) for q in questions):
        raise InvalidInput("answers_required", errors={"answers": "Answer every screening question."})
    if job.is_hourly:
        if rate_cents is None or not settings.MIN_HOURLY_RATE_CENTS <= rate_cents <= settings.MAX_HOURLY_RATE_CENTS:
            low, high = format_money(settings.MIN_HOURLY_RATE_CENTS), format_money(settings.MAX_HOURLY_RATE_CENTS)
            raise InvalidInput("rate_invalid", errors={"rate_cents": f"Give an hourly rate between {low} and {high}."})
        bid_cents, milestones = None, ()
    else:
        # The same cap as the contract the bid would become (contracts' offer_terms_clean).
        if not bid_cents or not 0 < bid_cents <= settings.MAX_CONTRACT_AMOUNT_CENTS:
            message = f"Give a bid above zero and at most {format_money(settings.MAX_CONTRACT_AMOUNT_CENTS)}."
            raise InvalidInput("bid_invalid", errors={"bid_cents": message})
        if not milestones or any(m.amount_cents <= 0 or not m.title.strip() for m in milestones):
            raise InvalidInput(
                "milestones_required",
                errors={"milestones": "Propose at least one milestone, each with a title and amount."},
            )
        total = sum(m.amount_cents for m in milestones)
        if total != bid_cents:
            message = f"The milestones add up to {format_money(total)}, not the bid of {format_money(bid_cents)}."
            raise InvalidInput("milestones_sum_mismatch", errors={"milestones": message})
        rate_cents = None
    checked = [(uploaded, check_upload(uploaded)) for uploaded in attachments]
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                job=job,
                freelancer=profile,
                invitation=invitation,
                cover_letter=cover_letter.strip(),
                rate_cents=rate_cents,
                bid_cents=bid_cents,
                currency=job.currency,
                estimated_duration=estimated_duration,
            )
    except IntegrityError as exc:  # the partial unique index, should a row slip past the check above
        raise DomainError("proposal_exists", "You already have a live proposal on this job.") from exc
    ProposalAnswer.objects.bulk_create(
        [ProposalAnswer(proposal=proposal, question=q, text=answers[q.pk]) for q in questions]
    )
    ProposalMilestone.objects.bulk_create(
        [
            ProposalMilestone(proposal=proposal, title=m.title.strip(), amount_cents=m.amount_cents, position=i)
            for i, m in enumerate(milestones)
        ]
    )
    for uploaded, content_type in checked:
        ProposalAttachment.objects.create(
            proposal=proposal, file=uploaded, name=uploaded.name[:200], content_type=content_type, size=uploaded.size
        )
    if invitation is not None and invitation.status == Invitation.Status.PENDING:
        transition(invitation, Invitation.Status.ACCEPTED, actor=user, responded_at=timezone.now())
    conversation_open(
        reference=ref(Kind.PROPOSAL, proposal.pk),
        title=f"Proposal on “{job.title}”",
        organization_id=job.organization_id,
        freelancer=user,
    )
    if job.created_by_id:
        notify(
            user=job.created_by,
            kind="proposal_received",
            title=f"New proposal on “{job.title}” from {user.display_name}",
            url=reverse("jobs:proposal_detail", args=[proposal.pk]),
            reference=f"proposal:{proposal.pk}",
        )
    return proposal


def _proposal_for(*, user, proposal_id: int, allowed, detail: str) -> Proposal:
    """The proposal, locked, for `user`: whoever may not see it (neither its freelancer nor a member of the job's
    organization) gets 404, whoever sees it but for whom `allowed(proposal)` is false gets 403."""
    if not user.is_authenticated:
        raise NotFound()
    proposal = lock(Proposal.objects.select_related("job", "freelancer__user"), pk=proposal_id)
    own = proposal.freelancer.user_id == user.pk
    visible = own or has_org_perm(user, proposal.job.organization_id, OrgPerm.VIEW)
    require_access(visible=visible, allowed=visible and allowed(proposal), detail=detail)
    return proposal


def _proposal_for_client(*, user, proposal_id: int) -> Proposal:
    return _proposal_for(
        user=user,
        proposal_id=proposal_id,
        allowed=lambda proposal: has_org_perm(user, proposal.job.organization_id, OrgPerm.HIRE),
        detail="Only members who may hire can shortlist or decline proposals.",
    )


def _set_proposal_status(proposal: Proposal, status: str, *, actor) -> None:
    transition(proposal, status, actor=actor, status_changed_at=timezone.now())


@transaction.atomic
def proposal_shortlist(*, user, proposal_id: int) -> Proposal:
    proposal = _proposal_for_client(user=user, proposal_id=proposal_id)
    _set_proposal_status(proposal, Proposal.Status.SHORTLISTED, actor=user)
    return proposal


@transaction.atomic
def proposal_decline(*, user, proposal_id: int) -> Proposal:
    proposal = _proposal_for_client(user=user, proposal_id=proposal_id)
    _set_proposal_status(proposal, Proposal.Status.DECLINED, actor=user)
    notify(
        user=proposal.freelancer.user,
        kind="proposal_declined",
        title=f"Your proposal on “{proposal.job.title}” was declined",
        url=reverse("jobs:proposal_detail", args=[proposal.pk]),
        reference=f"proposal:{proposal.pk}",
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, user, proposal_id: int) -> Proposal:
    proposal = _proposal_for(
        user=user,
        proposal_id=proposal_id,
        allowed=lambda proposal: proposal.freelancer.user_id == user.pk,
        detail="Only the freelancer who sent the proposal can withdraw it.",
    )
    _set_proposal_status(proposal, Proposal.Status.WITHDRAWN, actor=user)
    return proposal


@transaction.atomic
def proposal_conversation(*, user, proposal_id: int) -> Conversation:
    """The conversation about a proposal (opened when it was sent; opened here for proposals sent before). Who may
    write is messaging's rule (`may_read`: the freelancer and the members who may hire); a member who sees the
    proposal but not its conversation gets 403, anyone else 404."""
    proposal = proposals_visible_to(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound()
    conversation = conversation_open(
        reference=ref(Kind.PROPOSAL, proposal.pk),
        title=f"Proposal on “{proposal.job.title}”",
        organization_id=proposal.job.organization_id,
        freelancer=proposal.freelancer.user,
    )
    require_access(
        visible=True,
        allowed=may_read(user, conversation.pk),
        detail="Only members who may hire can write about proposals.",
    )
    return conversation


@transaction.atomic
def proposal_mark_hired(*, proposal: Proposal) -> Proposal:
    """Submitted or shortlisted → hired. For the contracts app, which has already checked who may hire; closing
    the job as filled is the caller's choice (`job_close`)."""
    locked = lock(Proposal.objects, pk=proposal.pk)
    _set_proposal_status(locked, Proposal.Status.HIRED, actor=None)
    proposal.status, proposal.status_changed_at = locked.status, locked.status_changed_at
    return locked
