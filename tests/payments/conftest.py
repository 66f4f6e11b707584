import itertools

import pytest

from accounts.models import Role
from payments.services import escrow
from tests.factories import (
    FreelancerProfileFactory,
    MembershipFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    PayoutMethodFactory,
    UserFactory,
)

_keys = itertools.count(1)


@pytest.fixture
def key():
    """A fresh idempotency key per call."""
    return lambda: f"test-key-{next(_keys)}"


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def owner(organization):
    return MembershipFactory(organization=organization, role=Role.OWNER).user


@pytest.fixture
def card(organization):
    return PaymentMethodFactory(organization=organization)


@pytest.fixture
def freelancer(db):
    return FreelancerProfileFactory().user


@pytest.fixture
def payout_method(freelancer):
    return PayoutMethodFactory(user=freelancer)


@pytest.fixture
def fund(organization, card, key):
    """Fund `amount` into contract:1's escrow for `reference` (milestone:1 unless given)."""

    def _fund(amount=10_000, reference="milestone:1", escrow_reference="contract:1"):
        return escrow.escrow_fund(
            organization=organization,
            escrow_reference=escrow_reference,
            amount_cents=amount,
            currency="USD",
            idempotency_key=key(),
            reference=reference,
        )

    return _fund


@pytest.fixture
def other_user(db):
    return UserFactory()
