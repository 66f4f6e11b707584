"""Weekly updates: the freelancer's short note per week (done, next, blockers), read beside the timesheet."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Contract, WeeklyUpdate
from contracts.services._common import notify_client, require_freelancer
from contracts.services.weeks import week_start_of
from kernel.errors import DomainError, InvalidInput
from kernel.refs import Kind, ref
from kernel.transitions import lock

LIMIT = 2000


@transaction.atomic
def weekly_update_post(*, actor, contract_id: int, done: str, next: str = "", blockers: str = "", now=None):
    """Post (or rewrite) the current week's update; the client's members are told the first time."""
    now = now or timezone.now()
    contract = lock(Contract.objects, pk=contract_id)
    require_freelancer(user=actor, contract=contract)
    if not contract.is_hourly:
        raise DomainError("contract_not_hourly", "Weekly updates belong to hourly contracts.")
    fields = {"done": (done or "").strip(), "next": (next or "").strip(), "blockers": (blockers or "").strip()}
    errors = {
        name: [f"Up to {LIMIT} characters."] for name, text in fields.items() if len(text) > LIMIT or "\x00" in text
    }
    if not fields["done"]:
        errors["done"] = ["Say what got done this week."]
    if errors:
        raise InvalidInput("update_invalid", "Check the update.", errors=errors)
    week = week_start_of(now)
    update, created = WeeklyUpdate.objects.update_or_create(
        contract=contract, week_start=week, defaults={**fields, "author": actor}
    )
    if created:
        notify_client(
            organization_id=contract.organization_id,
            perm=OrgPerm.VIEW,
            kind="weekly_update",
            title=f"{actor.display_name} posted the weekly update on “{contract.title}”",
            body=fields["done"][:500],
            url=reverse("contracts:contract_detail", args=[contract.pk]) + "#weekly-update",
            reference=ref(Kind.CONTRACT, contract.pk),
        )
    return update
