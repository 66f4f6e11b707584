"""Every write to jobs: job posts, their search index, invitations, proposals, saved searches, the talent index."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile, Membership, Skill
from accounts.permissions import OrgPerm, has_org_perm, role_allows, role_in
from jobs.models import (
    Invitation,
    Job,
    JobAttachment,
    Proposal,
    ProposalAnswer,
    ProposalAttachment,
    ProposalMilestone,
    SavedSearch,
    ScreeningQuestion,
    TalentIndex,
)
from jobs.overlap import window_to_utc
from kernel.errors import DomainError, NotFound, PermissionDenied
from kernel.uploads import check_upload
from messaging.services import notify

SEARCH_CONFIG = "english"


@dataclasses.dataclass(frozen=True)
class JobFields:
    """What a client writes on a job post (the form and the API both build one)."""

    title: str
    description: str
    skill_ids: Sequence[int]
    category: str
    budget_type: str
    duration: str
    experience_level: str
    visibility: str = Job.Visibility.PUBLIC
    rate_min_cents: int | None = None
    rate_max_cents: int | None = None
    fixed_amount_cents: int | None = None
    timezone: str = ""
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(17, 0)
    overlap_hours: int = 0
    questions: Sequence[str] = ()


def _transition(obj, new_status: str) -> None:
    if new_status not in obj.ALLOWED[obj.status]:
        raise DomainError(
            "invalid_transition",
            f"A {obj.get_status_display().lower()} {obj._meta.verbose_name} cannot become {new_status}.",
        )
    obj.status = new_status


def _check_job_fields(fields: JobFields) -> None:
    if not fields.title.strip():
        raise DomainError("job_title_required", "Give the job a title.", status=400)
    if not fields.skill_ids:
        raise DomainError("job_skills_required", "Choose at least one required skill.", status=400)
    if not 0 <= fields.overlap_hours <= 8:
        raise DomainError("job_overlap_range", "Overlap must be between 0 and 8 hours a day.", status=400)
    if fields.budget_type == Job.BudgetType.HOURLY:
        low, high = fields.rate_min_cents, fields.rate_max_cents
        if not low or not high or low <= 0 or high <= 0:
            raise DomainError("job_budget_invalid", "Give a minimum and a maximum hourly rate above zero.", status=400)
        if low > high:
            raise DomainError("job_budget_invalid", "The minimum rate must not be above the maximum.", status=400)
    elif fields.budget_type == Job.BudgetType.FIXED:
        if not fields.fixed_amount_cents or fields.fixed_amount_cents <= 0:
            raise DomainError("job_budget_invalid", "Give a fixed price above zero.", status=400)
    else:
        raise DomainError("job_budget_invalid", "Choose hourly or fixed price.", status=400)


def _apply_job_fields(job: Job, fields: JobFields) -> None:
    hourly = fields.budget_type == Job.BudgetType.HOURLY
    job.title = fields.title.strip()
    job.description = fields.description.strip()
    job.category = fields.category
    job.budget_type = fields.budget_type
    job.rate_min_cents = fields.rate_min_cents if hourly else None
    job.rate_max_cents = fields.rate_max_cents if hourly else None
    job.fixed_amount_cents = None if hourly else fields.fixed_amount_cents
    job.duration = fields.duration
    job.experience_level = fields.experience_level
    job.visibility = fields.visibility
    job.timezone = fields.timezone or job.organization.timezone
    job.work_start = fields.work_start
    job.work_end = fields.work_end
    job.work_utc_start_minute, job.work_minutes = window_to_utc(
        start=fields.work_start, end=fields.work_end, tz_name=job.timezone
    )
    job.overlap_hours = fields.overlap_hours


def job_reindex(job: Job) -> None:
    """Rewrite the job's denormalised search columns from its current text and skills (call after every change)."""
    skills = list(job.skills.order_by("id").values_list("id", "name"))
    job.skill_ids = [pk for pk, _name in skills]
    updates: dict = {"skill_ids": job.skill_ids}
    if connection.vendor == "postgresql":
        names = " ".join(name for _pk, name in skills)
        updates["search_vector"] = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector(Value(names), weight="B", config=SEARCH_CONFIG)
            + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        )
    Job.objects.filter(pk=job.pk).update(**updates)


def _set_questions(job: Job, questions: Sequence[str]) -> None:
    texts = [q.strip() for q in questions if q.strip()]
    current = list(job.questions.all())
    if [q.text for q in current] == texts:
        return
    if ProposalAnswer.objects.filter(question__job=job).exists():
        raise DomainError("questions_answered", "Screening questions cannot change once proposals have answered them.")
    job.questions.all().delete()
    ScreeningQuestion.objects.bulk_create(
        [ScreeningQuestion(job=job, text=text, position=i) for i, text in enumerate(texts)]
    )


