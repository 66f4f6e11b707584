"""Offers, contracts, fixed-price milestones and their history.

Each stateful model has a `Status` and an `ALLOWED` transition map beside it; only the services in
`contracts/services/` change a status, after checking the map under a row lock, and each change of a contract or a
milestone leaves one event row (who, when, from, to, why).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from jobs.models import Job, Proposal
from kernel.refs import Kind, ref
from kernel.uploads import RandomName, StoredFile


class ContractType(models.TextChoices):
    HOURLY = "hourly", "Hourly"
    FIXED = "fixed", "Fixed price"


# The terms an offer proposes and its contract keeps; the admin and the API show them read-only.
TERMS_FIELDS = ("contract_type", "hourly_rate_cents", "weekly_limit_hours", "total_cents", "currency")

# Hourly terms and fixed terms are mutually exclusive on an offer and on a contract.
_TERMS_CONSISTENT = Q(
    contract_type="hourly",
    hourly_rate_cents__gt=0,
    weekly_limit_hours__gt=0,
    total_cents__isnull=True,
) | Q(contract_type="fixed", total_cents__gt=0, hourly_rate_cents__isnull=True, weekly_limit_hours__isnull=True)


class Offer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    ALLOWED = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN, Status.EXPIRED},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
        Status.EXPIRED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="offers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers_received")
    proposal = models.ForeignKey(Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers")
    title = models.CharField(max_length=200)
    contract_type = models.CharField(max_length=10, choices=ContractType.choices)
    hourly_rate_cents = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    total_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    start_date = models.DateField()
    message = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="offer_status_expiry_idx"),
            models.Index(fields=["freelancer", "status"], name="offer_freelancer_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=_TERMS_CONSISTENT, name="offer_terms_consistent"),
            # One open offer per proposal: a second click on "Send offer" cannot make two.
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(status="pending", proposal__isnull=False),
                name="one_pending_offer_per_proposal",
            ),
        ]

    def __str__(self):
        return f"Offer #{self.pk}: {self.title}"

    @property
    def is_fixed(self) -> bool:
        return self.contract_type == ContractType.FIXED


class OfferMilestone(models.Model):
    """The milestones an offer proposes; accepting the offer copies them into real milestones."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    amount_cents = models.PositiveIntegerField()
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="offer_milestone_positive")]

    def __str__(self):
        return self.title


class PauseReason(models.TextChoices):
    CLIENT = "client", "Paused by the client"
    CHARGE_FAILED = "charge_failed", "Paused: the weekly charge failed"


