"""The one permission rule on jobs and proposals: whoever sees the object but may not act gets 403, pages and API
alike; whoever does not see it gets 404 (the rows of tests/test_authz_matrix.py that once answered otherwise)."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from jobs.models import Job, Proposal
from messaging.models import Conversation
from tests.factories import JobFactory, MembershipFactory, ProposalFactory

pytestmark = pytest.mark.django_db


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def proposal(organization, freelancer):
    return ProposalFactory(job=JobFactory(organization=organization), freelancer=freelancer.freelancer_profile)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.MEMBER])
def test_a_member_who_may_not_post_jobs_gets_403_on_the_edit_page(organization, other_client, role):
    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    url = reverse("jobs:edit", args=[draft.pk])
    user = MembershipFactory(organization=organization, role=role).user
    assert page(user).get(url).status_code == 403
    assert page(user).post(url, {"title": "Changed"}).status_code == 403
    assert page(other_client).get(url).status_code == 404
    draft.refresh_from_db()
    assert draft.title != "Changed"


@pytest.mark.parametrize("action", ["shortlist", "decline"])
def test_the_proposals_freelancer_may_not_shortlist_or_decline_it(proposal, freelancer, other_client, action):
    assert page(freelancer).post(reverse(f"jobs:proposal_{action}", args=[proposal.pk])).status_code == 403
    assert api(freelancer).post(reverse(f"proposal-{action}", kwargs={"pk": proposal.pk})).status_code == 403
    assert page(other_client).post(reverse(f"jobs:proposal_{action}", args=[proposal.pk])).status_code == 404
    assert api(other_client).post(reverse(f"proposal-{action}", kwargs={"pk": proposal.pk})).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.HIRING_MANAGER, Role.FINANCE, Role.MEMBER])
def test_members_may_not_withdraw_the_freelancers_proposal(organization, proposal, other_client, role):
    user = MembershipFactory(organization=organization, role=role).user
    assert page(user).post(reverse("jobs:proposal_withdraw", args=[proposal.pk])).status_code == 403
    assert api(user).post(reverse("proposal-withdraw", kwargs={"pk": proposal.pk})).status_code == 403
    assert api(other_client).post(reverse("proposal-withdraw", kwargs={"pk": proposal.pk})).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


@pytest.mark.parametrize("role", [Role.FINANCE, Role.MEMBER])
def test_members_who_may_not_read_the_proposals_conversation_get_403(organization, proposal, other_client, role):
    """Messaging lets the freelancer and the members who hire read a proposal's conversation; the others see the
    proposal but may not write about it (and no conversation is opened for them)."""
    url = reverse("jobs:proposal_message", args=[proposal.pk])
    user = MembershipFactory(organization=organization, role=role).user
    assert page(user).post(url).status_code == 403
    assert page(other_client).post(url).status_code == 404
    assert not Conversation.objects.filter(reference=f"proposal:{proposal.pk}").exists()
    hirer = MembershipFactory(organization=organization, role=Role.HIRING_MANAGER).user
    response = page(hirer).post(url)
    conversation = Conversation.objects.get(reference=f"proposal:{proposal.pk}")
    assert response.status_code == 302 and response.url == reverse("messaging:conversation", args=[conversation.pk])
