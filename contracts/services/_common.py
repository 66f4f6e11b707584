"""Helpers the contracts services share: transition checks, who may act, and telling the other side."""

from django.db.models import Model

from accounts.permissions import OrgPerm, has_org_perm, require_org_perm
from contracts import selectors
from kernel.errors import DomainError
from kernel.permissions import require_access
from messaging.services import notify


def check_transition(obj: Model, new_status: str, *, code: str = "invalid_transition", detail: str = "") -> None:
    """Refuse a status change the model's ALLOWED map does not list (a 409 with a stable code)."""
    if new_status not in obj.ALLOWED[obj.status]:
        label = obj.get_status_display().lower()
        raise DomainError(code, detail or f"This {obj._meta.verbose_name} is {label}: it cannot become {new_status}.")


def require_client(*, user, organization_id: int, perm: OrgPerm) -> None:
    """`user` acts for the organization with `perm`: not a member → 404 (nothing leaks), wrong role → 403."""
    require_org_perm(user, organization_id, perm)


def _is_party(user, contract) -> bool:
    return contract.freelancer_id == user.pk or has_org_perm(user, contract.organization_id, OrgPerm.VIEW)


def require_party(*, user, contract) -> None:
    """`user` is the contract's freelancer or a member of its organization; anyone else gets a 404."""
    require_access(visible=_is_party(user, contract), allowed=True)


def require_contract_client(*, user, contract, perm: OrgPerm) -> None:
    """`user` acts for the contract's organization with `perm`; the freelancer or a member without it gets 403."""
    allowed = has_org_perm(user, contract.organization_id, perm)
    require_access(visible=allowed or _is_party(user, contract), allowed=allowed)


def require_freelancer(*, user, contract) -> None:
    allowed = contract.freelancer_id == user.pk
    require_access(
        visible=allowed or _is_party(user, contract),
        allowed=allowed,
        detail="Only the contract's freelancer can do that.",
    )


def notify_client(
    *, organization_id: int, perm: OrgPerm, kind: str, title: str, url: str, reference: str, body: str = ""
) -> None:
    """Tell the organization's members who can act on it (e.g. those who approve payments about a submission)."""
    for user in selectors.organization_users_with(organization_id=organization_id, perm=perm):
        notify(user=user, kind=kind, title=title, body=body, url=url, reference=reference)
