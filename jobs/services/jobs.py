"""Job posts: drafts, edits, attachments, publishing and closing (by the client or by staff), their UTC windows."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Skill
from accounts.permissions import OrgPerm, may, require_org_perm, role_allows
from jobs import selectors, tasks
from jobs.models import (
    Job,
    JobAttachment,
    ProposalAnswer,
    ScreeningQuestion,
)
from jobs.search.index import job_reindex
from kernel import audit
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.permissions import may_moderate, require_access
from kernel.refs import Kind, ref
from kernel.transitions import lock, register_actors, transition
from kernel.uploads import check_upload
from kernel.windows import UtcWindow, check_window, to_utc
from messaging import reports
from messaging.services import notify


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


def _job_moves(job: Job, actor) -> set[str]:
    """Members who may post jobs publish and close them. (Staff moderation, `job_close_by_staff`, is the admin's
    action, not one a page offers.)"""
    if actor is None or not actor.is_authenticated or not may(actor, job.organization_id, OrgPerm.POST_JOBS):
        return set()
    return {Job.Status.OPEN, Job.Status.CLOSED}


register_actors(Job, _job_moves)


def _check_job_fields(fields: JobFields) -> None:
    if not fields.title.strip():
        raise InvalidInput("job_title_required", errors={"title": "Give the job a title."})
    if not fields.skill_ids:
        raise InvalidInput("job_skills_required", errors={"skill_ids": "Choose at least one required skill."})
    check_window(fields.work_start, fields.work_end)
    if not 0 <= fields.overlap_hours <= 8:
        raise InvalidInput(
            "job_overlap_range", errors={"overlap_hours": "Overlap must be between 0 and 8 hours a day."}
        )
    if fields.budget_type == Job.BudgetType.HOURLY:
        low, high = fields.rate_min_cents, fields.rate_max_cents
        if not low or not high or low <= 0 or high <= 0:
            raise InvalidInput(
                "job_budget_invalid", errors={"rate_min_cents": "Give a minimum and a maximum hourly rate above zero."}
            )
        if low > high:
            raise InvalidInput(
                "job_budget_invalid", errors={"rate_max_cents": "The minimum rate must not be above the maximum."}
            )
    elif fields.budget_type == Job.BudgetType.FIXED:
        if not fields.fixed_amount_cents or fields.fixed_amount_cents <= 0:
            raise InvalidInput("job_budget_invalid", errors={"fixed_amount_cents": "Give a fixed price above zero."})
    else:
        raise InvalidInput("job_budget_invalid", errors={"budget_type": "Choose hourly or fixed price."})


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
    window = to_utc(timezone=job.timezone, start=fields.work_start, end=fields.work_end)
    job.work_utc_start_minute, job.work_minutes = window.start_minute, window.minutes
    job.overlap_hours = fields.overlap_hours


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
        raise InvalidInput("job_skills_invalid", errors={"skill_ids": "One of the chosen skills does not exist."})
    return skills


_ONLY_POSTERS = "Only members who may post jobs can do that here."


def _job_for_org_action(*, user, job_id: int, perm: OrgPerm) -> Job:
    """The job, locked, if `user` may do `perm` in its organization; 404 if they cannot even see it."""
    job = lock(Job.objects.select_related("organization"), pk=job_id)
    require_org_perm(user, job.organization_id, perm)
    return job


@transaction.atomic
def job_create(*, user, organization_id: int, fields: JobFields, attachments: Sequence = ()) -> Job:
    """A draft job of the organization; the caller must hold POST_JOBS there."""
    require_org_perm(user, organization_id, OrgPerm.POST_JOBS, detail=_ONLY_POSTERS)
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


def job_check_editor(*, user, job: Job) -> None:
    """May `user`, who sees `job`, edit it? A member whose role may not post jobs gets 403 (the edit page asks
    before it shows the form; `job_update` checks again under the lock)."""
    require_access(visible=True, allowed=may(user, job.organization_id, OrgPerm.POST_JOBS), detail=_ONLY_POSTERS)


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
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    transition(job, Job.Status.OPEN, actor=user, published_at=timezone.now())
    job_reindex(job)
    transaction.on_commit(tasks.saved_searches_notify.delay)
    return job


@transaction.atomic
def job_close(*, user, job_id: int, reason: str, note: str = "") -> Job:
    """Close a draft or open job as filled or cancelled; a closed job takes no proposals."""
    if reason not in Job.CloseReason.values:
        raise InvalidInput("close_reason_invalid", errors={"reason": "Say whether the job was filled or cancelled."})
    job = _job_for_org_action(user=user, job_id=job_id, perm=OrgPerm.POST_JOBS)
    transition(
        job, Job.Status.CLOSED, actor=user, close_reason=reason, close_note=note.strip()[:500], closed_at=timezone.now()
    )
    return job


@transaction.atomic
def job_close_by_staff(*, staff, job_id: int, reason: str) -> Job:
    """Moderation: staff close a job that breaks the rules; recorded in the audit trail; the client is told why."""
    if not may_moderate(staff):
        raise PermissionDenied("Only staff who may moderate can close a job for breaking the rules.")
    if not reason.strip():
        raise InvalidInput("reason_required", errors={"reason": "Say why the job is being closed."})
    job = lock(Job.objects, pk=job_id)
    transition(
        job,
        Job.Status.CLOSED,
        actor=staff,
        close_reason=Job.CloseReason.CANCELLED,
        close_note=f"Closed by {settings.SITE_NAME} staff: {reason.strip()}"[:500],
        closed_at=timezone.now(),
    )
    audit.record(actor=staff, action="job_closed", target=ref(Kind.JOB, job.pk), reason=reason.strip())
    for membership in Membership.objects.filter(organization_id=job.organization_id).select_related("user"):
        if role_allows(membership.role, OrgPerm.POST_JOBS):
            notify(
                user=membership.user,
                kind="job_closed_by_staff",
                title=f"Your job “{job.title}” was closed by our staff",
                body=job.close_note,
                url=reverse("jobs:detail", args=[job.pk]),
                reference=ref(Kind.JOB, job.pk),
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
        window = to_utc(timezone=job.timezone, start=job.work_start, end=job.work_end)
        if window != UtcWindow(job.work_utc_start_minute, job.work_minutes):
            Job.objects.filter(pk=job.pk).update(work_utc_start_minute=window.start_minute, work_minutes=window.minutes)
            changed += 1
    return changed


def _job_hide(*, staff, pk: int, reason: str) -> None:
    """Hiding a reported job closes it (out of search, no more proposals); a closed job is hidden already."""
    if Job.objects.filter(pk=pk).exclude(status=Job.Status.CLOSED).exists():
        job_close_by_staff(staff=staff, job_id=pk, reason=reason)


reports.register(
    Kind.JOB,
    model=Job,
    find=selectors.job_as_reported,
    hide=_job_hide,
    hide_label="Close the job (out of search, no more proposals; the client is told why)",
)
