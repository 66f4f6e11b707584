"""Ending a contract: either side, with a reason, never with money for work in progress still in escrow."""

import pytest

from accounts.models import Role
from contracts.models import Contract
from contracts.services import milestones as milestone_services
from contracts.services.contracts import contract_end
from contracts.services.disputes import settlement_accept, settlement_propose
from kernel.errors import DomainError, NotFound, PermissionDenied
from messaging.models import Notification
from tests.factories import FreelancerProfileFactory


def end(actor, contract, outcome="completed", reason="All delivered."):
    return contract_end(actor=actor, contract_id=contract.pk, outcome=outcome, reason=reason)


def test_a_fixed_contract_with_money_in_escrow_cannot_end(fund, owner, freelancer, contract, milestone):
    fund(milestone)
    for actor in (owner, freelancer):
        with pytest.raises(DomainError) as exc:
            end(actor, contract)
        assert exc.value.code == "escrow_not_empty"
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_it_ends_once_the_money_is_released(fund, submit, owner, freelancer, contract, milestone, second_milestone):
    fund(milestone)
    submit(milestone)
    milestone_services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    ended = end(freelancer, contract, reason="Done, thanks!")
    assert ended.status == Contract.Status.ENDED
    assert ended.ended_by == freelancer and ended.ended_at is not None
    assert ended.end_outcome == "completed" and ended.end_reason == "Done, thanks!"
    event = ended.events.get(to_status=Contract.Status.ENDED)
    assert event.actor == freelancer and event.note == "Done, thanks!"
    assert Notification.objects.filter(user=owner, kind="contract_ended").exists()
    assert not Notification.objects.filter(user=freelancer, kind="contract_ended").exists()


def test_an_open_dispute_blocks_ending_until_it_is_resolved(fund, owner, freelancer, contract, milestone):
    fund(milestone)
    milestone_services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="Stop.")
    milestone_services.milestone_reject_refund(actor=freelancer, milestone_id=milestone.pk, reason="No.")
    with pytest.raises(DomainError) as exc:
        end(owner, contract, outcome="cancelled", reason="We disagree; the dispute decides.")
    assert exc.value.code == "dispute_open"
    settlement = settlement_propose(actor=owner, dispute_id=milestone.dispute.pk, freelancer_cents=5_000)
    settlement_accept(actor=freelancer, dispute_id=milestone.dispute.pk, offer_id=settlement.pk)
    end(owner, contract, outcome="cancelled", reason="Settled half and half.")
    assert Notification.objects.filter(user=freelancer, kind="contract_ended").exists()


def test_the_client_needs_hire_and_strangers_see_nothing(members, contract):
    with pytest.raises(PermissionDenied):
        end(members[Role.FINANCE], contract)
    with pytest.raises(NotFound):
        end(FreelancerProfileFactory().user, contract)
    end(members[Role.HIRING_MANAGER], contract)


def test_a_reason_and_an_outcome_are_required_and_it_ends_once(owner, contract):
    with pytest.raises(DomainError) as exc:
        end(owner, contract, reason="  ")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        end(owner, contract, outcome="bored")
    assert exc.value.code == "outcome_invalid"
    end(owner, contract)
    with pytest.raises(DomainError) as exc:
        end(owner, contract)
    assert exc.value.code == "contract_ended"


def test_nothing_is_funded_or_added_on_an_ended_contract(owner, card, contract, milestone):
    end(owner, contract)
    with pytest.raises(DomainError) as exc:
        milestone_services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="k")
    assert exc.value.code == "contract_not_active"