class Contract(models.Model):
    HISTORY = "events"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    class Outcome(models.TextChoices):
        COMPLETED = "completed", "Work completed"
        CANCELLED = "cancelled", "Cancelled before completion"

    ALLOWED = {
        Status.ACTIVE: {Status.PAUSED, Status.ENDED},
        Status.PAUSED: {Status.ACTIVE, Status.ENDED},
        Status.ENDED: set(),
    }
    # The terms and the lifecycle, which only the services set: the admin and the API show them read-only.
    TERMS_AND_STATE_FIELDS = (
        *TERMS_FIELDS,
        "status",
        "start_date",
        "started_at",
        "ended_at",
        "ended_by",
        "end_outcome",
        "end_reason",
        "pause_reason",
        "paused_at",
    )

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="contracts")
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="contract")
    title = models.CharField(max_length=200)
    contract_type = models.CharField(max_length=10, choices=ContractType.choices)
    # Hourly terms (billing itself is done weekly by the timesheet work; the terms are fixed at the start).
    hourly_rate_cents = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # Fixed price: the agreed total; milestones added later make the milestones' sum larger than it.
    total_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    end_reason = models.TextField(max_length=2000, blank=True)
    # Why a paused contract is paused: the client chose to, or a weekly charge failed (then a successful retry
    # resumes it, and the client cannot resume it before the money is in).
    pause_reason = models.CharField(max_length=16, choices=PauseReason.choices, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"], name="contract_org_status_idx"),
            models.Index(fields=["freelancer", "status"], name="contract_freelancer_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=_TERMS_CONSISTENT, name="contract_terms_consistent"),
            models.CheckConstraint(
                condition=Q(status="ended", ended_at__isnull=False) | (~Q(status="ended") & Q(ended_at__isnull=True)),
                name="contract_ended_at_iff_ended",
            ),
            models.CheckConstraint(
                condition=Q(status="paused", paused_at__isnull=False)
                | (~Q(status="paused") & Q(paused_at__isnull=True)),
                name="contract_paused_at_iff_paused",
            ),
        ]

    def __str__(self):
        return f"Contract #{self.pk}: {self.title}"

    @property
    def is_fixed(self) -> bool:
        return self.contract_type == ContractType.FIXED

    @property
    def is_hourly(self) -> bool:
        return self.contract_type == ContractType.HOURLY

    @property
    def escrow_reference(self) -> str:
        return ref(Kind.CONTRACT, self.pk)


class StatusEvent(models.Model):
    """One status change in a history: who (null when the system did it), when, from, to, why."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class ContractEvent(StatusEvent):
    """A contract's history: started, paused, resumed, ended."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    # A contract's statuses and notes are shorter than a milestone's.
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(max_length=2000, blank=True)

    def __str__(self):
        return f"contract {self.contract_id}: {self.from_status or '—'} → {self.to_status}"


class Milestone(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for funding"
        FUNDED = "funded", "Funded"
        SUBMITTED = "submitted", "Submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REFUND_REQUESTED = "refund_requested", "Refund requested"
        APPROVED = "approved", "Approved (released)"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"

    ALLOWED = {
        Status.PENDING: {Status.FUNDED},
        Status.FUNDED: {Status.SUBMITTED, Status.REFUND_REQUESTED, Status.DISPUTED},
        Status.SUBMITTED: {Status.APPROVED, Status.CHANGES_REQUESTED, Status.DISPUTED},
        # Sent back to the freelancer: the work is not submitted any more, so a refund may be asked again.
        Status.CHANGES_REQUESTED: {Status.SUBMITTED, Status.REFUND_REQUESTED, Status.DISPUTED},
        # The freelancer agrees (refund) or rejects it, which opens a dispute.
        Status.REFUND_REQUESTED: {Status.REFUNDED, Status.DISPUTED},
        Status.APPROVED: set(),
        Status.REFUNDED: set(),
        # The dispute's resolution: any money to the freelancer approves it, none refunds it.
        Status.DISPUTED: {Status.APPROVED, Status.REFUNDED},
    }
    HISTORY = "events"
    # Money is in the contract's escrow in exactly these states.
    IN_ESCROW = (
        Status.FUNDED,
        Status.SUBMITTED,
        Status.CHANGES_REQUESTED,
        Status.REFUND_REQUESTED,
        Status.DISPUTED,
    )
    # The freelancer is working on it (funded and not finished): a fixed-price contract is not waiting for money.
    IN_PROGRESS = (Status.FUNDED, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.REFUND_REQUESTED)

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="milestone_status_submitted_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="milestone_amount_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def in_escrow(self) -> bool:
        return self.status in self.IN_ESCROW


class MilestoneEvent(StatusEvent):
    """One row per milestone transition (the system is the actor of e.g. auto-approval)."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="events")

    def __str__(self):
        return f"milestone {self.milestone_id}: {self.from_status or '—'} → {self.to_status}"


class MilestoneSubmission(models.Model):
    """What the freelancer handed in: a message and files. Each (re)submission is its own row."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="submissions")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"submission {self.pk} of milestone {self.milestone_id}"


class SubmissionFile(StoredFile):
    submission = models.ForeignKey(MilestoneSubmission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=RandomName("milestones"))


# --- Hourly contracts: terms by week, the work diary, timesheets, weekly updates, bonuses, documents ---


class ContractTermsChange(models.Model):
    """A new hourly rate and weekly limit that apply from the Monday `week_start` on (never to a week already
    under way: the freelancer worked this week on the terms they saw). The latest change not after a week is
    that week's terms; before the first change the contract's own terms hold."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="terms_changes")
    week_start = models.DateField()
    hourly_rate_cents = models.PositiveIntegerField()
    # Zero is allowed here: the freelancer may still log time, none of it is billed.
    weekly_limit_hours = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["week_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "week_start"], name="terms_change_once_per_week"),
            models.CheckConstraint(condition=Q(hourly_rate_cents__gt=0), name="terms_change_rate_positive"),
        ]

    def __str__(self):
        return f"contract {self.contract_id} from {self.week_start}: {self.hourly_rate_cents}/h"


class Timesheet(models.Model):
    """One contract's billing week (Monday 00:00 to Sunday 23:59 UTC), created with its first time entry.

    The rate, limit and currency are the week's terms, copied when the week's first entry is made. The minute
    totals are kept by the time-entry services on every change, so a page reads them without summing."""

    HISTORY = "events"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        DISPUTED = "disputed", "Disputed"
        PAID = "paid", "Paid"

    ALLOWED = {
        # Closing: charged (review starts), nothing billable (approved, nothing to pay), or the card failed.
        Status.OPEN: {Status.IN_REVIEW, Status.APPROVED, Status.PAYMENT_FAILED},
        Status.PAYMENT_FAILED: {Status.IN_REVIEW},
        Status.IN_REVIEW: {Status.APPROVED, Status.DISPUTED},
        Status.APPROVED: {Status.PAID},
        # The undisputed part is released at the end of the review, the dispute settles the rest: then it is paid.
        Status.DISPUTED: {Status.PAID},
        Status.PAID: set(),
    }

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="timesheets")
    week_start = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    hourly_rate_cents = models.PositiveIntegerField()
    weekly_limit_hours = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=3)
    total_minutes = models.PositiveIntegerField(default=0)
    billable_minutes = models.PositiveIntegerField(default=0)
    # Set at closing: billable hours × rate, and the client fee charged on top of it.
    amount_cents = models.PositiveIntegerField(default=0)
    client_fee_cents = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The charge: each attempt has its own key (`charge_key`, set before the gateway is called and kept until
    # the outcome is recorded), so a retry never replays an earlier failure.
    charge_attempts = models.PositiveSmallIntegerField(default=0)
    charge_key = models.CharField(max_length=120, blank=True)
    charge_error = models.CharField(max_length=255, blank=True)
    next_charge_at = models.DateTimeField(null=True, blank=True)
    charged_at = models.DateTimeField(null=True, blank=True)
    review_ends_at = models.DateTimeField(null=True, blank=True)
    disputed_minutes = models.PositiveIntegerField(default=0)
    disputed_cents = models.PositiveIntegerField(default=0)
    dispute_reason = models.TextField(max_length=2000, blank=True)
    released_cents = models.PositiveIntegerField(default=0)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start", "-id"]
        indexes = [
            models.Index(fields=["status", "week_start"], name="timesheet_status_week_idx"),
            models.Index(fields=["status", "next_charge_at"], name="timesheet_retry_idx"),
            models.Index(fields=["status", "review_ends_at"], name="timesheet_review_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["contract", "week_start"], name="timesheet_once_per_week"),
            models.CheckConstraint(
                condition=Q(billable_minutes__lte=models.F("total_minutes")), name="billable_le_total"
            ),
            models.CheckConstraint(
                condition=Q(disputed_minutes__lte=models.F("billable_minutes")), name="disputed_le_billable"
            ),
        ]

    def __str__(self):
        return f"Timesheet of contract {self.contract_id}, week of {self.week_start}"

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.client_fee_cents

    @property
    def week_end(self):
        """The last day of the week (a Sunday)."""
        return self.week_start + timedelta(days=6)


class TimesheetEvent(StatusEvent):
    timesheet = models.ForeignKey(Timesheet, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)

    def __str__(self):
        return f"timesheet {self.timesheet_id}: {self.from_status or '—'} → {self.to_status}"


class TimeEntry(models.Model):
    """Time the freelancer worked, in whole 10-minute segments, inside one billing week. A running timer is the
    entry without an end; there is at most one per freelancer across all their contracts."""

    class Source(models.TextChoices):
        TIMER = "timer", "Timer"
        MANUAL = "manual", "Manual"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="time_entries")
    timesheet = models.ForeignKey(Timesheet, on_delete=models.PROTECT, related_name="entries")
    # The contract's freelancer, repeated so the database can hold "one running timer per freelancer".
    freelancer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name_plural = "time entries"
        indexes = [models.Index(fields=["freelancer", "started_at"], name="time_entry_freelancer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["freelancer"], condition=Q(ended_at__isnull=True), name="one_running_timer_per_freelancer"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=models.F("started_at")),
                name="entry_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}–{self.ended_at:%H:%M}" if self.ended_at else "running timer"

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60) if self.ended_at else 0


class WeeklyUpdate(models.Model):
    """The freelancer's short note about a week: what got done, what is next, what is in the way."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="weekly_updates")
    week_start = models.DateField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    done = models.TextField(max_length=2000)
    next = models.TextField(max_length=2000, blank=True)
    blockers = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["contract", "week_start"], name="weekly_update_once")]

    def __str__(self):
        return f"update on contract {self.contract_id}, week of {self.week_start}"


