"""What each organization role may do: decided here once, used by pages, the API, tasks and later apps."""

from enum import StrEnum

from accounts.models import Membership, Role
from kernel.permissions import require_access


class OrgPerm(StrEnum):
    VIEW = "view"  # see the organization's jobs, proposals, contracts and money
    MANAGE_ORGANIZATION = "manage_organization"  # name, country, time zone
    MANAGE_MEMBERS = "manage_members"  # invite, change role, remove
    POST_JOBS = "post_jobs"  # create, edit, publish, close jobs
    HIRE = "hire"  # review proposals, invite freelancers, send offers, end contracts
    MANAGE_PAYMENT_METHODS = "manage_payment_methods"
    FUND = "fund"  # fund escrow, pay bonuses
    APPROVE_PAYMENTS = "approve_payments"  # approve milestones and timesheets (release money)


_ALL = frozenset(OrgPerm)
ROLE_PERMISSIONS: dict[str, frozenset[OrgPerm]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL,
    Role.HIRING_MANAGER: frozenset({OrgPerm.VIEW, OrgPerm.POST_JOBS, OrgPerm.HIRE}),
    Role.FINANCE: frozenset({OrgPerm.VIEW, OrgPerm.MANAGE_PAYMENT_METHODS, OrgPerm.FUND, OrgPerm.APPROVE_PAYMENTS}),
    Role.MEMBER: frozenset({OrgPerm.VIEW}),
}

# Only an owner may make or unmake an owner; admins manage everyone else.
ROLES_ONLY_OWNERS_MANAGE = frozenset({Role.OWNER})


def role_allows(role: str, perm: OrgPerm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def role_in(user, organization_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization_id=organization_id).values_list("role", flat=True).first()


def roles_of(user) -> dict[int, str]:
    """Every organization role of `user`, read once per user object (one request) and kept on it: for pages and
    serializers that ask about many rows (`allowed_transitions` over a list). Services use `role_in`, a fresh read
    inside their transaction."""
    if not user.is_authenticated:
        return {}
    cached = user.__dict__.get("_org_roles")
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("organization_id", "role"))
        user.__dict__["_org_roles"] = cached
    return cached


def may(user, organization_id: int, perm: OrgPerm) -> bool:
    """`has_org_perm` for display: from `roles_of`, so a list of rows costs one query, not one per row."""
    return role_allows(roles_of(user).get(organization_id, ""), perm)


def has_org_perm(user, organization_id: int, perm: OrgPerm) -> bool:
    role = role_in(user, organization_id)
    return role is not None and role_allows(role, perm)


def require_org_perm(user, organization_id: int, perm: OrgPerm, *, detail: str = "") -> str:
    """`user` may do `perm` in the organization, else the one rule (`kernel.permissions.require_access`): not a
    member → 404, a member whose role lacks `perm` → 403. Returns the role."""
    role = role_in(user, organization_id)
    require_access(visible=role is not None, allowed=role is not None and role_allows(role, perm), detail=detail)
    return role or ""


def organization_ids_with(user, perm: OrgPerm) -> list[int]:
    """The organizations in which `user` may do `perm`: the base of every client-side scoped selector."""
    if not user.is_authenticated:
        return []
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    return list(Membership.objects.filter(user=user, role__in=roles).values_list("organization_id", flat=True))


def may_manage_member(actor_role: str | None, target_role: str) -> bool:
    """May someone with `actor_role` change or remove a member who holds `target_role`?"""
    if actor_role is None or not role_allows(actor_role, OrgPerm.MANAGE_MEMBERS):
        return False
    return target_role not in ROLES_ONLY_OWNERS_MANAGE or actor_role == Role.OWNER


def may_grant_role(actor_role: str | None, role: str) -> bool:
    """May someone with `actor_role` give `role` to a member or an invitee?"""
    return may_manage_member(actor_role, role)
