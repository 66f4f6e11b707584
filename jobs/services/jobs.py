"""Job posts: drafts, edits, attachments, publishing and closing (by the client or by staff), their UTC windows."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Skill
from accounts.permissions import OrgPerm, has_org_perm, role_allows, role_in
from jobs import tasks
from jobs.models import (
    Job,
    JobAttachment,
    ProposalAnswer,
    ScreeningQuestion,
)
from jobs.overlap import window_to_utc
from jobs.search.index import job_reindex
from kernel.errors import DomainError, NotFound, PermissionDenied
from kernel.uploads import check_upload
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
