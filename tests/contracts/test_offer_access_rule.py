"""The one permission rule on offers: whoever sees the offer (or the proposal it is made from) but may not act
gets 403, on the page as in the API; whoever does not see it gets 404."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from contracts.models import Offer
from tests.factories import JobFactory, MembershipFactory, OfferFactory, ProposalFactory

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
def offer(organization, freelancer):
    return OfferFactory(organization=organization, freelancer=freelancer, status="pending")


@pytest.fixture
def outsider(db):
    return MembershipFactory(role=Role.OWNER).user


def test_the_offer_form_is_403_to_who_sees_the_proposal_but_may_not_hire(organization, freelancer, members, outsider):
    proposal = ProposalFactory(job=JobFactory(organization=organization), freelancer=freelancer.freelancer_profile)
    url = reverse("contracts:offer_new") + f"?proposal={proposal.pk}"
    for user in (freelancer, members[Role.FINANCE], members[Role.MEMBER]):
        assert page(user).get(url).status_code == 403
        assert page(user).post(url, {"title": "Offer"}).status_code == 403
    assert page(outsider).get(url).status_code == 404
    assert page(members[Role.HIRING_MANAGER]).get(url).status_code == 200
    assert not Offer.objects.exists()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_members_may_not_answer_the_offer(offer, members, outsider, action):
    page_url = reverse(f"contracts:offer_{action}", args=[offer.pk])
    api_url = reverse(f"api-offer-{action}", kwargs={"pk": offer.pk})
    for user in members.values():
        assert page(user).post(page_url).status_code == 403
        assert api(user).post(api_url, {}, format="json").status_code == 403
    assert page(outsider).post(page_url).status_code == 404
    assert api(outsider).post(api_url, {}, format="json").status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def test_the_freelancer_may_not_withdraw_the_offer(offer, freelancer, outsider):
    assert page(freelancer).post(reverse("contracts:offer_withdraw", args=[offer.pk])).status_code == 403
    assert api(freelancer).post(reverse("api-offer-withdraw", kwargs={"pk": offer.pk})).status_code == 403
    assert page(outsider).post(reverse("contracts:offer_withdraw", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
