"""Disputes and feedback in the browser.

A client opens a dispute on a funded milestone, the freelancer responds, staff split the money in the Django admin,
and both see the outcome and their balances. After a contract ends both sides leave feedback, which appears on the
freelancer's profile once both have spoken. Every page on the way is checked with axe-core."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from accounts.models import Role
from contracts.models import Dispute
from contracts.services import milestones as milestone_services
from contracts.services.contracts import contract_end
from tests.e2e.conftest import assert_accessible
from tests.factories import (
    ContractFactory,
    FreelancerProfileFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    PaymentMethodFactory,
    UserFactory,
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


def _parties(title):
    organization = OrganizationFactory(name="Harbour Apps")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    freelancer = FreelancerProfileFactory(headline="Web designer").user
    PaymentMethodFactory(organization=organization)
    contract = ContractFactory(offer__organization=organization, offer__freelancer=freelancer, offer__title=title)
    return client_user, freelancer, contract


@pytest.mark.django_db(transaction=True)
def test_a_dispute_from_opening_to_a_staff_split(page, live_server):
    base = live_server.url
    client_user, freelancer, contract = _parties("Booking pages")
    milestone = MilestoneFactory(contract=contract, title="Wireframes", amount_cents=10_000)
    milestone_services.milestone_fund(actor=client_user, milestone_id=milestone.pk, request_key="e2e-fund")
    staff = UserFactory(is_staff=True, email="staff@example.test")
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["resolve_dispute", "view_dispute"]))

    # The client opens a dispute from the contract page.
    log_in(page, base, client_user.email)
    page.goto(f"{base}/contracts/{contract.pk}/")
    page.get_by_role("link", name="Open a dispute on “Wireframes”").click()
    assert_accessible(page, "disputes-open")
    page.get_by_label("What is the dispute about?").fill("The wireframes never arrived.")
    page.get_by_label("Evidence").fill("We agreed on 3 December; nothing came.")
    page.get_by_role("button", name="Open dispute").click()
    expect(page.get_by_text("Dispute opened")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wireframes")
    assert_accessible(page, "disputes-detail-client")
    log_out(page)

    # The freelancer responds with a statement.
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/disputes/")
    assert_accessible(page, "disputes-list")
    page.get_by_role("link", name=re.compile("Booking pages")).click()
    page.get_by_label("Your statement").fill("Half of them were sent by e-mail on 4 December.")
    page.get_by_role("button", name="Add to the dispute").click()
    expect(page.get_by_text("Your statement is added")).to_be_visible()
    assert_accessible(page, "disputes-detail-freelancer")
    log_out(page)

    # Staff split the held money in the admin with a written reason.
    dispute = Dispute.objects.get(milestone=milestone)
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/admin/contracts/dispute/")
    page.locator(f"input[name='_selected_action'][value='{dispute.pk}']").check()
    page.locator("select[name='action']").select_option("split_by_amounts")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("To the freelancer").fill("40.00")
    page.get_by_label("Reason").fill("Half of the wireframes were delivered late.")
    page.get_by_role("button", name="Split by amounts").click()
    expect(page.get_by_text("Split by amounts: done for 1.")).to_be_visible()
    page.context.clear_cookies()

    # Both parties see the outcome and their money.
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/disputes/{dispute.pk}/")
    outcome = page.get_by_role("region", name="Outcome")
    expect(outcome.get_by_text("Split between the parties")).to_be_visible()
    expect(outcome.get_by_text("Half of the wireframes were delivered late.")).to_be_visible()
    assert_accessible(page, "disputes-outcome-freelancer")
    page.goto(f"{base}/payments/wallet/")
    expect(page.get_by_text("$36.00").first).to_be_visible()  # $40.00 less the 10% service fee, pending
    log_out(page)
    log_in(page, base, client_user.email)
    page.goto(f"{base}/disputes/{dispute.pk}/")
    outcome = page.get_by_role("region", name="Outcome")
    expect(outcome.get_by_text("Back to the client")).to_be_visible()
    expect(outcome.get_by_text("$60.00")).to_be_visible()
    assert_accessible(page, "disputes-outcome-client")


@pytest.mark.django_db(transaction=True)
def test_both_sides_leave_feedback_and_it_shows_on_the_profile(page, live_server):
    base = live_server.url
    client_user, freelancer, contract = _parties("Logo refresh")
    contract_end(actor=client_user, contract_id=contract.pk, outcome="completed", reason="All done.")

    log_in(page, base, client_user.email)
    page.goto(f"{base}/contracts/{contract.pk}/")
    page.get_by_role("link", name="Feedback on this contract").click()
    assert_accessible(page, "feedback-form")
    for legend in ("Quality of the work", "Communication", "Meeting deadlines"):
        page.get_by_role("group", name=legend).get_by_label("5 of 5").check()
    page.get_by_label("Public comment").fill("Sharp, quick and friendly.")
    page.get_by_role("button", name="Leave feedback").click()
    expect(page.get_by_text("Thank you")).to_be_visible()
    log_out(page)

    # Hidden from the freelancer until they leave theirs.
    log_in(page, base, freelancer.email)
    page.goto(f"{base}/contracts/{contract.pk}/feedback/")
    expect(page.get_by_text("Sharp, quick and friendly.")).to_have_count(0)
    for legend in ("Clarity of the requirements", "Communication", "Paying on time"):
        page.get_by_role("group", name=legend).get_by_label("4 of 5").check()
    page.get_by_label("Public comment").fill("Clear brief.")
    page.get_by_label("Show what I earned on this contract in my work history").check()
    page.get_by_role("button", name="Leave feedback").click()
    expect(page.get_by_text("Sharp, quick and friendly.")).to_be_visible()
    assert_accessible(page, "feedback-revealed")

    page.goto(f"{base}/freelancers/{freelancer.freelancer_profile.pk}/")
    expect(page.get_by_role("heading", name="Work history")).to_be_visible()
    expect(page.get_by_text("Sharp, quick and friendly.")).to_be_visible()
    expect(page.get_by_text(re.compile("New: the score shows once 3 contracts"))).to_be_visible()
    assert_accessible(page, "feedback-profile")
