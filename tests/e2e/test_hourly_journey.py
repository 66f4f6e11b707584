"""An hourly week in the browser, the clock moved with time-machine (it moves the live server too): the freelancer
starts the timer from the keyboard, sees it survive a reload and a second tab, stops it, adds manual time past the
weekly limit and posts the weekly update; the week closes; the client reviews the timesheet and the invoice; the
freelancer reads the statement and, after the review and the security hold, sees the money available. axe-core
checks every page on the way."""

import re

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Role
from contracts.models import BillingDocument, Timesheet
from tests.contracts.hourly_fixtures import at, hourly_contract
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_contracts_journey import log_in, log_out
from tests.factories import FreelancerProfileFactory, MembershipFactory, OrganizationFactory, PaymentMethodFactory


@pytest.mark.django_db(transaction=True)
def test_an_hourly_week_from_the_timer_to_available_money(page, live_server):
    base = live_server.url
    organization = OrganizationFactory(name="Harbour Apps", timezone="America/New_York")
    client_user = MembershipFactory(organization=organization, role=Role.OWNER).user
    PaymentMethodFactory(organization=organization)
    freelancer = FreelancerProfileFactory(headline="Backend developer", timezone="Europe/Lisbon").user
    contract = hourly_contract(organization, freelancer)
    contract_url = f"{base}/contracts/{contract.pk}/"

    with time_machine.travel(at("2026-12-02 10:00"), tick=True):
        log_in(page, base, freelancer.email)
        page.goto(contract_url)
        expect(page.get_by_role("status").filter(has_text="Timer")).to_have_text("Timer stopped.")
        assert_accessible(page, "hourly-diary")
        # Keyboard only: type the memo, Tab to the button, Enter.
        page.get_by_label("What are you working on?").fill("Payment webhooks")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Start the timer")).to_be_focused()
        page.keyboard.press("Enter")
        status = page.locator("[data-timer-status]")
        expect(status).to_contain_text("Timer running since")
        expect(status).to_have_attribute("aria-live", "polite")
        page.reload()
        expect(status).to_contain_text("Payment webhooks")
        second_tab = page.context.new_page()
        second_tab.goto(contract_url)
        expect(second_tab.locator("[data-timer-status]")).to_contain_text("Timer running since")
        second_tab.close()
        assert_accessible(page, "hourly-timer-running")
        page.get_by_role("button", name="Stop the timer").click()
        expect(page.get_by_text("The timer is stopped.")).to_be_visible()

        page.get_by_text("Add time manually").click()
        page.get_by_label("Date", exact=True).fill("2026-11-30")
        page.get_by_label("From", exact=True).fill("08:00")
        page.get_by_label("To", exact=True).fill("18:00")
        page.get_by_label("What you worked on").fill("Billing service")
        page.get_by_role("button", name="Add time").click()
        expect(page.get_by_text(re.compile(r"past the weekly limit: recorded, but not billed"))).to_be_visible()
        expect(page.locator("#limit-note")).to_contain_text("past this week's limit")
        page.get_by_label("Done this week").fill("Webhooks and the billing service.")
        page.get_by_label("Next", exact=True).fill("Refunds.")
        page.get_by_role("button", name="Post update").click()
        expect(page.get_by_text("Your weekly update is posted.")).to_be_visible()
        assert_accessible(page, "hourly-diary-filled")
        log_out(page)

    with time_machine.travel(at("2026-12-07 00:15"), tick=True):
        call_command("run_billing_cycle")
        sheet = Timesheet.objects.get(contract=contract)
        assert (sheet.status, sheet.amount_cents, sheet.client_fee_cents) == ("in_review", 32_000, 1_600)
        log_in(page, base, client_user.email)
        page.goto(contract_url)
        page.get_by_role("link", name="30 Nov 2026").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Timesheet: week of 30 Nov 2026")
        expect(page.get_by_text("Webhooks and the billing service.")).to_be_visible()
        assert_accessible(page, "hourly-timesheet-client")
        invoice = BillingDocument.objects.get(kind="invoice")
        page.get_by_role("link", name=f"Invoice {invoice.display_number}").click()
        expect(page.get_by_text("$336.00")).to_be_visible()
        assert_accessible(page, "hourly-invoice")
        log_out(page)

        log_in(page, base, freelancer.email)
        page.goto(contract_url)
        page.get_by_role("link", name="30 Nov 2026").click()
        statement = BillingDocument.objects.get(kind="statement")
        page.get_by_role("link", name=f"Statement {statement.display_number}").click()
        expect(page.get_by_text("$288.00")).to_be_visible()
        assert_accessible(page, "hourly-statement")
        log_out(page)

    with time_machine.travel(at("2026-12-12 00:10"), tick=True):
        call_command("run_billing_cycle")  # the review is over: released to pending
    with time_machine.travel(at("2026-12-17 00:20"), tick=True):
        call_command("run_billing_cycle")  # the hold is over: available
        log_in(page, base, freelancer.email)
        page.goto(f"{base}/payments/wallet/")
        available = page.locator(".card", has=page.get_by_role("heading", name="Available"))
        expect(available.get_by_text("$288.00")).to_be_visible()
        assert_accessible(page, "hourly-wallet-available")
