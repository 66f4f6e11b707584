"""The offer and contract pages: each role sees its actions, forms post through the services, errors show."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from contracts.models import Contract, Milestone, Offer
from contracts.services import milestones as milestone_services
from jobs.models import Job
from tests.factories import (
    FreelancerProfileFactory,
    JobFactory,
    MilestoneFactory,
    OfferFactory,
    PaymentMethodFactory,
    ProposalFactory,
)


@pytest.fixture
def as_user(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_offer_form_from_a_proposal_prefills_and_sends(as_user, owner, organization, freelancer):
    job = JobFactory(
        organization=organization,
        budget_type=Job.BudgetType.FIXED,
        rate_min_cents=None,
        rate_max_cents=None,
        fixed_amount_cents=30_000,
    )
    proposal = ProposalFactory(job=job, freelancer=freelancer.freelancer_profile, rate_cents=None, bid_cents=30_000)
    proposal.milestones.create(title="Design", amount_cents=10_000, position=0)
    proposal.milestones.create(title="Build", amount_cents=20_000, position=1)
    client = as_user(owner)
    url = reverse("contracts:offer_new") + f"?proposal={proposal.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Design"' in page.content.decode() and 'value="300.00"' in page.content.decode()

    data = {
        "organization": organization.pk,
        "title": job.title,
        "contract_type": "fixed",
        "total": "300.00",
        "start_date": dt.date.today().isoformat(),
        "message": "Welcome aboard",
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "2",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "20",
        "milestones-0-title": "Design",
        "milestones-0-amount": "100.00",
        "milestones-1-title": "Build",
        "milestones-1-amount": "150.00",
    }
    mismatch = client.post(url, data)
    assert mismatch.status_code == 200
    assert "must be equal" in mismatch.content.decode()
    data["milestones-1-amount"] = "200.00"
    sent = client.post(url, data)
    offer = Offer.objects.get()
    assert sent.status_code == 302 and sent.url == reverse("contracts:offer_detail", args=[offer.pk])
    assert offer.total_cents == 30_000 and offer.proposal == proposal
    assert list(offer.milestones.values_list("amount_cents", flat=True)) == [10_000, 20_000]


def test_direct_offer_page_and_roles(as_user, members, freelancer):
    url = reverse("contracts:offer_new") + f"?freelancer={freelancer.freelancer_profile.pk}"
    assert as_user(members[Role.MEMBER]).get(url).status_code == 403  # sees the profile, may not hire
    page = as_user(members[Role.HIRING_MANAGER]).get(url)
    assert page.status_code == 200
    assert (
        as_user(members[Role.HIRING_MANAGER]).get(reverse("contracts:offer_new") + "?freelancer=999999").status_code
        == 404
    )


def test_the_freelancer_accepts_on_the_offer_page(as_user, organization, freelancer, members):
    offer = OfferFactory(organization=organization, freelancer=freelancer, status="pending")
    offer.milestones.create(title="Only", amount_cents=30_000)
    client = as_user(freelancer)
    page = client.get(reverse("contracts:offer_detail", args=[offer.pk]))
    assert "Accept offer" in page.content.decode()
    accepted = client.post(reverse("contracts:offer_accept", args=[offer.pk]))
    contract = Contract.objects.get()
    assert accepted.url == reverse("contracts:contract_detail", args=[contract.pk])
    detail = client.get(accepted.url).content.decode()
    assert "Waiting for funding" in detail
    assert "Submit work" not in detail


def test_a_stranger_gets_404_on_offers_contracts_and_actions(as_user, contract, milestone):
    client = as_user(FreelancerProfileFactory().user)
    assert client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 404
    assert client.get(reverse("contracts:offer_detail", args=[contract.offer_id])).status_code == 404
    assert client.post(reverse("contracts:milestone_fund", args=[milestone.pk])).status_code == 404


def test_a_declined_card_leaves_the_milestone_unfunded_and_the_page_says_so(as_user, owner, organization, milestone):
    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    client = as_user(owner)
    url = reverse("contracts:contract_detail", args=[milestone.contract_id])
    page = client.get(url).content.decode()
    assert 'name="idempotency_key"' in page
    response = client.post(
        reverse("contracts:milestone_fund", args=[milestone.pk]), {"idempotency_key": "rendered-1"}, follow=True
    )
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING
    body = response.content.decode()
    assert "declined" in body.lower()
    assert "Waiting for funding" in body


def test_the_client_funds_and_the_freelancer_submits_from_the_page(as_user, owner, freelancer, card, milestone):
    client = as_user(owner)
    funded = client.post(
        reverse("contracts:milestone_fund", args=[milestone.pk]), {"idempotency_key": "rendered-2"}, follow=True
    )
    assert "The milestone is funded" in funded.content.decode()
    client = as_user(freelancer)
    page = client.get(reverse("contracts:contract_detail", args=[milestone.contract_id])).content.decode()
    assert "Submit work" in page
    client.post(reverse("contracts:milestone_submit", args=[milestone.pk]), {"message": "Here you go"})
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED


def test_role_specific_actions_on_the_contract_page(as_user, members, fund, submit, milestone):
    fund(milestone)
    submit(milestone)
    url = reverse("contracts:contract_detail", args=[milestone.contract_id])
    finance = as_user(members[Role.FINANCE]).get(url).content.decode()
    assert "Approve and release" in finance and "End contract" not in finance
    member = as_user(members[Role.MEMBER]).get(url).content.decode()
    assert "Approve and release" not in member and "End contract" not in member


def test_submitted_files_download_as_attachments_to_parties_only(as_user, fund, freelancer, owner, milestone):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from contracts.services.milestones import milestone_submit
    from kernel.files import url_for

    fund(milestone)
    submission = milestone_submit(
        actor=freelancer, milestone_id=milestone.pk, message="x", files=[SimpleUploadedFile("a.txt", b"hello")]
    )
    file_url = url_for(submission.files.get())
    response = as_user(owner).get(file_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert as_user(FreelancerProfileFactory().user).get(file_url).status_code == 404


def _add_contracts(organization, freelancer, count: int) -> list:
    contracts = []
    for _ in range(count):
        contract = MilestoneFactory(
            contract__offer__organization=organization, contract__offer__freelancer=freelancer
        ).contract
        MilestoneFactory.create_batch(3, contract=contract)
        OfferFactory(organization=organization, freelancer=freelancer, status="pending")
        contracts.append(contract)
    return contracts


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_lists_and_detail_run_a_constant_number_of_queries(as_user, owner, organization, freelancer):
    """The same number of queries with 2 contracts as with 12 (and a detail page with 3 milestones or 13)."""
    first = _add_contracts(organization, freelancer, 2)[0]
    pages = [
        (owner, reverse("contracts:contract_list")),
        (owner, reverse("contracts:offers")),
        (owner, reverse("contracts:contract_detail", args=[first.pk])),
        (freelancer, reverse("contracts:contract_list")),
        (freelancer, reverse("contracts:offers")),
    ]
    few = [_queries(as_user(user), url) for user, url in pages]
    _add_contracts(organization, freelancer, 10)
    MilestoneFactory.create_batch(10, contract=first)
    many = [_queries(as_user(user), url) for user, url in pages]
    assert many == few


def test_ending_from_the_page_shows_the_escrow_rule(as_user, owner, fund, milestone):
    fund(milestone)
    response = as_user(owner).post(
        reverse("contracts:contract_end", args=[milestone.contract_id]),
        {"outcome": "cancelled", "reason": "Budget cut"},
        follow=True,
    )
    assert "still in escrow" in response.content.decode()


def test_nav_and_dashboard_link_to_contracts(as_user, freelancer):
    page = as_user(freelancer).get(reverse("dashboard")).content.decode()
    assert reverse("contracts:contract_list") in page and reverse("contracts:offers") in page


def _fixed_offer_data(organization, **rows):
    data = {
        "organization": organization.pk,
        "title": "Landing page",
        "contract_type": "fixed",
        "total": "300.00",
        "start_date": dt.date.today().isoformat(),
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "20",
    }
    return {**data, **rows}


def test_a_fixed_offer_with_a_bad_milestone_row_shows_the_row_error(as_user, owner, organization, freelancer):
    url = reverse("contracts:offer_new") + f"?freelancer={freelancer.freelancer_profile.pk}"
    data = _fixed_offer_data(
        organization,
        **{
            "milestones-0-title": "Design",
            "milestones-0-amount": "300.00",
            "milestones-1-title": "Build",
            "milestones-1-amount": "0",
        },
    )
    page = as_user(owner).post(url, data)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Check the milestones below" in body and "at least $0.01" in body
    assert not Offer.objects.exists()
    # The same rows on an hourly offer are ignored.
    hourly = {**data, "contract_type": "hourly", "hourly_rate": "50.00", "weekly_limit_hours": "20"}
    assert as_user(owner).post(url, hourly).status_code == 302
    assert Offer.objects.get().contract_type == "hourly"


def test_a_refused_milestone_action_opens_the_page_at_its_message(as_user, owner, organization, milestone):
    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    client = as_user(owner)
    contract_url = reverse("contracts:contract_detail", args=[milestone.contract_id])
    declined = client.post(reverse("contracts:milestone_fund", args=[milestone.pk]), {"idempotency_key": "k-1"})
    assert declined.url == contract_url  # not scrolled down to the milestone, away from the message at the top
    assert "Nothing was charged" in client.get(declined.url).content.decode()
    empty = client.post(reverse("contracts:milestone_request_refund", args=[milestone.pk]), {"reason": ""})
    assert empty.url == contract_url


def test_a_successful_milestone_action_opens_the_page_at_the_milestone(as_user, owner, card, milestone):
    funded = as_user(owner).post(reverse("contracts:milestone_fund", args=[milestone.pk]), {"idempotency_key": "k"})
    assert funded.url.endswith(f"#milestone-{milestone.pk}")


def test_the_fund_forms_name_the_card_and_carry_one_key_per_milestone(
    as_user, owner, organization, card, milestone, second_milestone
):
    page = as_user(owner).get(reverse("contracts:contract_detail", args=[milestone.contract_id])).content.decode()
    assert f"Your {card} is charged" in page
    # The milestone fund forms' keys end in the milestone's id (the bonus form carries its own key).
    keys = re.findall(r'name="idempotency_key" value="([^"]+-\d+)"', page)
    assert len(keys) == 2 and len(set(keys)) == 2
    card.delete()
    page = as_user(owner).get(reverse("contracts:contract_detail", args=[milestone.contract_id])).content.decode()
    assert "before funding" in page and reverse("payments:payment_methods", args=[organization.pk]) in page


def test_the_freelancer_sees_what_to_change_and_why_a_refund_is_asked(
    as_user, owner, freelancer, fund, submit, milestone, second_milestone
):
    fund(milestone)
    submit(milestone)
    fund(second_milestone)
    client = as_user(owner)
    client.post(reverse("contracts:milestone_request_changes", args=[milestone.pk]), {"note": "Use a darker blue."})
    client.post(reverse("contracts:milestone_request_refund", args=[second_milestone.pk]), {"reason": "Plans changed."})
    page = as_user(freelancer).get(reverse("contracts:contract_detail", args=[milestone.contract_id])).content.decode()
    history_starts = page.index('<details class="history">')
    assert page.index("Use a darker blue.") < history_starts  # shown in the milestone, not only in its history
    assert (
        "Plans changed." in page.split(f'id="milestone-{second_milestone.pk}"')[1].split('<details class="history">')[0]
    )


def test_the_summary_shows_the_milestones_total_once_milestones_are_added(as_user, owner, contract, milestone):
    url = reverse("contracts:contract_detail", args=[contract.pk])
    contract.total_cents = milestone.amount_cents
    contract.save(update_fields=["total_cents"])
    assert "All milestones" not in as_user(owner).get(url).content.decode()
    added = as_user(owner).post(
        reverse("contracts:milestone_add", args=[contract.pk]), {"title": "Extra icons", "amount": "50.00"}
    )
    assert added.status_code == 302
    page = as_user(owner).get(url).content.decode()
    assert "All milestones" in page and "$150.00" in page


def test_money_pages_name_the_contract_and_milestone_not_internal_references(
    as_user, owner, freelancer, organization, milestone, fund, submit
):
    fund(milestone)
    submit(milestone)
    milestone_services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    label = f"{milestone.contract.title}: {milestone.title}"
    money_page = as_user(owner).get(reverse("payments:organization", args=[organization.pk])).content.decode()
    assert milestone.contract.title in money_page and label in money_page
    assert f"contract:{milestone.contract_id}" not in money_page
    wallet = as_user(freelancer).get(reverse("payments:wallet")).content.decode()
    assert label in wallet and f"milestone:{milestone.pk}" not in wallet