def _skills(skill_ids: Sequence[int]) -> list[Skill]:
    skills = list(Skill.objects.filter(pk__in=skill_ids))
    if len(skills) != len(set(skill_ids)):
        raise DomainError("job_skills_invalid", "One of the chosen skills does not exist.", status=400)
    return skills


def _job_for_org_action(*, user, job_id: int, perm: OrgPerm) -> Job:
    """The job, locked, if `user` may do `perm` in its organization; 404 if they cannot even see it."""
    job = Job.objects.select_for_update().select_related("organization").filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    role = role_in(user, job.organization_id)
    if role is None or not role_allows(role, OrgPerm.VIEW):
        raise NotFound()
    if not role_allows(role, perm):
        raise PermissionDenied()
    return job


@transaction.atomic
def job_create(*, user, organization_id: int, fields: JobFields, attachments: Sequence = ()) -> Job:
    """A draft job of the organization; the caller must hold POST_JOBS there."""
    if not has_org_perm(user, organization_id, OrgPerm.POST_JOBS):
        raise PermissionDenied("Only members who may post jobs can do that in this organization.")
    _check_job_fields(fields)
    skills = _skills(fields.skill_ids)
    job = Job(organization_id=organization_id, created_by=user)
    _apply_job_fields(job, fields)
    job.save()
    job.skills.set(skills)
    _set_questions(job, fields.questions)
    for uploaded in attachments:
        _attach(job, uploaded)
    job_reindex(job)
    return job


@transaction.atomic
def job_update(*, user, job_id: int, fields: JobFields) -> Job:
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    if job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "A closed job cannot be edited.")
    _check_job_fields(fields)
    skills = _skills(fields.skill_ids)
    _apply_job_fields(job, fields)
    job.save()
    job.skills.set(skills)
    _set_questions(job, fields.questions)
    job_reindex(job)
    return job


def _attach(job: Job, uploaded) -> JobAttachment:
    content_type = check_upload(uploaded)
    return JobAttachment.objects.create(
        job=job, file=uploaded, name=uploaded.name[:200], content_type=content_type, size=uploaded.size
    )


@transaction.atomic
def job_attachment_add(*, user, job_id: int, uploaded) -> JobAttachment:
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    if job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "A closed job cannot be edited.")
    return _attach(job, uploaded)


@transaction.atomic
def job_publish(*, user, job_id: int) -> Job:
    """Draft → open: the job becomes searchable, and saved searches are checked for it after commit."""
    from jobs import tasks

    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    _transition(job, Job.Status.OPEN)
    job.published_at = timezone.now()
    job.save(update_fields=["status", "published_at", "updated_at"])
    job_reindex(job)
    transaction.on_commit(tasks.saved_searches_notify.delay)
    return job


@transaction.atomic
def job_close(*, user, job_id: int, reason: str, note: str = "") -> Job:
    """Close a draft or open job as filled or cancelled; a closed job takes no proposals."""
    if reason not in Job.CloseReason.values:
        raise DomainError("close_reason_invalid", "Say whether the job was filled or cancelled.", status=400)
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    _transition(job, Job.Status.CLOSED)
    job.close_reason = reason
    job.close_note = note.strip()[:500]
    job.closed_at = timezone.now()
    job.save(update_fields=["status", "close_reason", "close_note", "closed_at", "updated_at"])
    return job


@transaction.atomic
def job_close_by_staff(*, staff, job_id: int, reason: str) -> Job:
    """Moderation: staff close a job that breaks the rules; the client is told why."""
    if not staff.is_staff:
        raise PermissionDenied()
    if not reason.strip():
        raise DomainError("reason_required", "Say why the job is being closed.", status=400)
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    _transition(job, Job.Status.CLOSED)
    job.close_reason = Job.CloseReason.CANCELLED
    job.close_note = f"Closed by {settings.SITE_NAME} staff: {reason.strip()}"[:500]
    job.closed_at = timezone.now()
    job.save(update_fields=["status", "close_reason", "close_note", "closed_at", "updated_at"])
    for membership in Membership.objects.filter(organization_id=job.organization_id).select_related("user"):
        if role_allows(membership.role, OrgPerm.POST_JOBS):
            notify(
                user=membership.user,
                kind="job_closed_by_staff",
                title=f"Your job “{job.title}” was closed by our staff",
                body=job.close_note,
                url=reverse("jobs:detail", args=[job.pk]),
                reference=f"job:{job.pk}",
            )
    return job


