from django.conf import settings
from django.db import models

from kernel.refs import Kind, parse_ref
from kernel.uploads import RandomName, StoredFile


class Notification(models.Model):
    """Something a user should know; `kind` is a key of `messaging.kinds.KINDS`, `reference` names what it is
    about ("job:3", "proposal:12")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=5000, blank=True)
    url = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Waiting to be e-mailed: the outbox handler sends every waiting row of a user in one e-mail (a digest when
    # there are several) and clears the flag, so a burst never becomes a flood.
    email_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "created_at"], name="notification_user_unread_idx"),
            models.Index(
                fields=["user"], condition=models.Q(email_pending=True), name="notification_email_pending_idx"
            ),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """Per-kind e-mail switches; a kind not listed follows its default in `messaging.kinds`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"preferences of {self.user_id}"


class Conversation(models.Model):
    """A conversation about a proposal or a contract, or a direct one between two people.

    Who may read one is decided now, not when it was opened (issue 14 item 4): for a proposal or contract, the
    freelancer and the members of `organization` whose role has `org_perm`; for a direct one, its two
    participants. `ConversationParticipant` rows hold read state, created the first time someone reads."""

    class Kind(models.TextChoices):
        PROPOSAL = "proposal", "Proposal"
        CONTRACT = "contract", "Contract"
        DIRECT = "direct", "Direct"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # What it is about ("proposal:12", "contract:7", from kernel.refs): messaging sits below the apps that own
    # those rows, so it holds a plain reference, not their foreign keys.
    reference = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # A direct conversation's two user ids, smaller first ("3:8"): one conversation per pair.
    direct_key = models.CharField(max_length=50, unique=True, null=True, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    org_perm = models.CharField(max_length=30, blank=True)
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="conversation_kind_fields",
                condition=(
                    models.Q(kind="direct", direct_key__isnull=False, reference__isnull=True)
                    | (
                        models.Q(kind__in=["proposal", "contract"], reference__isnull=False, direct_key__isnull=True)
                        & models.Q(organization__isnull=False, freelancer__isnull=False)
                        & ~models.Q(org_perm="")
                    )
                ),
            )
        ]

    def __str__(self):
        return self.title


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    # Messages up to this time were already e-mailed to this person (the 10-minute unread rule sends each once).
    emailed_up_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="conversation_participant_once")]

    def __str__(self):
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held back"  # off-platform contact before a contract: only the sender and staff see it
        REMOVED = "removed", "Removed"  # hidden by staff; participants see that it was removed

    ALLOWED = {Status.VISIBLE: {Status.REMOVED}, Status.HELD: {Status.VISIBLE, Status.REMOVED}, Status.REMOVED: set()}

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=10_000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    # What was found ("an e-mail address"); `held_explanation` says it to the sender in full.
    held_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_conversation_time_idx"),
            models.Index(fields=["status"], condition=models.Q(status="held"), name="message_held_idx"),
        ]

    def __str__(self):
        return f"message {self.pk} in {self.conversation_id}"

    @property
    def held_explanation(self) -> str:
        if self.status != self.Status.HELD:
            return ""
        return (
            f"Your message looks like it shares {self.held_reason}, so we held it back: the other side has not seen "
            f"it. Until a contract starts, keep the conversation here. Paying or being paid outside "
            f"{settings.SITE_NAME} gives up escrow and dispute protection. Once a contract starts you can share "
            "contact details freely."
        )


class MessageAttachment(StoredFile):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=RandomName("messages"))


class Report(models.Model):
    """Someone told staff that a job, a profile or a message breaks the rules. `target` is its reference
    (`kernel.refs`: "job:12"); what it said and who is answerable for it are copied when it is reported, so staff
    judge what the reporter saw even if it is edited later. Staff close every open report on a target at once, with
    one outcome (`messaging.services.report_resolve`)."""

    class Category(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        SCAM = "scam", "Fraud, or asking to pay outside the site"
        ABUSE = "abuse", "Harassment, hate or threats"
        INAPPROPRIATE = "inappropriate", "Inappropriate or offensive content"
        FAKE = "fake", "Fake identity or stolen work"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HIDDEN = "hidden", "Content hidden"
        WARNED = "warned", "Author warned"
        SUSPENDED = "suspended", "Author suspended"
        DISMISSED = "dismissed", "Dismissed: no rule broken"

    ALLOWED = {Status.OPEN: {Status.HIDDEN, Status.WARNED, Status.SUSPENDED, Status.DISMISSED}}

    target = models.CharField(max_length=40)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    category = models.CharField(max_length=20, choices=Category.choices)
    reason = models.TextField(max_length=2000)
    subject_title = models.CharField(max_length=200)
    subject_text = models.TextField(max_length=10_000, blank=True)
    subject_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "reporter"], condition=models.Q(status="open"), name="report_open_once"
            )
        ]
        indexes = [
            models.Index(fields=["target"], name="report_target_idx"),
            models.Index(fields=["created_at"], condition=models.Q(status="open"), name="report_open_queue_idx"),
        ]

    def __str__(self):
        return f"report {self.pk} on {self.target}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def kind_and_pk(self) -> tuple[Kind, int]:
        """What `target` names: (Kind.JOB, 12). Only services write reports, always with a valid reference."""
        parsed = parse_ref(self.target)
        if parsed is None:
            raise ValueError(f"report {self.pk} names no target: {self.target!r}")
        return parsed