class Bonus(models.Model):
    """An extra payment from the client: charged with the client fee and released at once to the freelancer's
    pending balance less the freelancer fee."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being charged"
        PAID = "paid", "Paid"
        FAILED = "failed", "Charge failed"

    ALLOWED = {
        Status.PENDING: {Status.PAID, Status.FAILED},
        Status.PAID: set(),
        Status.FAILED: set(),
    }

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="bonuses")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    note = models.TextField(max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The caller's key (scoped to who sent it), so the same request twice is one bonus.
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "bonuses"
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="bonus_positive")]

    def __str__(self):
        return f"Bonus {self.pk} on contract {self.contract_id}"


class DocumentSequence(models.Model):
    """The last number an issuer gave a document of a kind. Taken under its row lock in the transaction that
    writes the document, so numbers have no gaps: a rolled-back document gives its number back."""

    issuer_key = models.CharField(max_length=80)
    kind = models.CharField(max_length=10)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer_key", "kind"], name="document_sequence_once")]

    def __str__(self):
        return f"{self.kind} {self.issuer_key}: {self.last_number}"


class BillingDocument(models.Model):
    """An invoice to the client or a statement to the freelancer for one closed week. Its lines and totals are
    frozen when it is issued (`lines`: one per day of the week in the recipient's zone, the organization's or the
    freelancer's, each with that zone's name, minutes and billable minutes; older documents' lines, without a
    zone, are UTC days)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        STATEMENT = "statement", "Statement"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    timesheet = models.ForeignKey(Timesheet, on_delete=models.PROTECT, related_name="documents")
    # Invoices are issued in the freelancer's name to the client; statements by the platform to the freelancer.
    issuer_key = models.CharField(max_length=80)
    number = models.PositiveIntegerField()
    lines = models.JSONField(default=list)
    hourly_rate_cents = models.PositiveIntegerField()
    billable_minutes = models.PositiveIntegerField()
    total_minutes = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()
    fee_cents = models.PositiveIntegerField()
    # Invoice: amount + client fee (what the client paid). Statement: amount − freelancer fee (what they earn).
    total_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer_key", "kind", "number"], name="document_number_once"),
            models.UniqueConstraint(fields=["timesheet", "kind"], name="document_once_per_timesheet"),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        prefix = "INV" if self.kind == self.Kind.INVOICE else "ST"
        issuer = self.issuer_key.replace("user:", "U").replace("platform", "P")
        return f"{prefix}-{issuer}-{self.number:06d}"


