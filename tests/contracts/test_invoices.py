"""Invoices and statements are dated in the zone of whom they are for: the organization's for the invoice, the
freelancer's profile's for the statement (the billing week itself stays Monday to Sunday UTC)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from contracts.models import BillingDocument
from contracts.services import billing, invoices, time_entries
from tests.contracts.hourly_fixtures import at, hourly_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def far_apart(organization, freelancer, members, card, clock):
    """An Auckland client (UTC+13 in December) and a Honolulu freelancer (UTC−10): one entry on Tuesday
    09:30–11:30 UTC crosses midnight in both zones, and the documents are issued on Monday 7 Dec 00:15 UTC."""
    organization.timezone = "Pacific/Auckland"
    organization.save(update_fields=["timezone"])
    freelancer.freelancer_profile.timezone = "Pacific/Honolulu"
    freelancer.freelancer_profile.save(update_fields=["timezone"])
    contract = hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    time_entries.entry_add(
        actor=freelancer, contract_id=contract.pk, started_at=at("2026-12-01 09:30"), ended_at=at("2026-12-01 11:30")
    )
    clock("2026-12-07 00:15")
    billing.billing_run()
    return {kind: BillingDocument.objects.get(kind=kind) for kind in ("invoice", "statement")}


def test_the_invoice_is_dated_in_the_organizations_zone(far_apart):
    text = invoices.document_csv(far_apart["invoice"])
    # Tuesday 22:30 to Wednesday 00:30 in Auckland.
    assert "Date (Pacific/Auckland),Hours,Billable hours\r\n2026-12-01,1:30,1:30\r\n2026-12-02,0:30,0:30\r\n" in text
    assert "Issued,2026-12-07 13:15 (Pacific/Auckland)" in text
    assert "Week,2026-11-30 to 2026-12-06 (UTC)" in text


def test_the_statement_is_dated_in_the_freelancers_zone(far_apart):
    text = invoices.document_csv(far_apart["statement"])
    # Monday 23:30 to Tuesday 01:30 in Honolulu.
    assert "Date (Pacific/Honolulu),Hours,Billable hours\r\n2026-11-30,0:30,0:30\r\n2026-12-01,1:30,1:30\r\n" in text
    assert "Issued,2026-12-06 14:15 (Pacific/Honolulu)" in text


def test_a_later_zone_change_leaves_an_issued_document_as_it_was(far_apart, organization):
    before = invoices.document_csv(far_apart["invoice"])
    organization.timezone = "Europe/Lisbon"
    organization.save(update_fields=["timezone"])
    assert invoices.document_csv(BillingDocument.objects.get(kind="invoice")) == before


def test_a_document_issued_before_lines_named_their_zone_reads_as_utc(far_apart):
    statement = far_apart["statement"]
    statement.lines = [{"date": "2026-12-01", "minutes": 120, "billable_minutes": 120}]
    assert "Date (UTC),Hours,Billable hours\r\n2026-12-01,2:00,2:00\r\n" in invoices.document_csv(statement)


def test_the_document_page_is_in_the_same_zone(client, far_apart, members):
    client.force_login(members[Role.OWNER])
    html = client.get(reverse("contracts:document_detail", args=[far_apart["invoice"].pk])).content.decode()
    assert "7 Dec 2026, 13:15 (Pacific/Auckland)" in html and "Hours per day in Pacific/Auckland" in html
    assert "Wed 2 Dec" in html
