"""The one permission rule of every app: whoever may not even see an object gets 404, exactly as if it did not
exist (nothing leaks); whoever sees it but whose role lacks the permission gets 403 (they know it is there, the
answer says why they cannot act). Apps decide `visible` and `allowed` from their own roles
(`accounts.permissions.require_org_perm` for organization roles) and call this."""

from kernel.errors import NotFound, PermissionDenied


def may_moderate(user) -> bool:
    """Staff who may moderate content and accounts: every moderation service checks this, and the admin shows
    those actions only to them."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm("kernel.moderate"))


def require_access(*, visible: bool, allowed: bool, detail: str = "") -> None:
    if not visible:
        raise NotFound()
    if not allowed:
        raise PermissionDenied(detail) if detail else PermissionDenied()
