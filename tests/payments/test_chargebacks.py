"""Chargebacks: a card dispute the gateway reports is the platform's own loss (an entry against clearing), shown on
the staff dashboard until the card network decides, and never taken back from a freelancer already paid."""

import pytest

from payments import fees
from payments.models import (
    AccountKind,
    Chargeback,
    ChargebackStatus,
    EntryKind,
    GatewayOperation,
    JournalEntry,
    OperationKind,
)
from payments.selectors import ledger_problems, wallet_for
from tests.factories import UserFactory
from tests.payments import helpers as money
from tests.payments.test_webhooks import dispute, send

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def charge(fund):
    fund(10_000)
    return GatewayOperation.objects.get(kind=OperationKind.CHARGE)


def balances(user) -> tuple[int, int]:
    wallet = wallet_for(user)
    return wallet.pending_cents, wallet.available_cents


def test_a_chargeback_after_the_freelancer_was_paid_leaves_the_freelancer_untouched(
    client, charge, release, freelancer
):
    release(10_000)
    paid = balances(freelancer)
    assert paid == (10_000 - fees.freelancer_fee(10_000), 0)
    assert send(client, "evt_1", "charge.dispute.created", dispute(charge)).status_code == 200
    entry = JournalEntry.objects.get(kind=EntryKind.CHARGEBACK)
    kinds = {posting.account.kind for posting in entry.postings.select_related("account")}
    assert kinds == {AccountKind.GATEWAY_CLEARING, AccountKind.CHARGEBACKS}
    assert balances(freelancer) == paid
    send(client, "evt_2", "charge.dispute.closed", {**dispute(charge), "status": "lost"})
    assert balances(freelancer) == paid
    assert ledger_problems() == []


def test_a_won_chargeback_posts_one_entry_back_and_a_lost_one_keeps_the_loss(client, charge, organization):
    send(client, "evt_1", "charge.dispute.created", dispute(charge, dispute_id="dp_won"))
    send(client, "evt_2", "charge.dispute.created", dispute(charge, dispute_id="dp_lost", amount=2_000))
    assert money.platform_balance(AccountKind.CHARGEBACKS) == -12_500
    for event in ("evt_3", "evt_4"):  # the close replayed under a new event id
        send(client, event, "charge.dispute.closed", {**dispute(charge, dispute_id="dp_won"), "status": "won"})
    send(client, "evt_5", "charge.dispute.closed", {**dispute(charge, dispute_id="dp_lost"), "status": "lost"})
    won, lost = (
        Chargeback.objects.get(gateway_dispute_id="dp_won"),
        Chargeback.objects.get(gateway_dispute_id="dp_lost"),
    )
    assert (won.status, lost.status) == (ChargebackStatus.WON, ChargebackStatus.LOST)
    assert won.resolved_at and lost.resolved_at
    postings = {p.account.kind: p.amount_cents for p in won.resolution_entry.postings.select_related("account")}
    assert postings == {AccountKind.GATEWAY_CLEARING: -10_500, AccountKind.CHARGEBACKS: 10_500}
    assert JournalEntry.objects.filter(kind=EntryKind.CHARGEBACK_WON).count() == 1
    assert lost.resolution_entry is None  # the loss was booked when it opened; nothing comes back
    assert money.platform_balance(AccountKind.CHARGEBACKS) == -2_000
    assert ledger_problems() == []


def test_the_staff_dashboard_lists_open_chargebacks_until_they_are_resolved(client, charge):
    send(client, "evt_1", "charge.dispute.created", dispute(charge, dispute_id="dp_open"))
    send(client, "evt_2", "charge.dispute.created", dispute(charge, dispute_id="dp_closed", amount=700))
    send(client, "evt_3", "charge.dispute.closed", {**dispute(charge, dispute_id="dp_closed"), "status": "won"})
    client.force_login(UserFactory(is_staff=True))
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "dp_open" in html and "$105.00" in html
    assert "dp_closed" not in html
    client.force_login(UserFactory())
    assert client.get(DASHBOARD).status_code == 302  # not staff: the admin's login


def test_an_inquiry_books_nothing_until_its_funds_are_withdrawn(client, charge):
    inquiry = {**dispute(charge, dispute_id="dp_inq"), "status": "warning_needs_response"}
    assert send(client, "evt_1", "charge.dispute.created", inquiry).status_code == 200
    assert not Chargeback.objects.exists() and money.platform_balance(AccountKind.CHARGEBACKS) == 0
    withdrawn = {**inquiry, "status": "needs_response"}
    send(client, "evt_2", "charge.dispute.funds_withdrawn", withdrawn)
    send(client, "evt_3", "charge.dispute.funds_withdrawn", withdrawn)
    assert Chargeback.objects.get().status == ChargebackStatus.OPEN
    assert money.platform_balance(AccountKind.CHARGEBACKS) == -10_500
    assert ledger_problems() == []
