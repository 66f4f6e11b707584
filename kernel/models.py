"""The kernel's two tables: the outbox (side effects waiting for the worker) and the audit trail (staff actions).

Neither holds a foreign key to an app's table: kernel sits below every app, so who acted and what was touched are
stored as plain values (an id and a label, a `kernel.refs` reference)."""

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect (an e-mail, a notification delivery) written in the same transaction as the business change
    that caused it, and performed by the worker after commit: see `kernel.outbox`."""

    topic = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Set when the handler kept failing: the row stays for staff to see instead of retrying forever.
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["available_at", "id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"], condition=models.Q(given_up_at__isnull=True), name="outbox_due_idx"
            )
        ]

    def __str__(self):
        return f"{self.topic} #{self.pk}"


class AuditEntry(models.Model):
    """One staff or system action, append-only: who, when, what, why, and on what (a `kernel.refs` reference)."""

    actor_id = models.BigIntegerField(null=True, blank=True)
    # The actor as they were named at the time, kept even if the account goes away.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=100)
    reason = models.TextField(max_length=5000)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The one permission behind every moderation action (hide content, warn, suspend), in whichever app.
        permissions = [("moderate", "Can moderate: hide content, warn and suspend accounts, close reports")]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target", "created_at"], name="audit_target_idx")]

    def __str__(self):
        return f"{self.action} on {self.target} by {self.actor_label or 'system'}"

    def save(self, *args, **kwargs):
        # The trail is a record of what happened: a row is written once and never rewritten.
        if not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)
