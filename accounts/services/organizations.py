"""Organizations and their members: details, roles, removal, and the rule that an organization keeps an owner."""

import zoneinfo

from django.db import transaction
from django.db.models import Q

from accounts.models import (
    Membership,
    Organization,
    Role,
    User,
)
from accounts.permissions import OrgPerm, may_grant_role, may_manage_member, role_allows
from accounts.services.profiles import _KEEP, validate_timezone_name
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.permissions import require_access


def one_line(name: str) -> str:
    """A name as one line of single spaces: it goes into e-mail subjects, where a line break is refused."""
    return " ".join(name.split())


@transaction.atomic
def organization_create(*, owner: User, name: str, country: str = "", timezone: str = "UTC") -> Organization:
    name = one_line(name)
    if not name:
        raise InvalidInput("organization_name_required", errors={"name": "Give the organization a name."})
    if timezone not in zoneinfo.available_timezones():
        timezone = "UTC"
    organization = Organization.objects.create(name=name, country=country, timezone=timezone)
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    owner.__dict__.pop("is_client", None)
    owner.__dict__.pop("timezone_name", None)
    return organization


def membership_for_action(user: User, organization_id: int, perm: OrgPerm | None = None) -> Membership:
    """The acting member's row, locked (so a concurrent role change waits), under the one permission rule: not a
    member → 404; a member whose role lacks `perm` → 403. Without `perm` any member may act (e.g. leave)."""
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization_id=organization_id).first()
        if user.is_authenticated
        else None
    )
    require_access(
        visible=membership is not None,
        allowed=membership is not None and (perm is None or role_allows(membership.role, perm)),
    )
    assert membership is not None  # require_access raised otherwise
    return membership


def _memberships_for_update(
    actor: User, organization_id: int, membership_id: int, perm: OrgPerm | None = None
) -> tuple[Membership, Membership]:
    """The actor's membership and the target one, locked together in id order: two owners changing each other
    at the same moment must not each lock their own row first and then wait for the other's (a deadlock). The
    permission rule as in `membership_for_action`; a target that is not in the organization is a 404."""
    rows = (
        list(
            Membership.objects.select_for_update()
            .filter(organization_id=organization_id)
            .filter(Q(user=actor) | Q(pk=membership_id))
            .order_by("pk")
        )
        if actor.is_authenticated
        else []
    )
    actor_membership = next((m for m in rows if m.user_id == actor.pk), None)
    if actor_membership is None:
        raise NotFound()
    require_access(visible=True, allowed=perm is None or role_allows(actor_membership.role, perm))
    target = next((m for m in rows if m.pk == membership_id), None)
    if target is None:
        raise NotFound()
    return actor_membership, target


@transaction.atomic
def organization_update(
    *,
    actor: User,
    organization_id: int,
    name: str | object = _KEEP,
    country: str | object = _KEEP,
    timezone: str | object = _KEEP,
) -> Organization:
    membership_for_action(actor, organization_id, OrgPerm.MANAGE_ORGANIZATION)
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    if name is not _KEEP:
        if not one_line(str(name)):
            raise InvalidInput("organization_name_required", errors={"name": "Give the organization a name."})
        organization.name = one_line(str(name))
    if country is not _KEEP:
        organization.country = str(country)
    if timezone is not _KEEP:
        validate_timezone_name(str(timezone))
        organization.timezone = str(timezone)
    organization.save()
    return organization


def _check_keeps_an_owner(target: Membership, new_role: str | None) -> None:
    """An organization always keeps at least one owner: refuse to demote or remove the last one."""
    if target.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(organization_id=target.organization_id, role=Role.OWNER)
    if owners.count() <= 1:
        raise DomainError("last_owner", "An organization needs at least one owner: make someone else owner first.")


@transaction.atomic
def member_change_role(*, actor: User, organization_id: int, membership_id: int, role: str) -> Membership:
    actor_membership, target = _memberships_for_update(actor, organization_id, membership_id, OrgPerm.MANAGE_MEMBERS)
    if role not in Role.values:
        raise InvalidInput("invalid_role", errors={"role": f"“{role}” is not a role."})
    if not may_manage_member(actor_membership.role, target.role) or not may_grant_role(actor_membership.role, role):
        raise DomainError("owner_only", "Only an owner can make someone an owner or change an owner's role.")
    if target.role == role:
        return target
    _check_keeps_an_owner(target, role)
    target.role = role
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def member_remove(*, actor: User, organization_id: int, membership_id: int) -> None:
    """Remove a member; anyone may also leave on their own (unless they are the last owner)."""
    actor_membership, target = _memberships_for_update(actor, organization_id, membership_id)
    leaving = target.pk == actor_membership.pk
    if not leaving:
        require_access(visible=True, allowed=role_allows(actor_membership.role, OrgPerm.MANAGE_MEMBERS))
        if not may_manage_member(actor_membership.role, target.role):
            raise DomainError("owner_only", "Only an owner can remove an owner.")
    _check_keeps_an_owner(target, None)
    target.delete()
