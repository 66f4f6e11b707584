"""Races on real PostgreSQL row locks: threads, each on its own connection, doing the same money operation at
once. Exactly one wins where only one may; nothing goes negative; one key is one entry."""

import pytest

from accounts.models import Role
from kernel.errors import DomainError
from payments.models import JournalEntry, Payout, SandboxRecord
from payments.selectors import ledger_problems, wallet_for
from payments.services import payouts, saga
from tests.concurrency.helpers import race
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    PayoutMethodFactory,
    UserFactory,
)
from tests.payments import helpers as money
from tests.payments.helpers import (
    make_available,
    payments_alone,  # noqa: F401 (the fixture)
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _money_alone():
    with money.payments_alone():
        yield


@pytest.fixture
def organization():
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, role=Role.OWNER)
    PaymentMethodFactory(organization=organization)
    return organization


def fund(organization, amount, key="fund-1", reference="milestone:1"):
    return money.fund(
        organization=organization,
        escrow_reference="contract:1",
        amount_cents=amount,
        currency="USD",
        idempotency_key=key,
        reference=reference,
    )


def test_two_withdrawals_draining_one_balance_exactly_one_wins(organization):
    freelancer = UserFactory()
    PayoutMethodFactory(user=freelancer)
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="w")
    available = wallet_for(freelancer).available_cents
    amount = available // 2 + 1_000

    results = race(
        lambda: payouts.payout_request(user=freelancer, amount_cents=amount, idempotency_key="a"),
        lambda: payouts.payout_request(user=freelancer, amount_cents=amount, idempotency_key="b"),
    )
    won = [r for r in results if isinstance(r, Payout)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].code == "insufficient_funds"
    assert wallet_for(freelancer).available_cents == available - amount >= 0
    assert ledger_problems() == []


def test_two_releases_beyond_the_escrow_exactly_one_wins(organization):
    fund(organization, 10_000)
    freelancer = UserFactory()

    def release(key):
        return lambda: money.release(
            escrow_reference="contract:1",
            freelancer=freelancer,
            amount_cents=7_000,
            currency="USD",
            idempotency_key=key,
            reference="milestone:1",
        )

    results = race(release("r1"), release("r2"))
    assert sum(isinstance(r, JournalEntry) for r in results) == 1
    assert [r.code for r in results if isinstance(r, DomainError)] == ["insufficient_escrow"]
    assert saga.escrow_balance(escrow_reference="contract:1") == 3_000
    assert ledger_problems() == []


def test_a_release_and_a_refund_racing_for_the_same_money_cannot_both_win(organization):
    fund(organization, 10_000)
    freelancer = UserFactory()
    results = race(
        lambda: money.release(
            escrow_reference="contract:1",
            freelancer=freelancer,
            amount_cents=8_000,
            currency="USD",
            idempotency_key="rel",
            reference="milestone:1",
        ),
        lambda: money.refund(
            escrow_reference="contract:1",
            amount_cents=8_000,
            currency="USD",
            idempotency_key="ref",
            reference="milestone:1",
        ),
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], DomainError), results
    assert saga.escrow_balance(escrow_reference="contract:1") == 2_000
    assert ledger_problems() == []


def test_the_same_funding_key_from_two_threads_makes_one_entry_and_one_charge(organization):
    results = race(lambda: fund(organization, 10_000, key="same"), lambda: fund(organization, 10_000, key="same"))
    entries = [r for r in results if isinstance(r, JournalEntry)]
    assert entries, results
    assert len({e.pk for e in entries}) == 1
    # The loser either waited and got the winner's entry, or was told the charge is still in progress.
    assert all(r.code == "operation_in_progress" for r in results if isinstance(r, DomainError))
    assert JournalEntry.objects.count() == 1
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000


def test_the_same_release_key_from_two_threads_makes_one_entry(organization):
    fund(organization, 10_000)
    freelancer = UserFactory()

    def release():
        return money.release(
            escrow_reference="contract:1",
            freelancer=freelancer,
            amount_cents=4_000,
            currency="USD",
            idempotency_key="same-release",
            reference="milestone:1",
        )

    results = race(release, release, release)
    assert all(isinstance(r, JournalEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert saga.escrow_balance(escrow_reference="contract:1") == 6_000
