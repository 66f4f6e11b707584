"""Contracts as a whole: ending one (either side)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Contract, ContractEvent, Dispute, Milestone
from contracts.services import score
from contracts.services._common import check_transition, notify_client, require_contract_client, require_party
from kernel.errors import DomainError, NotFound
from kernel.refs import Kind, ref
from messaging.services import notify
from payments.services import saga


@transaction.atomic
def contract_end(*, actor, contract_id: int, outcome: str, reason: str) -> Contract:
    """The freelancer, or a client member with OrgPerm.HIRE, ends the contract with an outcome and a reason.

    A fixed-price contract with money in escrow for work in progress cannot end until that money is released,
    refunded or disputed ("escrow_not_empty"). Holds the contract's row lock, which `milestone_fund` takes too.
    """
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("organization", "freelancer")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise NotFound()
    require_party(user=actor, contract=contract)
    by_freelancer = contract.freelancer_id == actor.pk
    if not by_freelancer:
        require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    if outcome not in Contract.Outcome.values:
        raise DomainError("outcome_invalid", "Say whether the work was completed or cancelled.", status=400)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Give a reason for ending the contract.", status=400)
    check_transition(contract, Contract.Status.ENDED, code="contract_ended", detail="This contract has already ended.")
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
    from_status = contract.status
    contract.status = Contract.Status.ENDED
    contract.ended_at = timezone.now()
    contract.ended_by = actor
    contract.end_outcome = outcome
    contract.end_reason = reason[:2000]
    contract.save(update_fields=["status", "ended_at", "ended_by", "end_outcome", "end_reason"])
    ContractEvent.objects.create(
        contract=contract, from_status=from_status, to_status=contract.status, actor=actor, note=reason[:2000]
    )
    freelancer_id = contract.freelancer_id
    transaction.on_commit(lambda: score.job_success_refresh(freelancer_id=freelancer_id))
    url = reverse("contracts:contract_detail", args=[contract.pk])
    title = f"{actor.display_name} ended the contract “{contract.title}”"
    if by_freelancer:
        notify_client(
            organization_id=contract.organization_id,
            perm=OrgPerm.HIRE,
            kind="contract_ended",
            title=title,
            body=reason,
            url=url,
            reference=f"contract:{contract.pk}",
        )
    else:
        notify(
            user=contract.freelancer,
            kind="contract_ended",
            title=title,
            body=reason,
            url=url,
            reference=f"contract:{contract.pk}",
        )
    return contract