def job_windows_refresh() -> int:
    """Recompute the UTC working window of draft and open jobs whose zone's offset changed (daylight saving).

    Returns how many changed. Run daily from beat; the stored window is what search compares."""
    changed = 0
    live = Job.objects.exclude(status=Job.Status.CLOSED).only(
        "id", "timezone", "work_start", "work_end", "work_utc_start_minute", "work_minutes"
    )
    for job in live.iterator(chunk_size=500):
        window = window_to_utc(start=job.work_start, end=job.work_end, tz_name=job.timezone)
        if window != (job.work_utc_start_minute, job.work_minutes):
            Job.objects.filter(pk=job.pk).update(work_utc_start_minute=window[0], work_minutes=window[1])
            changed += 1
    return changed


# --- Invitations ---


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
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("job", "freelancer")
        .filter(pk=invitation_id, freelancer__user=user)
        .first()
        if user.is_authenticated
        else None
    )
    if invitation is None:
        raise NotFound()
    return invitation


@transaction.atomic
def invitation_accept(*, user, invitation_id: int) -> Invitation:
    """Accepting says "I will write a proposal"; the proposal itself is submitted with `proposal_submit`."""
    invitation = _own_invitation(user=user, invitation_id=invitation_id)
    if invitation.job.status == Job.Status.CLOSED:
        raise DomainError("job_closed", "This job is closed.")
    _transition(invitation, Invitation.Status.ACCEPTED)
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    return invitation


@transaction.atomic
def invitation_decline(*, user, invitation_id: int) -> Invitation:
    invitation = _own_invitation(user=user, invitation_id=invitation_id)
    _transition(invitation, Invitation.Status.DECLINED)
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    if invitation.invited_by_id:
        notify(
            user=invitation.invited_by,
            kind="job_invitation_declined",
            title=f"{invitation.freelancer.user.display_name} declined your invitation to “{invitation.job.title}”",
            url=reverse("jobs:detail", args=[invitation.job_id]),
            reference=f"invitation:{invitation.pk}",
        )
    return invitation


# --- Proposals ---


@dataclasses.dataclass(frozen=True)
class MilestoneInput:
    title: str
    amount_cents: int


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
        raise DomainError("cover_letter_required", "Write a cover letter.", status=400)
    questions = list(job.questions.all())
    answers = {int(k): v.strip() for k, v in (answers or {}).items()}
    if any(not answers.get(q.pk) for q in questions):
        raise DomainError("answers_required", "Answer every screening question.", status=400)
    if job.is_hourly:
        if rate_cents is None or not settings.MIN_HOURLY_RATE_CENTS <= rate_cents <= settings.MAX_HOURLY_RATE_CENTS:
            raise DomainError(
                "rate_invalid",
                f"Give an hourly rate between {settings.MIN_HOURLY_RATE_CENTS / 100:.2f} and "
                f"{settings.MAX_HOURLY_RATE_CENTS / 100:.2f}.",
                status=400,
            )
        bid_cents, milestones = None, ()
    else:
        if not bid_cents or bid_cents <= 0:
            raise DomainError("bid_invalid", "Give a bid above zero.", status=400)
        if not milestones or any(m.amount_cents <= 0 or not m.title.strip() for m in milestones):
            raise DomainError(
                "milestones_required", "Propose at least one milestone, each with a title and amount.", status=400
            )
        if sum(m.amount_cents for m in milestones) != bid_cents:
            raise DomainError("milestones_sum_mismatch", "The milestones must add up to the bid.", status=400)
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
        invitation.status = Invitation.Status.ACCEPTED
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["status", "responded_at"])
    if job.created_by_id:
        notify(
            user=job.created_by,
            kind="proposal_received",
            title=f"New proposal on “{job.title}” from {user.display_name}",
            url=reverse("jobs:proposal_detail", args=[proposal.pk]),
            reference=f"proposal:{proposal.pk}",
        )
    return proposal


def _proposal_for_client(*, user, proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.select_for_update().select_related("job", "freelancer__user").filter(pk=proposal_id).first()
    )
    if proposal is None:
        raise NotFound()
    _job_for_org_action(user=user, job_id=proposal.job_id, perm=OrgPerm.HIRE)
    return proposal


def _set_proposal_status(proposal: Proposal, status: str) -> None:
    _transition(proposal, status)
    proposal.status_changed_at = timezone.now()
    proposal.save(update_fields=["status", "status_changed_at"])


@transaction.atomic
def proposal_shortlist(*, user, proposal_id: int) -> Proposal:
    proposal = _proposal_for_client(user=user, proposal_id=proposal_id)
    _set_proposal_status(proposal, Proposal.Status.SHORTLISTED)
    return proposal


