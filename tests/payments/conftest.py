import pytest

from accounts.models import Role
from tests.factories import MembershipFactory, PayoutMethodFactory, UserFactory
from tests.payments import helpers as money


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, role=Role.OWNER).user


@pytest.fixture
def payout_method(freelancer):
    return PayoutMethodFactory(user=freelancer)


@pytest.fixture
def fund(organization, card, key):
    """Fund `amount` into contract:1's escrow for `reference` (milestone:1 unless given)."""

    def _fund(amount=10_000, reference="milestone:1", escrow_reference="contract:1"):
        return money.fund(
            organization=organization,
            escrow_reference=escrow_reference,
            amount_cents=amount,
            currency="USD",
            idempotency_key=key(),
            reference=reference,
        )

    return _fund


@pytest.fixture
def release(freelancer, key):
    """Release `amount` of contract:1's escrow for `reference` (milestone:1 unless given) to the freelancer."""

    def _release(amount, reference="milestone:1"):
        return money.release(
            escrow_reference="contract:1",
            freelancer=freelancer,
            amount_cents=amount,
            currency="USD",
            idempotency_key=key(),
            reference=reference,
        )

    return _release


@pytest.fixture
def refund(key):
    """Refund `amount` of contract:1's escrow for milestone:1 to the card that paid it."""

    def _refund(amount):
        return money.refund(
            escrow_reference="contract:1",
            amount_cents=amount,
            currency="USD",
            idempotency_key=key(),
            reference="milestone:1",
        )

    return _refund


@pytest.fixture(autouse=True)
def _money_alone():
    with money.payments_alone():
        yield


@pytest.fixture
def other_user(db):
    return UserFactory()
