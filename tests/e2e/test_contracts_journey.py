"""Hire to payout in the browser: the client makes an offer from a proposal, the freelancer accepts, the client
saves a sandbox card and funds the first milestone, the freelancer submits, the client approves; the freelancer
sees the money pending, then (the hold's clock moved forward by calling the holds service) available, adds a
payout method and withdraws. Every page on the way is checked with axe-core."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from contracts.models import Milestone, Offer
from jobs.models import Job
from payments.models import Payout
from payments.services.holds import holds_release_matured
from tests.e2e.conftest import assert_accessible
from tests.factories import (
    ContractFactory,
    FreelancerProfileFactory,
    JobFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    ProposalFactory,
)

PASSWORD = "correct-horse-battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_out(page):
    page.get_by_role("button", name="Log out").click()


@pytest.mark.django_db(transaction=True)
def test_offer_fund_submit_approve_and_withdraw(page, live_server, settings):
    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps", timezone="America/New_York")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory(headline="Web designer", timezone="Europe/Lisbon").user
    job = JobFactory(
        organization=organization,
        title="Redesign our booking pages",
        budget_type=Job.BudgetType.FIXED,
        rate_min_cents=None,
        rate_max_cents=None,
        fixed_amount_cents=30_000,
    )
    proposal = ProposalFactory(job=job, freelancer=freelancer.freelancer_profile, rate_cents=None, bid_cents=30_000)
    proposal.milestones.create(title="Wireframes", amount_cents=10_000, position=0)
    proposal.milestones.create(title="Final pages", amount_cents=20_000, position=1)

    # The client makes an offer from the proposal review page; the form starts from the proposal's bid.
    log_in(page, base, client_user.email)
    page.goto(f"{base}/jobs/{job.pk}/proposals/")
    page.get_by_role("link", name=re.compile("Make offer")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Make an offer")
    expect(page.get_by_label("Fixed price (USD)")).to_have_value("300.00")
    page.get_by_label("Message to the freelancer").fill("Looking forward to working with you.")
    assert_accessible(page, "contracts-offer-form")
    page.get_by_role("button", name="Send offer").click()
    expect(page.get_by_text("Offer sent to")).to_be_visible()
    assert_accessible(page, "contracts-offer-sent")
    log_out(page)

    # The freelancer finds it under Contracts → My offers and accepts.
    log_in(page, base, freelancer.email)
    page.get_by_role("link", name="Contracts", exact=True).click()
    assert_accessible(page, "contracts-list-empty")
    page.get_by_role("link", name="My offers").click()
    assert_accessible(page, "contracts-my-offers")
    page.get_by_role("link", name="Redesign our booking pages").click()
    assert_accessible(page, "contracts-offer-freelancer")
    page.get_by_role("button", name="Accept offer").click()
    expect(page.get_by_text("You accepted the offer")).to_be_visible()
    expect(page.get_by_text("Waiting for the client to fund this milestone").first).to_be_visible()
    assert_accessible(page, "contracts-detail-waiting")
    contract_url = page.url
    log_out(page)

    # The client saves a sandbox card on the payments page, then funds the first milestone.
    log_in(page, base, client_user.email)
    page.goto(f"{base}/payments/organizations/{organization.pk}/payment-methods/")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(timezone.now().year + 3))
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("Visa •••• 4242 saved.")).to_be_visible()
    page.goto(contract_url)
    expect(page.get_by_text("Waiting for funding:")).to_be_visible()
    assert_accessible(page, "contracts-detail-client-unfunded")
    page.get_by_role("button", name="Fund $100.00 for Wireframes").click()
    expect(page.get_by_text("The milestone is funded")).to_be_visible()
    assert_accessible(page, "contracts-detail-client-funded")
    log_out(page)

    # The freelancer submits the work.
    log_in(page, base, freelancer.email)
    page.goto(contract_url)
    page.get_by_label("Message to the client").fill("Wireframes for all five pages are in the shared folder.")
    page.get_by_role("button", name="Submit work for Wireframes").click()
    expect(page.get_by_text("Work submitted")).to_be_visible()
    assert_accessible(page, "contracts-detail-submitted")
    log_out(page)

    # The client approves: the money is released.
    log_in(page, base, client_user.email)
    page.goto(contract_url)
    page.get_by_role("button", name="Approve and release $100.00 for Wireframes").click()
    expect(page.get_by_text("Approved: the payment is released")).to_be_visible()
    assert_accessible(page, "contracts-detail-approved")
    assert Milestone.objects.get(title="Wireframes").status == Milestone.Status.APPROVED
    log_out(page)

    # The freelancer sees the money pending, then available once the hold ends, and withdraws it.
    log_in(page, base, freelancer.email)
    page.get_by_role("link", name="Wallet").click()
    balances = page.get_by_role("region", name="Balances")
    expect(balances.get_by_text("$90.00")).to_be_visible()
    assert_accessible(page, "contracts-wallet-pending")
    later = timezone.now() + dt.timedelta(days=django_settings.SECURITY_HOLD_DAYS + 1)
    assert holds_release_matured(now=later) == 1
    page.reload()
    expect(
        page.locator(".card", has=page.get_by_role("heading", name="Available")).get_by_text("$90.00")
    ).to_be_visible()
    page.get_by_role("link", name="Add a payout method").click()
    page.get_by_label("Account holder").fill(freelancer.get_full_name())
    page.get_by_label("Last four digits of the account number").fill("6789")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Payout method added")).to_be_visible()
    page.get_by_role("link", name="Back to wallet").click()
    page.get_by_label("Amount (USD)").fill("90.00")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator(".messages")).to_be_visible()
    assert_accessible(page, "contracts-wallet-withdrawn")
    assert Payout.objects.get(user=freelancer).amount_cents == 9_000


@pytest.mark.django_db(transaction=True)
def test_offer_form_shows_the_chosen_terms_and_a_declined_card_is_explained_in_view(page, live_server):
    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory(headline="Web designer").user

    log_in(page, base, client_user.email)
    page.goto(f"{base}/contracts/offers/new/?freelancer={freelancer.freelancer_profile.pk}")
    expect(page.get_by_label("Hourly rate (USD)")).to_be_visible()
    expect(page.get_by_label("Fixed price (USD)")).to_be_hidden()
    page.get_by_label("Fixed price", exact=True).check()
    expect(page.get_by_label("Fixed price (USD)")).to_be_visible()
    expect(page.get_by_label("Hourly rate (USD)")).to_be_hidden()
    # Two blank rows are rendered; a third is added in the page.
    page.get_by_role("button", name="Add another milestone").click()
    expect(page.locator("legend", has_text="Milestone 3")).to_be_visible()
    assert_accessible(page, "contracts-offer-form-fixed")
    page.get_by_label("Contract title").fill("Booking pages")
    page.get_by_label("Fixed price (USD)").fill("600")
    for row, title in enumerate(["Wireframes", "Design", "Build"]):
        page.locator(f"#id_milestones-{row}-title").fill(title)
        page.locator(f"#id_milestones-{row}-amount").fill("200")
    page.get_by_role("button", name="Send offer").click()
    expect(page.get_by_text("Offer sent to")).to_be_visible()
    assert list(Offer.objects.get().milestones.values_list("title", flat=True)) == ["Wireframes", "Design", "Build"]

    # The only card declines: the reason is on screen after the click, not above the scrolled-to milestone.
    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    contract = ContractFactory(offer__organization=organization, offer__freelancer=freelancer)
    for position in range(4):
        MilestoneFactory(contract=contract, position=position, title=f"Part {position + 1}")
    page.goto(f"{base}/contracts/{contract.pk}/")
    page.get_by_role("button", name="Fund $100.00 for Part 4").click()
    expect(page.get_by_text("Nothing was charged")).to_be_in_viewport()
    assert Milestone.objects.filter(contract=contract, status=Milestone.Status.PENDING).count() == 4
    assert_accessible(page, "contracts-detail-fund-declined")
