import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from payments.models import GatewayOperation, PaymentMethod, Payout, PayoutMethod, SandboxRecord
from tests.factories import MembershipFactory, PaymentMethodFactory, UserFactory
from tests.payments.helpers import make_available


def key_in(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def rich(organization, card, freelancer, payout_method):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="pages")
    return freelancer


def test_wallet_shows_balances_lots_and_a_withdraw_form(client, fund, freelancer, payout_method, key):
    from tests.payments import helpers as money

    fund(10_000)
    money.release(
        escrow_reference="contract:1",
        freelancer=freelancer,
        amount_cents=10_000,
        currency="USD",
        idempotency_key=key(),
        reference="milestone:1",
    )
    client.force_login(freelancer)
    html = client.get("/payments/wallet/").content.decode()
    assert "$90.00" in html and "available on" in html
    assert 'name="idempotency_key"' in html
    assert 'href="/payments/wallet/"' in html  # the header's Wallet link


def test_a_double_submitted_withdraw_form_pays_once(client, rich):
    client.force_login(rich)
    form_key = key_in(client.get("/payments/wallet/").content.decode())
    for _ in range(2):
        response = client.post("/payments/wallet/", {"amount": "20.00", "idempotency_key": form_key})
        assert response.status_code == 302
    assert Payout.objects.count() == 1
    assert SandboxRecord.objects.filter(kind="transfer").count() == 1
    html = client.get("/payments/wallet/").content.decode()
    assert "$20.00" in html


def test_withdraw_form_refusals_are_shown(client, rich):
    client.force_login(rich)
    html = client.get("/payments/wallet/").content.decode()
    response = client.post("/payments/wallet/", {"amount": "9999.00", "idempotency_key": key_in(html)}, follow=True)
    assert "more than your available balance" in response.content.decode()
    response = client.post("/payments/wallet/", {"amount": "5.00", "idempotency_key": key_in(html)})
    assert "The amount must be at least $10.00." in response.content.decode()
    response = client.post("/payments/wallet/", {"amount": "10.005", "idempotency_key": key_in(html)})
    assert "at most two decimals" in response.content.decode()
    assert not Payout.objects.exists()


def test_wallet_csv_downloads(client, rich):
    client.force_login(rich)
    response = client.get("/payments/wallet/transactions.csv")
    assert response["Content-Disposition"] == 'attachment; filename="transactions.csv"'
    assert len(response.content.decode().splitlines()) == 4  # header + release, and the hold ending (2 postings)


def test_wallet_query_count_is_constant(
    client, organization, card, freelancer, payout_method, django_assert_max_num_queries
):
    for n in range(8):
        make_available(organization=organization, freelancer=freelancer, net_cents=1_000, tag=f"q{n}")
    client.force_login(freelancer)
    with CaptureQueriesContext(connection) as few:
        client.get("/payments/wallet/")
    for n in range(8, 20):
        make_available(organization=organization, freelancer=freelancer, net_cents=1_000, tag=f"q{n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/payments/wallet/")
    assert len(many) == len(few)


def test_payout_methods_page_adds_a_verified_bank_account(client, freelancer):
    client.force_login(freelancer)
    response = client.post("/payments/payout-methods/", {"holder_name": "Ana Lima", "account_last4": "4321"})
    assert response.status_code == 302
    method = PayoutMethod.objects.get()
    assert method.verified and method.is_default and method.last4 == "4321"
    other = UserFactory()
    client.force_login(other)
    assert client.post(f"/payments/payout-methods/{method.pk}/remove/").status_code == 404
    assert client.post(f"/payments/payout-methods/{method.pk}/explode/").status_code == 404


