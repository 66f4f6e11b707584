"""The hourly pages: the work diary on the contract page, timesheets, invoices and statements."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from contracts.models import BillingDocument, TimeEntry, Timesheet
from contracts.services import billing, time_entries
from tests.contracts.hourly_fixtures import at, hourly_contract
from tests.factories import FreelancerProfileFactory

pytestmark = pytest.mark.django_db


def log(contract, start: str, end: str):
    return time_entries.entry_add(
        actor=contract.freelancer, contract_id=contract.pk, started_at=at(start), ended_at=at(end)
    )


@pytest.fixture
def hourly(organization, freelancer, members, card):
    return hourly_contract(organization, freelancer)


def page(client, user, url) -> str:
    client.force_login(user)
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_timer_starts_and_stops_from_the_page_and_announces_its_state(client, hourly, clock):
    clock("2026-12-02 09:00")
    url = reverse("contracts:contract_detail", args=[hourly.pk])
    html = page(client, hourly.freelancer, url)
    assert 'aria-live="polite"' in html and "Timer stopped." in html and "Start the timer" in html
    client.post(reverse("contracts:timer_start", args=[hourly.pk]), {"memo": "Checkout flow"})
    html = page(client, hourly.freelancer, url)
    assert "Timer running since" in html and "Stop the timer" in html
    state = client.get(reverse("contracts:timer_state", args=[hourly.pk])).json()
    assert state["running"] is True and state["memo"] == "Checkout flow"
    clock("2026-12-02 10:30")
    stopped = client.post(reverse("contracts:timer_stop", args=[hourly.pk]), follow=True).content.decode()
    assert "The timer is stopped." in stopped
    assert TimeEntry.objects.get().minutes == 90


def test_manual_time_is_typed_in_the_freelancers_zone(client, hourly, clock):
    profile = hourly.freelancer.freelancer_profile
    profile.timezone = "Pacific/Honolulu"
    profile.save()
    clock("2026-12-02 18:00")
    client.force_login(hourly.freelancer)
    body = {"date": "2026-11-30", "start": "22:00", "end": "23:30", "memo": "Night work"}
    done = client.post(reverse("contracts:entry_add", args=[hourly.pk]), body, follow=True).content.decode()
    assert "Added 1:30 h." in done
    entry = TimeEntry.objects.get()
    assert (entry.started_at, entry.ended_at) == (at("2026-12-01 08:00"), at("2026-12-01 09:30"))


def test_the_page_warns_before_the_limit_and_says_when_time_is_past_it(client, hourly, clock):
    clock("2026-12-04 20:00")
    time_entries.entry_add(
        actor=hourly.freelancer,
        contract_id=hourly.pk,
        started_at=at("2026-11-30 09:00"),
        ended_at=at("2026-11-30 16:00"),
    )
    html = page(client, hourly.freelancer, reverse("contracts:contract_detail", args=[hourly.pk]))
    assert "1:00 h left before this week's limit" in html
    body = {"date": "2026-12-01", "start": "09:00", "end": "11:00"}
    done = client.post(reverse("contracts:entry_add", args=[hourly.pk]), body, follow=True).content.decode()
    assert "1:00 h of it are past the weekly limit" in done


def test_the_client_reads_the_week_invoice_csv_and_pdf_and_the_freelancer_the_statement(client, hourly, members, clock):
    clock("2026-12-02 18:00")
    time_entries.entry_add(
        actor=hourly.freelancer,
        contract_id=hourly.pk,
        started_at=at("2026-11-30 09:00"),
        ended_at=at("2026-11-30 19:00"),
    )
    clock("2026-12-07 00:15")
    billing.billing_run()
    sheet = Timesheet.objects.get()
    invoice = BillingDocument.objects.get(kind="invoice")
    statement = BillingDocument.objects.get(kind="statement")
    owner = members[Role.OWNER]
    html = page(client, owner, reverse("contracts:timesheet_detail", args=[sheet.pk]))
    assert invoice.display_number in html and statement.display_number not in html and "Dispute hours" in html
    html = page(client, owner, reverse("contracts:document_detail", args=[invoice.pk]))
    assert "$320.00" in html and "$16.00" in html and "$336.00" in html
    csv_text = client.get(reverse("contracts:document_csv", args=[invoice.pk])).content.decode()
    assert "Total charged,$336.00" in csv_text and "2026-11-30,10:00,8:00" in csv_text
    pdf = client.get(reverse("contracts:document_pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("contracts:document_detail", args=[statement.pk])).status_code == 404
    html = page(client, hourly.freelancer, reverse("contracts:document_detail", args=[statement.pk]))
    assert "$288.00" in html and "You earn" in html


def test_invoice_numbers_have_no_gaps_per_issuer(organization, freelancer, members, card, clock):
    first, second = hourly_contract(organization, freelancer), hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    for contract, hour in ((first, 9), (second, 12)):
        time_entries.entry_add(
            actor=freelancer,
            contract_id=contract.pk,
            started_at=at(f"2026-12-01 {hour:02d}:00"),
            ended_at=at(f"2026-12-01 {hour + 1:02d}:00"),
        )
    clock("2026-12-07 00:15")
    billing.billing_run()
    numbers = sorted(BillingDocument.objects.filter(kind="invoice").values_list("number", flat=True))
    assert numbers == [1, 2]
    assert re.fullmatch(r"INV-U\d+-000001", BillingDocument.objects.get(kind="invoice", number=1).display_number)


def test_other_people_get_404_on_every_hourly_page(client, hourly, clock):
    clock("2026-12-02 18:00")
    entry = time_entries.entry_add(
        actor=hourly.freelancer,
        contract_id=hourly.pk,
        started_at=at("2026-12-01 09:00"),
        ended_at=at("2026-12-01 10:00"),
    ).entry
    client.force_login(FreelancerProfileFactory().user)
    for name, arg in (("timesheet_detail", entry.timesheet_id), ("entry_edit", entry.pk), ("timer_state", hourly.pk)):
        assert client.get(reverse(f"contracts:{name}", args=[arg])).status_code == 404
    assert client.post(reverse("contracts:entry_delete", args=[entry.pk])).status_code == 404
    assert client.post(reverse("contracts:timer_start", args=[hourly.pk])).status_code == 404
    assert TimeEntry.objects.count() == 1


def test_the_contract_page_costs_the_same_with_2_or_12_past_weeks(client, hourly, clock):
    from contracts.models import Timesheet as Sheet

    url = reverse("contracts:contract_detail", args=[hourly.pk])
    clock("2027-03-03 12:00")
    client.force_login(hourly.freelancer)
    log(hourly, "2027-03-01 09:00", "2027-03-01 10:00")

    def past_weeks(n):
        Sheet.objects.filter(contract=hourly).exclude(week_start="2027-03-01").delete()
        for week in range(1, n + 1):
            Sheet.objects.create(
                contract=hourly,
                week_start=dt.date(2027, 3, 1) - dt.timedelta(weeks=week),
                hourly_rate_cents=4000,
                weekly_limit_hours=8,
                currency="USD",
            )

    past_weeks(2)
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    past_weeks(12)
    with CaptureQueriesContext(connection) as twelve:
        assert client.get(url).content.decode().count("/contracts/timesheets/") == 12
    assert len(two) == len(twelve)


def test_a_contract_paused_by_a_failed_charge_sends_the_client_to_the_payment_methods(
    client, organization, freelancer, members, clock
):
    from tests.factories import PaymentMethodFactory

    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    contract = hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    log(contract, "2026-12-01 09:00", "2026-12-01 10:00")
    clock("2026-12-07 00:15")
    billing.billing_run()
    html = page(client, members[Role.OWNER], reverse("contracts:contract_detail", args=[contract.pk]))
    assert "because the weekly charge failed" in html
    assert reverse("payments:payment_methods", args=[organization.pk]) in html
    assert "Resume the contract" not in html


@pytest.mark.parametrize(
    "body",
    [
        {"date": "9999-12-31", "start": "23:00", "end": "01:00"},
        {"date": "0001-01-01", "start": "10:00", "end": "11:00"},
        {"date": "2026-12-01", "start": "25:00", "end": "11:00"},
        {"date": "", "start": "", "end": ""},
    ],
)
def test_malformed_manual_time_is_a_message_not_an_error(client, hourly, clock, body):
    clock("2026-12-02 18:00")
    client.force_login(hourly.freelancer)
    answer = client.post(reverse("contracts:entry_add", args=[hourly.pk]), body, follow=True)
    assert answer.status_code == 200 and not TimeEntry.objects.exists()
    assert 'class="message message-error"' in answer.content.decode()
