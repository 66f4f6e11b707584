import pytest

from accounts.models import Role
from contracts.services import milestones as milestone_services
from tests.factories import ContractFactory, MembershipFactory, MilestoneFactory


@pytest.fixture
def members(organization):
    """One user per organization role, keyed by role."""
    return {
        role: MembershipFactory(organization=organization, role=role).user
        for role in (Role.OWNER, Role.HIRING_MANAGER, Role.FINANCE, Role.MEMBER)
    }


@pytest.fixture
def owner(members):
    return members[Role.OWNER]


@pytest.fixture
def contract(organization, freelancer, members):
    return ContractFactory(offer__organization=organization, offer__freelancer=freelancer)


@pytest.fixture
def milestone(contract):
    return MilestoneFactory(contract=contract, amount_cents=10_000, position=0)


@pytest.fixture
def second_milestone(contract):
    return MilestoneFactory(contract=contract, amount_cents=20_000, position=1)


@pytest.fixture
def fund(owner, card, key):
    def _fund(milestone):
        return milestone_services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key=key())

    return _fund


@pytest.fixture
def submit(freelancer):
    def _submit(milestone, message="Done: see the attached design."):
        return milestone_services.milestone_submit(actor=freelancer, milestone_id=milestone.pk, message=message)

    return _submit


from tests.contracts.hourly_fixtures import clock  # noqa: E402, F401  (the hourly tests' time travel)