# --- Feedback, disputes (contracts/services/feedback.py, disputes.py) ---


class Party(models.TextChoices):
    """The two sides of a contract."""

    CLIENT = "client", "Client"
    FREELANCER = "freelancer", "Freelancer"


class Feedback(models.Model):
    """What one side of an ended contract says about the other: 1–5 on each criterion, a public comment and private
    feedback for the platform. Public parts stay hidden (`revealed_at` null) until both sides have left theirs or
    the window passes; only then may anyone but its author read them."""

    Side = Party

    # The criteria each side rates, in the order forms show them: (field, label about a freelancer, about a client).
    CRITERIA = (
        ("quality", "Quality of the work", "Clarity of the requirements"),
        ("communication", "Communication", "Communication"),
        ("timeliness", "Meeting deadlines", "Paying on time"),
    )

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="feedback")
    side = models.CharField(max_length=10, choices=Party.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    quality = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    timeliness = models.PositiveSmallIntegerField()
    # The mean of the criteria in tenths (4.7 stars is 47), computed once by the service that writes the row.
    rating_tenths = models.PositiveSmallIntegerField()
    public_comment = models.TextField(max_length=2000)
    private_feedback = models.TextField(max_length=2000, blank=True)
    # The freelancer's choice, on their own feedback: show what they earned on this contract in their work history.
    show_earnings = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "side"], name="feedback_once_per_side"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}), name=f"feedback_{name}_1_5"
                )
                for name in ("quality", "communication", "timeliness")
            ),
        ]
        indexes = [models.Index(fields=["revealed_at", "created_at"], name="feedback_reveal_idx")]

    def __str__(self):
        return f"feedback from the {self.get_side_display().lower()} on contract {self.contract_id}"

    @property
    def rating(self) -> str:
        """The overall rating as people read it: "4.7"."""
        return f"{self.rating_tenths // 10}.{self.rating_tenths % 10}"

    @property
    def criteria_ratings(self) -> list[tuple[str, int]]:
        """(label, rating) per criterion, labelled for the side being rated."""
        about_freelancer = self.side == Party.CLIENT
        return [
            (about_f if about_freelancer else about_c, getattr(self, name)) for name, about_f, about_c in self.CRITERIA
        ]


