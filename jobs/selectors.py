"""Reads for jobs, scoped to the user asking: what is not theirs to see simply is not there (a 404)."""

from django.db.models import F, Prefetch, Q, QuerySet

from accounts.models import FreelancerProfile, Membership, Organization
from accounts.permissions import OrgPerm, may, organization_ids_with
from jobs.models import Invitation, Job, JobAttachment, Proposal, ProposalAttachment, SavedSearch, ScreeningQuestion
from jobs.search.query import overlap_minutes_expression
from kernel.windows import UtcWindow, overlap_minutes
from messaging.reports import Reported

PROPOSAL_SORTS = {
    "newest": ("-created_at", "-id"),
    "rate": ("rate_cents", "bid_cents", "-id"),
    "score": (F("freelancer__job_success_score").desc(nulls_last=True), "-id"),
    "overlap": ("-shared_minutes", "-id"),
}


def _jobs() -> QuerySet[Job]:
    return Job.objects.defer("search_vector").select_related("organization")


def jobs_visible_to(user) -> QuerySet[Job]:
    """Open public jobs for everyone; any job of an organization the user belongs to; and jobs (not drafts) the
    user, as a freelancer, was invited to."""
    visible = Q(status=Job.Status.OPEN, visibility=Job.Visibility.PUBLIC)
    if user.is_authenticated:
        visible |= Q(organization_id__in=organization_ids_with(user, OrgPerm.VIEW))
        visible |= Q(invitations__freelancer__user=user) & ~Q(status=Job.Status.DRAFT)
    return _jobs().filter(visible).distinct()


def job_get(*, user, job_id: int) -> Job | None:
    return (
        jobs_visible_to(user)
        .filter(pk=job_id)
        .prefetch_related(
            "skills",
            "attachments",
            Prefetch("questions", queryset=ScreeningQuestion.objects.order_by("position", "id")),
        )
        .first()
    )


def job_attachments_readable_by(user) -> QuerySet[JobAttachment]:
    """A job's files go to whoever may see the job (kernel.files serves them)."""
    return JobAttachment.objects.filter(job__in=jobs_visible_to(user))


def organization_jobs(*, user, status: str = "") -> QuerySet[Job]:
    """The jobs of every organization where the user may view them, with proposal counts for "My jobs"."""
    from django.db.models import Count

    queryset = (
        _jobs()
        .filter(organization_id__in=organization_ids_with(user, OrgPerm.VIEW))
        .prefetch_related("skills")
        .annotate(
            proposal_count=Count("proposals", filter=Q(proposals__status__in=Proposal.LIVE), distinct=True),
        )
        .order_by("-created_at", "-id")
    )
    return queryset.filter(status=status) if status else queryset


def organizations_for_posting(user) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=organization_ids_with(user, OrgPerm.POST_JOBS)).order_by("name", "id")


def jobs_to_invite_to(user) -> QuerySet[Job]:
    """Open jobs of the organizations where the user may hire: the choices of "Invite to a job"."""
    org_ids = organization_ids_with(user, OrgPerm.HIRE)
    return _jobs().filter(organization_id__in=org_ids, status=Job.Status.OPEN).order_by("-published_at", "-id")


def can(user, job: Job, perm: OrgPerm) -> bool:
    return may(user, job.organization_id, perm)


def _proposals() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("job__organization", "freelancer__user").defer("job__search_vector")


def proposals_visible_to(user) -> QuerySet[Proposal]:
    """Proposals the user wrote, and proposals to jobs of organizations where the user may view them."""
    if not user.is_authenticated:
        return Proposal.objects.none()
    org_ids = organization_ids_with(user, OrgPerm.VIEW)
    return (
        _proposals()
        .filter(Q(freelancer__user=user) | Q(job__organization_id__in=org_ids))
        .order_by("-created_at", "-id")
    )


