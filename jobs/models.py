from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import FreelancerProfile, Organization, Skill, validate_timezone
from jobs.fields import IntIdsField
from kernel.uploads import RandomName, StoredFile

ExperienceLevel = FreelancerProfile.ExperienceLevel


class Duration(models.TextChoices):
    LESS_THAN_MONTH = "lt_1m", "Less than a month"
    ONE_TO_THREE_MONTHS = "1_3m", "1 to 3 months"
    THREE_TO_SIX_MONTHS = "3_6m", "3 to 6 months"
    MORE_THAN_SIX_MONTHS = "gt_6m", "More than 6 months"


class Job(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        FILLED = "filled", "Filled"
        CANCELLED = "cancelled", "Cancelled"

    class BudgetType(models.TextChoices):
        HOURLY = "hourly", "Hourly rate"
        FIXED = "fixed", "Fixed price"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone can find it"
        INVITE_ONLY = "invite_only", "Invite only"

    ALLOWED = {
        Status.DRAFT: {Status.OPEN, Status.CLOSED},
        Status.OPEN: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=10_000)
    skills = models.ManyToManyField(Skill, related_name="jobs")
    category = models.CharField(max_length=20, choices=Skill.Category.choices)
    budget_type = models.CharField(max_length=10, choices=BudgetType.choices)
    rate_min_cents = models.PositiveIntegerField(null=True, blank=True)
    rate_max_cents = models.PositiveIntegerField(null=True, blank=True)
    fixed_amount_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    duration = models.CharField(max_length=10, choices=Duration.choices)
    experience_level = models.CharField(max_length=20, choices=ExperienceLevel.choices)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    # The client's working day in its own zone; the UTC minute/length pair is what searches compare, kept by the
    # job service (like FreelancerProfile.work_utc_start_minute/work_minutes).
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    work_start = models.TimeField(default="09:00")
    work_end = models.TimeField(default="17:00")
    work_utc_start_minute = models.PositiveSmallIntegerField(default=540)
    work_minutes = models.PositiveSmallIntegerField(default=480)
    overlap_hours = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(8)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Denormalised for search, rewritten by jobs.search.index on every change (never by signals).
    search_vector = SearchVectorField(null=True, editable=False)
    skill_ids = IntIdsField(editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Search walks this btree newest-first to take a bounded candidate set (ENVIRONMENT.md).
            models.Index(fields=["status", "published_at", "id"], name="job_status_published_idx"),
            models.Index(fields=["organization", "status"], name="job_org_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(overlap_hours__lte=8), name="job_overlap_hours_max_8"),
            models.CheckConstraint(condition=Q(work_utc_start_minute__lt=1440), name="job_work_start_minute_in_day"),
            models.CheckConstraint(
                condition=Q(work_minutes__gt=0, work_minutes__lte=1440), name="job_work_minutes_range"
            ),
            models.CheckConstraint(
                condition=Q(
                    budget_type="hourly",
                    rate_min_cents__gt=0,
                    rate_max_cents__gte=models.F("rate_min_cents"),
                    fixed_amount_cents__isnull=True,
                )
                | Q(
                    budget_type="fixed",
                    fixed_amount_cents__gt=0,
                    rate_min_cents__isnull=True,
                    rate_max_cents__isnull=True,
                ),
                name="job_budget_consistent",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", close_reason__in=["filled", "cancelled"])
                | (~Q(status="closed") & Q(close_reason="")),
                name="job_close_reason_iff_closed",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_hourly(self) -> bool:
        return self.budget_type == self.BudgetType.HOURLY


class JobAttachment(StoredFile):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=RandomName("jobs"))


class ScreeningQuestion(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    ALLOWED = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
    }

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="invitations")
    freelancer = models.ForeignKey(FreelancerProfile, on_delete=models.CASCADE, related_name="job_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "freelancer"], name="job_invitation_once")]

    def __str__(self):
        return f"{self.freelancer} → {self.job} ({self.status})"


class Proposal(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SHORTLISTED = "shortlisted", "Shortlisted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        HIRED = "hired", "Hired"

    LIVE = (Status.SUBMITTED, Status.SHORTLISTED)
    ALLOWED = {
        Status.SUBMITTED: {Status.SHORTLISTED, Status.DECLINED, Status.WITHDRAWN, Status.HIRED},
        Status.SHORTLISTED: {Status.DECLINED, Status.WITHDRAWN, Status.HIRED},
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
        Status.HIRED: set(),
    }

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="proposals")
    freelancer = models.ForeignKey(FreelancerProfile, on_delete=models.CASCADE, related_name="proposals")
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cover_letter = models.TextField(max_length=5000)
    # Hourly jobs: the rate asked. Fixed-price jobs: the bid, split into milestones that add up to it.
    rate_cents = models.PositiveIntegerField(null=True, blank=True)
    bid_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    estimated_duration = models.CharField(max_length=10, choices=Duration.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["freelancer", "created_at"], name="proposal_freelancer_week_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "freelancer"],
                condition=Q(status__in=["submitted", "shortlisted"]),
                name="one_live_proposal_per_job",
            ),
            models.CheckConstraint(
                condition=Q(rate_cents__isnull=False, bid_cents__isnull=True)
                | Q(rate_cents__isnull=True, bid_cents__isnull=False),
                name="proposal_rate_xor_bid",
            ),
        ]

    def __str__(self):
        return f"Proposal #{self.pk} on {self.job_id}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class ProposalAnswer(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ScreeningQuestion, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(max_length=2000)

    class Meta:
        ordering = ["question__position", "question_id"]
        constraints = [models.UniqueConstraint(fields=["proposal", "question"], name="proposal_answer_once")]

    def __str__(self):
        return f"answer to {self.question_id}"


class ProposalMilestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    amount_cents = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="proposal_milestone_positive")]

    def __str__(self):
        return self.title


class ProposalAttachment(StoredFile):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=RandomName("proposals"))


class SavedSearch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_job_searches")
    name = models.CharField(max_length=120)
    # The job search page's query string (its filters), replayed through the same form to find new matches.
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Jobs published after this moment are "new" for this search.
    checked_until = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class TalentIndex(models.Model):
    """Talent search's denormalised row per freelancer profile, refreshed by `talent_index_refresh`.

    It lives in jobs because accounts may not depend on search; `profile_updated_at` is the profile's
    `updated_at` when the row was built, so the periodic refresh finds stale rows with one comparison.
    """

    profile = models.OneToOneField(
        FreelancerProfile, on_delete=models.CASCADE, primary_key=True, related_name="talent_index"
    )
    search_vector = SearchVectorField(null=True, editable=False)
    skill_ids = IntIdsField()
    language_codes = models.JSONField(default=list, blank=True)
    hourly_rate_cents = models.PositiveIntegerField(null=True)
    job_success_score = models.PositiveSmallIntegerField(null=True)
    country = models.CharField(max_length=2, blank=True)
    work_utc_start_minute = models.PositiveSmallIntegerField(default=540)
    work_minutes = models.PositiveSmallIntegerField(default=480)
    profile_updated_at = models.DateTimeField()
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["profile_updated_at"], name="talent_index_updated_idx")]

    def __str__(self):
        return f"index of {self.profile_id}"