class Dispute(models.Model):
    """A disagreement over money in a contract's escrow (a milestone's amount, or a timesheet's hours), frozen by a
    payments hold from the moment it opens until one resolution settles it in one ledger entry.

    One dispute per milestone, ever: a resolution releases or refunds all of the held money, so there is never
    anything left to hold again (the re-activation a peer product suffered is refused by the constraint too)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a response"
        RESPONDED = "responded", "Responded: the parties can settle or wait for staff"
        ESCALATED = "escalated", "With staff for a decision"
        # Decided; the client's part is on its way back to the card, and the money moves when the gateway confirms.
        SETTLING = "settling", "Decided: the money is being paid out"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        AGREED = "agreed", "Settled by agreement"
        RELEASED = "released", "Released to the freelancer"
        REFUNDED = "refunded", "Refunded to the client"
        SPLIT = "split", "Split between the parties"

    ALLOWED = {
        Status.OPEN: {Status.RESPONDED, Status.ESCALATED, Status.SETTLING, Status.RESOLVED},
        Status.RESPONDED: {Status.ESCALATED, Status.SETTLING, Status.RESOLVED},
        Status.ESCALATED: {Status.SETTLING, Status.RESOLVED},
        # The gateway refused the refund part: the money stays held and staff decide again.
        Status.SETTLING: {Status.RESOLVED, Status.ESCALATED},
        Status.RESOLVED: set(),
    }
    HISTORY = "events"
    # The parties and staff may still act (evidence, offers, a decision).
    ACTIVE = (Status.OPEN, Status.RESPONDED, Status.ESCALATED)
    # Money is still held: the contract cannot end.
    UNRESOLVED = (*ACTIVE, Status.SETTLING)

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="disputes")
    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="dispute")
    # What is disputed, as a reference (kernel.refs): "milestone:12" for a milestone (beside its key above) or
    # "timesheet:40" for a week's hours (which have no key of their own). Unique, so the same money is disputed
    # once; the dispute's hold key is made from it, and billing finds a week's dispute by it.
    subject_reference = models.CharField(max_length=120)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_side = models.CharField(max_length=10, choices=Party.choices)
    reason = models.TextField(max_length=5000)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The payments hold freezing the money, and the key it was reserved under (settlements derive theirs from it).
    hold = models.OneToOneField("payments.Hold", on_delete=models.PROTECT, null=True, related_name="dispute")
    hold_key = models.CharField(max_length=200, unique=True)
    # The opening request's key (a form's or the API's Idempotency-Key): its replay answers with this dispute.
    open_request_key = models.CharField(max_length=255, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    freelancer_cents = models.PositiveIntegerField(null=True, blank=True)
    client_cents = models.PositiveIntegerField(null=True, blank=True)
    resolution_reason = models.TextField(max_length=5000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "respond_by"], name="dispute_status_due_idx")]
        permissions = [("resolve_dispute", "Can resolve disputes (release, refund or split the held money)")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="dispute_amount_positive"),
            # The same money can be disputed once: one dispute per subject, whatever its state.
            models.UniqueConstraint(fields=["subject_reference"], name="dispute_once_per_subject"),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False, freelancer_cents__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="dispute_resolved_iff_settled",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["settling", "resolved"], freelancer_cents__isnull=False)
                | (~Q(status__in=["settling", "resolved"]) & Q(freelancer_cents__isnull=True)),
                name="dispute_decided_iff_split",
            ),
        ]

    def __str__(self):
        return f"Dispute #{self.pk}: {self.contract.title}"

    @property
    def is_open(self) -> bool:
        """The parties and staff may still act on it."""
        return self.status in self.ACTIVE

    @property
    def freelancer_lost(self) -> bool:
        """Decided against the freelancer: they got less than half of the money held."""
        return self.freelancer_cents is not None and self.freelancer_cents * 2 < self.amount_cents


class DisputeEvent(StatusEvent):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")

    def __str__(self):
        return f"dispute {self.dispute_id}: {self.from_status or '—'} → {self.to_status}"


class DisputeEvidence(models.Model):
    """A statement from one side (the opening reason's details, a response, more evidence), with files."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    side = models.CharField(max_length=10, choices=Party.choices)
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"evidence {self.pk} on dispute {self.dispute_id}"


class EvidenceFile(StoredFile):
    evidence = models.ForeignKey(DisputeEvidence, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="disputes/%Y/%m/")


class SettlementOffer(models.Model):
    """One side proposes how to split the held money; the other side accepts (which resolves the dispute) or not.
    A newer offer replaces the proposer's pending one."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Replaced or withdrawn"

    ALLOWED = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
        Status.ACCEPTED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="offers")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    side = models.CharField(max_length=10, choices=Party.choices)
    freelancer_cents = models.PositiveIntegerField()
    client_cents = models.PositiveIntegerField()
    note = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "side"], condition=Q(status="pending"), name="settlement_one_pending_per_side"
            )
        ]

    def __str__(self):
        return f"settlement offer {self.pk} on dispute {self.dispute_id}"