def proposal_get(*, user, proposal_id: int) -> Proposal | None:
    return (
        proposals_visible_to(user)
        .filter(pk=proposal_id)
        .prefetch_related("answers__question", "milestones", "attachments")
        .first()
    )


def proposal_attachments_readable_by(user) -> QuerySet[ProposalAttachment]:
    """A proposal's files go to whoever may see the proposal (kernel.files serves them)."""
    return ProposalAttachment.objects.filter(proposal__in=proposals_visible_to(user))


def proposals_of_freelancer(user) -> QuerySet[Proposal]:
    return _proposals().filter(freelancer__user=user).order_by("-created_at", "-id")


def proposals_for_review(*, user, job: Job, sort: str = "newest") -> QuerySet[Proposal]:
    """A job's proposals for its organization, sortable by rate, job success score or overlap with the job's hours.

    The caller obtained `job` through `job_get`; anyone outside its organization gets an empty queryset.
    """
    if not can(user, job, OrgPerm.VIEW):
        return Proposal.objects.none()
    order = PROPOSAL_SORTS.get(sort, PROPOSAL_SORTS["newest"])
    return (
        _proposals()
        .filter(job=job)
        .annotate(
            shared_minutes=overlap_minutes_expression(
                "freelancer__work_utc_start_minute",
                "freelancer__work_minutes",
                UtcWindow(job.work_utc_start_minute, job.work_minutes),
            )
        )
        .order_by(*order)
    )


def with_overlap(proposals, job: Job) -> list[tuple[Proposal, int]]:
    """Each proposal beside its freelancer's daily overlap (minutes) with the job's working window."""
    job_window = UtcWindow(job.work_utc_start_minute, job.work_minutes)
    return [
        (
            proposal,
            overlap_minutes(
                UtcWindow(proposal.freelancer.work_utc_start_minute, proposal.freelancer.work_minutes), job_window
            ),
        )
        for proposal in proposals
    ]


def live_proposal_of(*, user, job: Job) -> Proposal | None:
    if not user.is_authenticated:
        return None
    return Proposal.objects.filter(job=job, freelancer__user=user, status__in=Proposal.LIVE).first()


def invitations_of_freelancer(user) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(freelancer__user=user)
        .select_related("job__organization", "invited_by", "freelancer")
        .defer("job__search_vector")
        .order_by("-created_at", "-id")
    )


def invitation_of(*, user, job: Job) -> Invitation | None:
    if not user.is_authenticated:
        return None
    return Invitation.objects.filter(job=job, freelancer__user=user).first()


def invitations_of_job(*, user, job: Job) -> QuerySet[Invitation]:
    if not can(user, job, OrgPerm.VIEW):
        return Invitation.objects.none()
    return Invitation.objects.filter(job=job).select_related("freelancer__user").order_by("-created_at", "-id")


def saved_searches_of(user) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user).order_by("-created_at", "-id")


def saved_search_ids() -> list[int]:
    return list(SavedSearch.objects.order_by("id").values_list("id", flat=True))


def freelancer_window(user) -> tuple[int, int] | None:
    return FreelancerProfile.objects.filter(user=user).values_list("work_utc_start_minute", "work_minutes").first()


def default_timezone_of(user) -> str:
    """The zone a client searches talent in by default: their first organization's."""
    zone = (
        Membership.objects.filter(user=user)
        .order_by("created_at")
        .values_list("organization__timezone", flat=True)
        .first()
    )
    return zone or "UTC"


def job_as_reported(user, pk: int) -> Reported | None:
    """A job as someone reporting it sees it (messaging.reports): only a job they can see; their own
    organization's jobs are their own."""
    job = jobs_visible_to(user).filter(pk=pk).select_related("created_by").first()
    if job is None:
        return None
    return Reported(
        title=f"the job “{job.title}”",
        text=job.description,
        author=job.created_by,
        own=job.organization_id in organization_ids_with(user, OrgPerm.VIEW),
    )
