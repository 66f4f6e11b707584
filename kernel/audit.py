"""The audit trail: staff and system actions that users or auditors may ask about (moderation, disputes, money).

`record` is called inside the service's transaction, so the row exists exactly when the action took effect."""

from kernel.models import AuditEntry


def record(*, actor, action: str, target: str, reason: str, data: dict | None = None) -> AuditEntry:
    """`actor` is a user (or None for the system); `target` a `kernel.refs.ref(...)`; `reason` why, in words."""
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_label=(getattr(actor, "email", "") or str(actor)) if actor is not None else "",
        action=action,
        target=target,
        reason=reason,
        data=data or {},
    )
