"""The parties of a conversation: a client organization (owner, hiring manager, finance, read-only member), a
freelancer, and someone outside, with the conversation about a contract between them."""

import pytest

from accounts.models import Role
from kernel.refs import Kind, ref
from messaging import services
from tests.factories import FreelancerProfileFactory, UserFactory, org_with_roles


@pytest.fixture
def room(db):
    organization, members = org_with_roles(Role.OWNER, Role.HIRING_MANAGER, Role.FINANCE, Role.MEMBER)
    freelancer = FreelancerProfileFactory().user
    contract = services.conversation_open(
        reference=ref(Kind.CONTRACT, 1001), title="Landing page", organization_id=organization.pk, freelancer=freelancer
    )
    proposal = services.conversation_open(
        reference=ref(Kind.PROPOSAL, 2002),
        title="Proposal on “Landing page”",
        organization_id=organization.pk,
        freelancer=freelancer,
    )

    class Room:
        pass

    r = Room()
    r.organization, r.freelancer, r.outsider = organization, freelancer, UserFactory()
    r.owner = members[Role.OWNER].user
    r.hiring = members[Role.HIRING_MANAGER].user
    r.finance = members[Role.FINANCE].user
    r.member = members[Role.MEMBER].user
    r.memberships = members
    r.contract, r.proposal = contract, proposal
    return r
