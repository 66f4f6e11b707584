"""Contracts as a whole: pausing, resuming and ending one, and changing an hourly contract's terms.

Every status change goes through `kernel.transitions.transition` on the locked contract row, which writes the
ContractEvent history row. Who may make which move is registered once below (`register_actors`), and pages and
serializers ask `allowed_transitions(contract, user)`.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm, has_org_perm
from contracts.models import Contract, ContractTermsChange, Dispute, Milestone, PauseReason
from contracts.services import score
from contracts.services._common import notify_client, require_contract_client, require_party
from contracts.services.time_entries import timers_stop_for_contract
from contracts.services.weeks import WEEK, week_start_of
from kernel.errors import DomainError, InvalidInput
from kernel.money import format_money
from kernel.refs import Kind, ref
from kernel.transitions import lock, register_actors, transition
from messaging.services import notify
from payments.services import saga

ST = Contract.Status


def _contract_actors(contract: Contract, actor) -> set[str]:
    """A client member who hires may pause, resume and end; the freelancer may end. A contract the failed weekly
    charge paused resumes only when a charge succeeds."""
    moves: set[str] = set()
    if contract.freelancer_id == getattr(actor, "pk", None):
        moves.add(ST.ENDED)
    if actor is not None and has_org_perm(actor, contract.organization_id, OrgPerm.HIRE):
        moves |= {ST.PAUSED, ST.ENDED}
        if contract.pause_reason != PauseReason.CHARGE_FAILED:
            moves.add(ST.ACTIVE)
    return moves


register_actors(Contract, _contract_actors)


def _url(contract: Contract) -> str:
    return reverse("contracts:contract_detail", args=[contract.pk])


def tell_both(*, contract: Contract, kind: str, title: str, body: str = "", perm: OrgPerm = OrgPerm.HIRE) -> None:
    """Notify the freelancer and the client members with `perm` about the contract."""
    reference = ref(Kind.CONTRACT, contract.pk)
    notify(user=contract.freelancer, kind=kind, title=title, body=body, url=_url(contract), reference=reference)
    notify_client(
        organization_id=contract.organization_id,
        perm=perm,
        kind=kind,
        title=title,
        body=body,
        url=_url(contract),
        reference=reference,
    )


@transaction.atomic
def contract_pause(*, actor, contract_id: int, reason: str) -> Contract:
    """A client member with OrgPerm.HIRE pauses an active contract: no time can be logged (a running timer is
    stopped now) and no milestone funded until it is resumed."""
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    reason = reason.strip()
    now = timezone.now()
    transition(
        contract,
        ST.PAUSED,
        actor=actor,
        note=reason[:2000],
        refusal=("contract_not_active", "Only an active contract can be paused."),
        paused_at=now,
        pause_reason=PauseReason.CLIENT,
    )
    timers_stop_for_contract(contract=contract, at=now)
    notify(
        user=contract.freelancer,
        kind="contract_paused",
        title=f"{actor.display_name} paused the contract “{contract.title}”",
        body=reason,
        url=_url(contract),
        reference=ref(Kind.CONTRACT, contract.pk),
    )
    return contract


@transaction.atomic
def contract_resume(*, actor, contract_id: int) -> Contract:
    """The client resumes a contract they paused (one paused by a failed charge resumes when a charge succeeds)."""
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    if contract.status == ST.PAUSED and contract.pause_reason == PauseReason.CHARGE_FAILED:
        raise DomainError(
            "charge_failed",
            "The weekly charge failed: update the default payment method; the contract resumes when the next "
            "daily retry succeeds.",
        )
    transition(
        contract,
        ST.ACTIVE,
        actor=actor,
        refusal=("contract_not_paused", "Only a paused contract can be resumed."),
        paused_at=None,
        pause_reason="",
    )
    notify(
        user=contract.freelancer,
        kind="contract_resumed",
        title=f"{actor.display_name} resumed the contract “{contract.title}”",
        url=_url(contract),
        reference=ref(Kind.CONTRACT, contract.pk),
    )
    return contract


def contract_pause_for_failed_charge(*, contract_id: int, detail: str) -> bool:
    """The system pauses an active contract whose weekly charge failed (inside the caller's transaction).
    Returns whether it paused it now."""
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    if contract.status != ST.ACTIVE:
        return False
    now = timezone.now()
    transition(contract, ST.PAUSED, note=detail[:2000], paused_at=now, pause_reason=PauseReason.CHARGE_FAILED)
    timers_stop_for_contract(contract=contract, at=now)
    return True


def contract_resume_after_charge(*, contract_id: int) -> bool:
    """A charge succeeded: a contract the failed charge paused resumes (inside the caller's transaction), unless
    another week's charge still fails."""
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    if contract.status != ST.PAUSED or contract.pause_reason != PauseReason.CHARGE_FAILED:
        return False
    if contract.timesheets.filter(status="payment_failed").exists():
        return False
    transition(contract, ST.ACTIVE, note="The weekly charge succeeded.", paused_at=None, pause_reason="")
    return True


@transaction.atomic
def contract_end(*, actor, contract_id: int, outcome: str, reason: str) -> Contract:
    """The freelancer, or a client member with OrgPerm.HIRE, ends the contract with an outcome and a reason.

    A fixed-price contract with money in escrow for work in progress cannot end until that money is released,
    refunded or disputed ("escrow_not_empty"). Holds the contract's row lock, which `milestone_fund` takes too.
    A running timer stops now; the week's time is billed at the next Monday's close as usual.
    """
    contract = lock(Contract.objects.select_related("organization", "freelancer"), pk=contract_id)
    require_party(user=actor, contract=contract)
    by_freelancer = contract.freelancer_id == actor.pk
    if not by_freelancer:
        require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    if outcome not in Contract.Outcome.values:
        raise DomainError("outcome_invalid", "Say whether the work was completed or cancelled.", status=400)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Give a reason for ending the contract.", status=400)
    if contract.status == ST.ENDED:
        raise DomainError("contract_ended", "This contract has already ended.")
    if contract.disputes.filter(status__in=Dispute.UNRESOLVED).exists():
        raise DomainError("dispute_open", "A dispute on this contract is open: it must be resolved before the end.")
    milestone_refs = [ref(Kind.MILESTONE, pk) for pk in contract.milestones.values_list("pk", flat=True)]
    if contract.milestones.filter(status__in=Milestone.IN_PROGRESS).exists() or saga.in_flight(
        references=milestone_refs
    ):
        raise DomainError(
            "escrow_not_empty",
            "Money for a milestone is still in escrow: approve it, agree a refund, or let the dispute settle it "
            "before ending the contract.",
        )
    now = timezone.now()
    transition(
        contract,
        ST.ENDED,
        actor=actor,
        note=reason[:2000],
        ended_at=now,
        ended_by=actor,
        end_outcome=outcome,
        end_reason=reason[:2000],
        paused_at=None,
        pause_reason="",
    )
    timers_stop_for_contract(contract=contract, at=now)
    freelancer_id = contract.freelancer_id
    transaction.on_commit(lambda: score.job_success_refresh(freelancer_id=freelancer_id))
    url = _url(contract)
    title = f"{actor.display_name} ended the contract “{contract.title}”"
    reference = ref(Kind.CONTRACT, contract.pk)
    if by_freelancer:
        notify_client(
            organization_id=contract.organization_id,
            perm=OrgPerm.HIRE,
            kind="contract_ended",
            title=title,
            body=reason,
            url=url,
            reference=reference,
        )
    else:
        notify(user=contract.freelancer, kind="contract_ended", title=title, body=reason, url=url, reference=reference)
    return contract


@transaction.atomic
def contract_terms_change(
    *, actor, contract_id: int, hourly_rate_cents: int, weekly_limit_hours: int, now: dt.datetime | None = None
) -> ContractTermsChange:
    """A client member with OrgPerm.HIRE sets a new rate and weekly limit (zero allowed: time is then recorded,
    not billed). They apply from next Monday; the week under way keeps the terms the freelancer saw."""
    contract = lock(Contract.objects.select_related("freelancer"), pk=contract_id)
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    if not contract.is_hourly:
        raise DomainError("contract_not_hourly", "Only an hourly contract has a rate and a weekly limit.")
    if contract.status == ST.ENDED:
        raise DomainError("contract_ended", "This contract has ended.")
    errors = {}
    low, high = settings.MIN_HOURLY_RATE_CENTS, settings.MAX_HOURLY_RATE_CENTS
    if not isinstance(hourly_rate_cents, int) or not low <= hourly_rate_cents <= high:
        errors["hourly_rate_cents"] = [f"The rate must be between {format_money(low)} and {format_money(high)}."]
    if not isinstance(weekly_limit_hours, int) or not 0 <= weekly_limit_hours <= settings.MAX_WEEKLY_HOUR_LIMIT:
        errors["weekly_limit_hours"] = [f"The weekly limit must be 0 to {settings.MAX_WEEKLY_HOUR_LIMIT} hours."]
    if errors:
        raise InvalidInput("terms_invalid", "Check the new terms.", errors=errors)
    week = week_start_of(now or timezone.now()) + WEEK
    change, _ = ContractTermsChange.objects.update_or_create(
        contract=contract,
        week_start=week,
        defaults={
            "hourly_rate_cents": hourly_rate_cents,
            "weekly_limit_hours": weekly_limit_hours,
            "created_by": actor,
        },
    )
    notify(
        user=contract.freelancer,
        kind="contract_terms_changed",
        title=f"New terms on “{contract.title}” from Monday {week:%d %b %Y}",
        url=_url(contract),
        reference=ref(Kind.CONTRACT, contract.pk),
    )
    return change
