"""Money pages in a real browser: a client saves a card and sees escrow and charges; a freelancer adds a payout
method and withdraws; staff read the money overview. axe-core checks every page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from payments.models import Payout, PayoutStatus
from payments.services.holds import holds_release_matured
from tests.e2e.conftest import assert_accessible
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.payments import helpers as money

PASSWORD = "correct-horse-battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


@pytest.fixture(autouse=True)
def _money_alone():
    # No milestone:1 exists here: the money pages are tried without contracts' side of the saga.
    with money.payments_alone():
        yield


@pytest.mark.django_db(transaction=True)
def test_card_escrow_withdrawal_and_staff_overview(page, live_server, settings):
    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory().user

    # The client saves a test card; only brand and last four are shown.
    log_in(page, base, client_user.email)
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments for Harbour Apps")
    page.get_by_role("link", name="Payment methods").click()
    assert_accessible(page, "payments-cards-empty")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2099")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("Visa •••• 4242 saved.")).to_be_visible()
    assert_accessible(page, "payments-cards")

    # Funding and release come from contracts; here the services stand in for them.
    money.fund(
        organization=organization,
        escrow_reference="contract:1",
        amount_cents=20_000,
        currency="USD",
        idempotency_key="e2e-fund",
        reference="milestone:1",
        description="Logo design: first draft",
        escrow_label="Logo design",
    )
    page.goto(f"{base}/payments/organizations/{organization.pk}/")
    expect(page.get_by_role("cell", name="Logo design", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Logo design: first draft", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="$210.00")).to_be_visible()
    assert_accessible(page, "payments-organization")
    page.get_by_role("link", name=re.compile("Receipt")).click()
    expect(page.get_by_text("Total charged")).to_be_visible()
    assert_accessible(page, "payments-receipt")
    page.get_by_role("button", name="Log out").click()

    money.release(
        escrow_reference="contract:1",
        freelancer=freelancer,
        amount_cents=20_000,
        currency="USD",
        idempotency_key="e2e-release",
        reference="milestone:1",
    )
    holds_release_matured(now=timezone.now() + timedelta(days=settings.SECURITY_HOLD_DAYS, minutes=1))

    # The freelancer adds a payout method and withdraws.
    log_in(page, base, freelancer.email)
    page.get_by_role("link", name="Wallet").click()
    expect(page.get_by_role("region", name="Balances").get_by_text("$180.00")).to_be_visible()
    assert_accessible(page, "payments-wallet-no-method")
    page.get_by_role("link", name="Add a payout method").click()
    page.get_by_label("Account holder").fill("Ana Lima")
    page.get_by_label("Last four digits of the account number").fill("6789")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Payout method added.")).to_be_visible()
    assert_accessible(page, "payments-payout-methods")
    page.get_by_role("link", name="Back to wallet").click()
    page.get_by_label("Amount (USD)").fill("50")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text(re.compile(r"Withdrawal of \$50\.00"))).to_be_visible()
    assert_accessible(page, "payments-wallet")
    assert Payout.objects.get().status == PayoutStatus.PAID
    page.get_by_role("button", name="Log out").click()

    staff = UserFactory(is_staff=True)
    log_in(page, base, staff.email)
    page.get_by_role("link", name="Money").click()
    expect(page.get_by_text("Sound")).to_be_visible()
    assert_accessible(page, "payments-staff")