def test_payment_methods_page_saves_a_test_card_without_its_number(client, organization, owner):
    client.force_login(owner)
    response = client.post(
        f"/payments/organizations/{organization.pk}/payment-methods/",
        {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
        follow=True,
    )
    html = response.content.decode()
    assert "Visa •••• 4242 saved" in html
    method = PaymentMethod.objects.get()
    assert method.is_default
    stored = repr(list(PaymentMethod.objects.values())) + repr(list(SandboxRecord.objects.values()))
    assert "4242424242424242" not in stored and "123" not in re.sub(r"\d{4,}", "", stored).replace("'123'", "")


def test_payment_methods_page_shows_form_errors(client, organization, owner):
    client.force_login(owner)
    response = client.post(
        f"/payments/organizations/{organization.pk}/payment-methods/",
        {"number": "4242 4242 4242 4241", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
    )
    assert "That card number is not valid." in response.content.decode()
    response = client.post(
        f"/payments/organizations/{organization.pk}/payment-methods/",
        {"number": "4242 4242 4242 4242", "exp_month": 1, "exp_year": 2001, "cvc": "123"},
    )
    assert "That card has expired." in response.content.decode()
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(("role", "status"), [(Role.FINANCE, 200), (Role.HIRING_MANAGER, 403), (Role.MEMBER, 403)])
def test_payment_methods_page_is_for_finance_roles(client, organization, role, status):
    client.force_login(MembershipFactory(organization=organization, role=role).user)
    assert client.get(f"/payments/organizations/{organization.pk}/payment-methods/").status_code == status


def test_organization_money_page_shows_escrow_charges_and_receipts(client, fund, organization, owner, freelancer):
    entry = fund(10_000)
    client.force_login(owner)
    html = client.get(f"/payments/organizations/{organization.pk}/").content.decode()
    assert "contract:1" in html and "$105.00" in html and "Payment verified" in html
    receipt = client.get(f"/payments/organizations/{organization.pk}/receipts/{entry.pk}/").content.decode()
    assert "Total charged" in receipt and "$5.00" in receipt and "Visa •••• 4242" in receipt
    csv_body = client.get(f"/payments/organizations/{organization.pk}/transactions.csv").content.decode()
    assert "escrow_fund" in csv_body
    client.force_login(freelancer)
    assert client.get(f"/payments/organizations/{organization.pk}/").status_code == 404
    assert client.get(f"/payments/organizations/{organization.pk}/receipts/{entry.pk}/").status_code == 404


def test_organization_page_query_count_is_constant(client, organization, card, owner, key):
    from tests.payments import helpers as money

    def fund_many(start, stop):
        for n in range(start, stop):
            money.fund(
                organization=organization,
                escrow_reference=f"contract:{n}",
                amount_cents=1_000,
                currency="USD",
                idempotency_key=key(),
                reference=f"milestone:{n}",
            )

    fund_many(0, 3)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/payments/organizations/{organization.pk}/")
    fund_many(3, 15)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/payments/organizations/{organization.pk}/")
    assert len(many) == len(few)


def test_payments_index_sends_a_single_organization_member_to_its_page(client, organization, owner):
    client.force_login(owner)
    response = client.get("/payments/organizations/")
    assert response.status_code == 302 and response.url == f"/payments/organizations/{organization.pk}/"
    assert 'href="/payments/organizations/"' in client.get("/payments/wallet/").content.decode()


def test_staff_dashboard_is_for_staff_and_shows_the_numbers(client, fund, freelancer, key):
    from tests.payments import helpers as money

    fund(10_000)
    money.release(
        escrow_reference="contract:1",
        freelancer=freelancer,
        amount_cents=4_000,
        currency="USD",
        idempotency_key=key(),
        reference="milestone:1",
    )
    client.force_login(freelancer)
    assert client.get("/payments/staff/").status_code == 302
    client.force_login(UserFactory(is_staff=True))
    html = client.get("/payments/staff/").content.decode()
    assert "$100.00" in html  # gross services volume
    assert "$9.00" in html  # fees: 5.00 client + 4.00 freelancer
    assert "$60.00" in html  # still in escrow
    assert "Sound" in html


def test_the_admin_shows_ledger_rows_read_only(client, fund):
    entry = fund(1_000)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/payments/journalentry/").status_code == 200
    page = client.get(f"/admin/payments/journalentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get("/admin/payments/posting/add/").status_code == 403
    assert client.post(f"/admin/payments/journalentry/{entry.pk}/delete/").status_code == 403


def test_a_declined_card_on_file_is_reported_and_nothing_posted(organization):
    from kernel.errors import DomainError
    from tests.payments import helpers as money

    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    with pytest.raises(DomainError, match="declined"):
        money.fund(
            organization=organization,
            escrow_reference="contract:1",
            amount_cents=1_000,
            currency="USD",
            idempotency_key="x",
            reference="milestone:1",
        )
    assert GatewayOperation.objects.get().error_code == "card_declined"
