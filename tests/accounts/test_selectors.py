"""The one lookup of "members whose role allows a permission", shared by contracts' and messaging's notices."""

import pytest

from accounts.models import Role
from accounts.permissions import OrgPerm
from accounts.selectors import members_with
from contracts.selectors import organization_users_with
from kernel.refs import Kind, ref
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    organization = OrganizationFactory()
    people = {role: MembershipFactory(organization=organization, role=role).user for role in Role.values}
    # The finance member also belongs to another organization: listed once, for this one only.
    MembershipFactory(user=people[Role.FINANCE], role=Role.OWNER)
    MembershipFactory(role=Role.OWNER)  # someone else's owner
    return organization, people


def test_members_with_lists_the_roles_that_allow_the_permission_once_each(team):
    organization, people = team
    payers = members_with(organization_id=organization.pk, perm=OrgPerm.APPROVE_PAYMENTS)
    assert sorted(payers.values_list("pk", flat=True)) == sorted(
        people[role].pk for role in (Role.OWNER, Role.ADMIN, Role.FINANCE)
    )
    viewers = members_with(organization_id=organization.pk, perm=OrgPerm.VIEW)
    assert viewers.count() == len(Role.values)


def test_contracts_and_messaging_tell_the_same_members(team):
    organization, people = team
    freelancer = FreelancerProfileFactory().user
    MembershipFactory(user=freelancer)  # a freelancer who is also a member elsewhere
    conversation = messaging_services.conversation_open(
        reference=ref(Kind.PROPOSAL, 7), title="Proposal", organization_id=organization.pk, freelancer=freelancer
    )
    hirers = {u.pk for u in organization_users_with(organization_id=organization.pk, perm=OrgPerm.HIRE)}
    assert hirers == {people[role].pk for role in (Role.OWNER, Role.ADMIN, Role.HIRING_MANAGER)}
    readers = list(messaging_selectors.people_in(conversation).values_list("pk", flat=True))
    assert sorted(readers) == sorted(hirers | {freelancer.pk})
