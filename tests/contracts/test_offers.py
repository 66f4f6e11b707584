"""Offers: who may send them, the terms' rules, and what accepting, declining, withdrawing and expiry do."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from contracts.models import Contract, Milestone, Offer
from contracts.services import offers
from contracts.services.offers import MilestoneTerms, OfferTerms
from jobs.models import Job, Proposal
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kernel.transitions import allowed_transitions
from messaging.models import Conversation, Notification
from messaging.selectors import may_read
from tests.factories import FreelancerProfileFactory, JobFactory, OfferFactory, ProposalFactory

TODAY = dt.date.today()


def fixed_terms(*amounts: int) -> OfferTerms:
    return OfferTerms(
        contract_type="fixed",
        start_date=TODAY,
        total_cents=sum(amounts),
        milestones=[MilestoneTerms(title=f"Part {i + 1}", amount_cents=a) for i, a in enumerate(amounts)],
    )


HOURLY = OfferTerms(contract_type="hourly", start_date=TODAY, hourly_rate_cents=5000, weekly_limit_hours=20)


@pytest.fixture
def proposal(organization, freelancer):
    job = JobFactory(organization=organization)
    return ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)


def send(actor, organization, *, terms=HOURLY, **target):
    return offers.offer_create(
        actor=actor, organization_id=organization.pk, terms=terms, title="Booking widget", **target
    )


# --- Sending ---


def test_hiring_manager_sends_an_offer_from_a_proposal(members, organization, proposal, freelancer):
    offer = send(members[Role.HIRING_MANAGER], organization, proposal_id=proposal.pk)
    assert offer.status == Offer.Status.PENDING
    assert offer.freelancer == freelancer
    assert offer.job == proposal.job
    assert offer.expires_at - offer.created_at == dt.timedelta(days=settings.OFFER_EXPIRY_DAYS)
    assert Notification.objects.filter(user=freelancer, kind="offer_received").exists()


def test_a_fixed_price_offer_keeps_its_milestones(owner, organization, freelancer):
    offer = send(
        owner, organization, terms=fixed_terms(10_000, 20_000), freelancer_profile_id=freelancer.freelancer_profile.pk
    )
    assert offer.total_cents == 30_000
    assert [(m.title, m.amount_cents) for m in offer.milestones.all()] == [("Part 1", 10_000), ("Part 2", 20_000)]


def test_milestones_must_add_up_to_the_price(owner, organization, freelancer):
    terms = OfferTerms(
        contract_type="fixed", start_date=TODAY, total_cents=30_000, milestones=[MilestoneTerms("Only", 10_000)]
    )
    with pytest.raises(InvalidInput) as exc:
        offers.offer_terms_clean(terms)
    assert "add up to $100.00, but the price is $300.00" in exc.value.errors["milestones"][0]
    with pytest.raises(DomainError) as refused:
        send(owner, organization, terms=terms, freelancer_profile_id=freelancer.freelancer_profile.pk)
    assert refused.value.code == "offer_terms_invalid"
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "terms, field",
    [
        (OfferTerms("hourly", TODAY, hourly_rate_cents=1, weekly_limit_hours=10), "hourly_rate_cents"),
        (OfferTerms("hourly", TODAY, hourly_rate_cents=5000, weekly_limit_hours=0), "weekly_limit_hours"),
        (OfferTerms("fixed", TODAY, total_cents=100), "milestones"),
        (
            OfferTerms("hourly", TODAY - dt.timedelta(days=5), hourly_rate_cents=5000, weekly_limit_hours=10),
            "start_date",
        ),
    ],
)
def test_terms_are_checked_field_by_field(terms, field):
    with pytest.raises(InvalidInput) as exc:
        offers.offer_terms_clean(terms)
    assert list(exc.value.errors) == [field]


def test_every_bad_field_is_reported_not_only_the_first(owner, organization, freelancer):
    terms = OfferTerms("hourly", TODAY - dt.timedelta(days=5), hourly_rate_cents=1, weekly_limit_hours=0)
    with pytest.raises(InvalidInput) as exc:
        send(owner, organization, terms=terms, freelancer_profile_id=freelancer.freelancer_profile.pk)
    assert set(exc.value.errors) == {"start_date", "hourly_rate_cents", "weekly_limit_hours"}


def test_a_member_without_hire_cannot_send_and_another_org_does_not_see_the_proposal(members, organization, proposal):
    with pytest.raises(PermissionDenied):
        send(members[Role.FINANCE], organization, proposal_id=proposal.pk)
    stranger_org = JobFactory().organization
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(organization=stranger_org, role=Role.OWNER).user
    with pytest.raises(NotFound):
        send(stranger, organization, proposal_id=proposal.pk)
    with pytest.raises(NotFound):
        send(stranger, stranger_org, proposal_id=proposal.pk)


def test_one_pending_offer_per_proposal_and_only_live_proposals(owner, organization, proposal):
    send(owner, organization, proposal_id=proposal.pk)
    with pytest.raises(DomainError) as exc:
        send(owner, organization, proposal_id=proposal.pk)
    assert exc.value.code == "offer_exists"
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.WITHDRAWN)
    Offer.objects.update(status=Offer.Status.WITHDRAWN)
    with pytest.raises(DomainError) as exc:
        send(owner, organization, proposal_id=proposal.pk)
    assert exc.value.code == "proposal_not_live"


def test_an_offer_needs_a_freelancer_profile_and_not_a_member(owner, organization, members):
    with pytest.raises(NotFound):
        send(owner, organization, freelancer_profile_id=999_999)
    colleague_profile = FreelancerProfileFactory(user=members[Role.MEMBER])
    with pytest.raises(DomainError) as exc:
        send(owner, organization, freelancer_profile_id=colleague_profile.pk)
    assert exc.value.code == "own_member"


def test_no_offer_to_a_hidden_profile_or_a_suspended_freelancer(owner, organization, proposal):
    hidden = FreelancerProfileFactory(hidden_at=timezone.now())
    with pytest.raises(NotFound):
        send(owner, organization, freelancer_profile_id=hidden.pk)
    suspended = FreelancerProfileFactory(user__is_active=False)
    with pytest.raises(NotFound):
        send(owner, organization, freelancer_profile_id=suspended.pk)
    type(proposal.freelancer.user).objects.filter(pk=proposal.freelancer.user_id).update(is_active=False)
    with pytest.raises(DomainError) as exc:
        send(owner, organization, proposal_id=proposal.pk)
    assert exc.value.code == "freelancer_suspended"


# --- Answering ---


def test_accepting_starts_the_contract_hires_the_proposal_opens_the_conversation_and_tells_the_client(
    members, organization, freelancer
):
    job = JobFactory(
        organization=organization,
        budget_type=Job.BudgetType.FIXED,
        rate_min_cents=None,
        rate_max_cents=None,
        fixed_amount_cents=30_000,
    )
    proposal = ProposalFactory(job=job, freelancer=freelancer.freelancer_profile, rate_cents=None, bid_cents=30_000)
    hiring = members[Role.HIRING_MANAGER]
    offer = send(hiring, organization, terms=fixed_terms(10_000, 20_000), proposal_id=proposal.pk)

    contract = offers.offer_accept(actor=freelancer, offer_id=offer.pk)

    assert contract.status == Contract.Status.ACTIVE
    assert contract.is_fixed and contract.total_cents == 30_000
    assert list(contract.milestones.values_list("amount_cents", "status")) == [
        (10_000, Milestone.Status.PENDING),
        (20_000, Milestone.Status.PENDING),
    ]
    assert contract.events.get().to_status == Contract.Status.ACTIVE
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.HIRED
    conversation = Conversation.objects.get(reference=f"contract:{contract.pk}")
    assert all(may_read(person, conversation.pk) for person in (freelancer, hiring))
    told = set(Notification.objects.filter(kind="offer_accepted").values_list("user_id", flat=True))
    assert told == {members[Role.OWNER].pk, hiring.pk}
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED


def test_only_the_freelancer_answers_and_only_once(owner, organization, freelancer, members):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    with pytest.raises(DomainError) as exc:
        offers.offer_accept(actor=owner, offer_id=offer.pk)
    assert exc.value.status == 403
    offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    with pytest.raises(DomainError) as exc:
        offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    assert exc.value.code == "offer_accepted"
    with pytest.raises(DomainError):
        offers.offer_decline(actor=freelancer, offer_id=offer.pk)
    assert Contract.objects.count() == 1


def test_another_freelancer_cannot_see_the_offer(owner, organization, freelancer):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    with pytest.raises(NotFound):
        offers.offer_accept(actor=FreelancerProfileFactory().user, offer_id=offer.pk)


def test_declining_tells_the_client_with_the_reason(owner, organization, freelancer):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    offers.offer_decline(actor=freelancer, offer_id=offer.pk, reason="Fully booked this month.")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert offer.decline_reason == "Fully booked this month."
    assert Notification.objects.get(user=owner, kind="offer_declined").body == "Fully booked this month."


def test_the_client_withdraws_a_pending_offer_but_the_freelancer_cannot(owner, organization, freelancer):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    assert allowed_transitions(offer, owner) == {Offer.Status.WITHDRAWN}
    assert allowed_transitions(offer, freelancer) == {Offer.Status.ACCEPTED, Offer.Status.DECLINED}
    with pytest.raises(DomainError) as exc:
        offers.offer_withdraw(actor=freelancer, offer_id=offer.pk)
    assert exc.value.status == 403
    offers.offer_withdraw(actor=owner, offer_id=offer.pk)
    with pytest.raises(DomainError) as exc:
        offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    assert exc.value.code == "offer_withdrawn"


# --- Expiry ---


def test_offers_expire_after_the_setting_and_cannot_be_accepted_after(owner, organization, freelancer):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    almost = timezone.now() + dt.timedelta(days=settings.OFFER_EXPIRY_DAYS) - dt.timedelta(minutes=1)
    assert offers.offers_expire_due(now=almost) == 0

    later = timezone.now() + dt.timedelta(days=settings.OFFER_EXPIRY_DAYS, minutes=1)
    assert offers.offers_expire_due(now=later) == 1
    assert offers.offers_expire_due(now=later) == 0  # running twice changes nothing
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert Notification.objects.filter(user=freelancer, kind="offer_expired").exists()
    assert Notification.objects.filter(user=owner, kind="offer_expired").exists()
    with pytest.raises(DomainError) as exc:
        offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    assert exc.value.code == "offer_expired"


def test_an_offer_past_its_time_but_not_yet_swept_cannot_be_accepted(owner, organization, freelancer):
    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    assert exc.value.code == "offer_expired"


def test_the_beat_task_expires_due_offers(owner, organization, freelancer):
    from contracts import tasks

    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.offers_expire_due.apply().get() == 1
    assert "contracts-offers-expire" in settings.CELERY_BEAT_SCHEDULE


def test_an_hourly_offer_starts_an_hourly_contract_without_milestones(owner, organization, freelancer):
    from contracts.selectors import awaiting_funding

    offer = send(owner, organization, freelancer_profile_id=freelancer.freelancer_profile.pk)
    contract = offers.offer_accept(actor=freelancer, offer_id=offer.pk)
    assert (contract.contract_type, contract.hourly_rate_cents, contract.weekly_limit_hours) == ("hourly", 5000, 20)
    assert contract.total_cents is None and not contract.milestones.exists()
    assert not awaiting_funding(contract)


def test_offer_lists_run_a_constant_number_of_queries(client, owner, organization, freelancer):
    from rest_framework.test import APIClient

    from tests.queries import assert_constant_queries

    api = APIClient()
    api.force_authenticate(owner)
    client.force_login(freelancer)

    def add(rows):
        for _ in range(rows):
            OfferFactory(organization=organization, freelancer=freelancer, status="pending")

    assert_constant_queries(
        add,
        lambda: api.get("/api/v1/offers/"),
        lambda: client.get(reverse("contracts:offers")),
    )