@transaction.atomic
def proposal_decline(*, user, proposal_id: int) -> Proposal:
    proposal = _proposal_for_client(user=user, proposal_id=proposal_id)
    _set_proposal_status(proposal, Proposal.Status.DECLINED)
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
    proposal = (
        Proposal.objects.select_for_update().filter(pk=proposal_id, freelancer__user=user).first()
        if user.is_authenticated
        else None
    )
    if proposal is None:
        raise NotFound()
    _set_proposal_status(proposal, Proposal.Status.WITHDRAWN)
    return proposal


@transaction.atomic
def proposal_mark_hired(*, proposal: Proposal) -> Proposal:
    """Submitted or shortlisted → hired. For the contracts app, which has already checked who may hire; closing
    the job as filled is the caller's choice (`job_close`)."""
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _set_proposal_status(locked, Proposal.Status.HIRED)
    proposal.status, proposal.status_changed_at = locked.status, locked.status_changed_at
    return locked


# --- Saved searches ---


@transaction.atomic
def saved_search_create(*, user, name: str, query: str) -> SavedSearch:
    if not user.is_authenticated or not FreelancerProfile.objects.filter(user=user).exists():
        raise DomainError("freelancer_required", "Only freelancers can save job searches.")
    name = name.strip() or "My search"
    return SavedSearch.objects.create(user=user, name=name[:120], query=query[:1000], checked_until=timezone.now())


@transaction.atomic
def saved_search_delete(*, user, saved_search_id: int) -> None:
    deleted, _ = SavedSearch.objects.filter(pk=saved_search_id, user=user).delete()
    if not deleted:
        raise NotFound()


def saved_search_check(*, saved_search_id: int) -> int:
    """Notify the owner of jobs published since the last check that match the search; returns how many.

    Locks the saved search (skipping one another worker holds) so the beat run and a publish-triggered run never
    notify the same job twice.
    """
    from jobs.forms import parse_job_search
    from jobs.search import job_search

    with transaction.atomic():
        saved = (
            SavedSearch.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=saved_search_id)
            .first()
        )
        if saved is None:
            return 0
        cutoff = timezone.now()
        params = dataclasses.replace(
            parse_job_search(saved.query), sort="newest", page=1, published_after=saved.checked_until
        )
        page = job_search(params=params, user=saved.user, page_size=settings.SAVED_SEARCH_MAX_NOTIFIED)
        new_jobs = [hit.job for hit in page.results if hit.job.published_at <= cutoff]
        if new_jobs:
            titles = "\n".join(f"• {job.title}" for job in new_jobs)
            more = " and more" if page.has_more else ""
            notify(
                user=saved.user,
                kind="saved_search_match",
                title=f"{len(new_jobs)} new job{'s' if len(new_jobs) != 1 else ''}{more} for “{saved.name}”",
                body=titles,
                url=f"{reverse('jobs:search')}?{saved.query}",
                reference=f"saved_search:{saved.pk}",
            )
        saved.checked_until = cutoff
        saved.save(update_fields=["checked_until"])
        return len(new_jobs)


# --- Talent index ---


def talent_index_refresh(*, profile: FreelancerProfile) -> TalentIndex:
    """Rebuild the talent search row of one profile from its current fields, skills and languages."""
    with transaction.atomic():
        skills = list(profile.skills.order_by("id").values_list("id", "name"))
        languages = sorted(profile.languages.values_list("code", flat=True))
        row, _ = TalentIndex.objects.update_or_create(
            profile=profile,
            defaults={
                "skill_ids": [pk for pk, _ in skills],
                "language_codes": languages,
                "hourly_rate_cents": profile.hourly_rate_cents,
                "job_success_score": profile.job_success_score,
                "country": str(profile.country or ""),
                "work_utc_start_minute": profile.work_utc_start_minute,
                "work_minutes": profile.work_minutes,
                "profile_updated_at": profile.updated_at,
            },
        )
        if connection.vendor == "postgresql":
            names = " ".join(name for _pk, name in skills)
            TalentIndex.objects.filter(pk=row.pk).update(
                search_vector=SearchVector(Value(profile.headline), weight="A", config=SEARCH_CONFIG)
                + SearchVector(Value(names), weight="B", config=SEARCH_CONFIG)
                + SearchVector(Value(profile.overview), weight="C", config=SEARCH_CONFIG)
            )
        return row


def talent_index_refresh_stale(*, limit: int = 1000) -> int:
    """Refresh the rows of profiles changed since their row was built (and index new profiles); returns how many."""
    stale = FreelancerProfile.objects.filter(
        Q(talent_index__isnull=True) | Q(updated_at__gt=F("talent_index__profile_updated_at"))
    ).order_by("updated_at")[:limit]
    count = 0
    for profile in stale:
        talent_index_refresh(profile=profile)
        count += 1
    return count
