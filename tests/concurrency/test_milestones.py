"""Milestone races on real PostgreSQL row locks: threads on their own connections acting on one milestone (or one
escrow) at once. Where only one may win, exactly one does; money moves once; escrow never goes negative."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from contracts.models import Milestone
from contracts.services import milestones as services
from kernel.errors import DomainError
from payments.models import JournalEntry, SandboxRecord
from payments.selectors import ledger_problems, wallet_for
from payments.services.saga import escrow_balance
from tests.concurrency.helpers import race
from tests.factories import ContractFactory, MembershipFactory, MilestoneFactory, PaymentMethodFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = Milestone.Status


def wins(results) -> int:
    return sum(not isinstance(r, DomainError) for r in results)


@pytest.fixture
def client_user():
    user = MembershipFactory(role=Role.OWNER).user
    PaymentMethodFactory(organization=user.memberships.get().organization)
    return user


@pytest.fixture
def contract(client_user):
    return ContractFactory(offer__organization=client_user.memberships.get().organization)


@pytest.fixture
def milestone(contract):
    return MilestoneFactory(contract=contract, amount_cents=10_000)


def funded(client_user, milestone, key="k"):
    services.milestone_fund(actor=client_user, milestone_id=milestone.pk, request_key=key)


def submitted(client_user, milestone):
    funded(client_user, milestone)
    services.milestone_submit(actor=milestone.contract.freelancer, milestone_id=milestone.pk, message="Done")


def escrow_of(contract) -> int:
    return escrow_balance(escrow_reference=contract.escrow_reference)


def test_two_approvals_at_once_release_once(client_user, milestone, contract):
    submitted(client_user, milestone)
    approve = lambda: services.milestone_approve(actor=client_user, milestone_id=milestone.pk)  # noqa: E731
    results = race(approve, approve, approve)
    assert wins(results) == 1
    assert JournalEntry.objects.filter(kind="escrow_release").count() == 1
    assert wallet_for(contract.freelancer).pending_cents == 9_000
    assert escrow_of(contract) == 0
    assert ledger_problems() == []


def test_a_client_approval_racing_the_auto_approval_releases_once(client_user, milestone, contract):
    submitted(client_user, milestone)
    later = timezone.now() + dt.timedelta(days=settings.AUTO_APPROVE_DAYS, minutes=1)
    results = race(
        lambda: services.milestone_approve(actor=client_user, milestone_id=milestone.pk),
        lambda: services.milestones_auto_approve_due(now=later),
    )
    assert not any(isinstance(r, DomainError) for r in results[1:])
    assert JournalEntry.objects.filter(kind="escrow_release").count() == 1
    milestone.refresh_from_db()
    assert milestone.status == S.APPROVED
    assert ledger_problems() == []


def test_approve_racing_refund_on_one_escrow_never_overdraws_it(client_user, milestone, contract):
    """One milestone is being approved while the other's agreed refund is paid out of the same escrow."""
    other = MilestoneFactory(contract=contract, amount_cents=7_000, position=5)
    submitted(client_user, milestone)
    funded(client_user, other, key="k2")
    services.milestone_request_refund(actor=client_user, milestone_id=other.pk, reason="Not needed")
    freelancer = contract.freelancer
    results = race(
        lambda: services.milestone_approve(actor=client_user, milestone_id=milestone.pk),
        lambda: services.milestone_agree_refund(actor=freelancer, milestone_id=other.pk),
    )
    assert wins(results) == 2
    assert escrow_of(contract) == 0
    assert wallet_for(freelancer).pending_cents == 9_000
    assert ledger_problems() == []


def test_agreeing_and_rejecting_one_refund_at_once_settles_it_one_way(client_user, milestone, contract):
    funded(client_user, milestone)
    services.milestone_request_refund(actor=client_user, milestone_id=milestone.pk, reason="Stop")
    freelancer = contract.freelancer
    results = race(
        lambda: services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk),
        lambda: services.milestone_reject_refund(actor=freelancer, milestone_id=milestone.pk, reason="No"),
    )
    assert wins(results) == 1
    milestone.refresh_from_db()
    refunds = SandboxRecord.objects.filter(kind="refund").count()
    if milestone.status == S.REFUNDED:
        assert refunds == 1 and escrow_of(contract) == 0
    else:
        assert milestone.status == S.DISPUTED
        assert refunds == 0 and escrow_of(contract) == 10_000
    assert ledger_problems() == []


def test_two_agreements_to_one_refund_refund_once(client_user, milestone, contract):
    funded(client_user, milestone)
    services.milestone_request_refund(actor=client_user, milestone_id=milestone.pk, reason="Stop")
    agree = lambda: services.milestone_agree_refund(actor=contract.freelancer, milestone_id=milestone.pk)  # noqa: E731
    race(agree, agree)
    milestone.refresh_from_db()
    assert milestone.status == S.REFUNDED
    assert SandboxRecord.objects.filter(kind="refund").count() == 1
    assert escrow_of(contract) == 0
    assert ledger_problems() == []


def test_a_submission_racing_a_refund_request_one_wins(client_user, milestone, contract):
    funded(client_user, milestone)
    results = race(
        lambda: services.milestone_submit(actor=contract.freelancer, milestone_id=milestone.pk, message="Done"),
        lambda: services.milestone_request_refund(actor=client_user, milestone_id=milestone.pk, reason="Stop"),
    )
    assert wins(results) == 1
    milestone.refresh_from_db()
    assert milestone.status in (S.SUBMITTED, S.REFUND_REQUESTED)
    assert milestone.events.count() == 2


def test_double_click_funding_with_one_key_charges_once(client_user, milestone, contract):
    fund = lambda: services.milestone_fund(actor=client_user, milestone_id=milestone.pk, request_key="click")  # noqa: E731
    results = race(fund, fund, fund)
    assert wins(results) >= 1
    for result in results:
        if isinstance(result, DomainError):
            assert result.code in ("funding_in_progress", "operation_in_progress")
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert JournalEntry.objects.filter(kind="escrow_fund").count() == 1
    assert escrow_of(contract) == 10_000
    milestone.refresh_from_db()
    assert milestone.status == S.FUNDED


def test_funding_with_different_keys_at_once_charges_once(client_user, milestone, contract):
    results = race(
        *(
            (lambda k=k: services.milestone_fund(actor=client_user, milestone_id=milestone.pk, request_key=k))
            for k in ("one", "two", "three")
        )
    )
    assert wins(results) == 1
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert escrow_of(contract) == 10_000
    assert ledger_problems() == []
