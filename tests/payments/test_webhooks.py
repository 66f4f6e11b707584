"""The Stripe webhook endpoint: signed events are applied once; replayed or forged ones change nothing."""

import json
import time

import pytest
import stripe

from payments.models import (
    AccountKind,
    Chargeback,
    ChargebackStatus,
    EntryKind,
    GatewayOperation,
    JournalEntry,
    LedgerAccount,
    OperationKind,
    Payout,
    PayoutStatus,
    WebhookEvent,
)
from payments.selectors import ledger_problems, staff_numbers, wallet_for
from payments.services import payouts
from tests.payments import helpers as money
from tests.payments.helpers import make_available

SECRET = "whsec_test_secret"
URL = "/payments/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def send(client, event_id, event_type, obj, *, secret=SECRET, timestamp=None, tamper=False):
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}})
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    if tamper:
        payload = payload.replace('"amount": 1', '"amount": 9')
    return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


@pytest.fixture
def funded_charge(fund):
    fund(10_000)
    return GatewayOperation.objects.get(kind=OperationKind.CHARGE)


def dispute(charge, dispute_id="dp_1", amount=10_500):
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "reason": "fraudulent",
        "payment_intent": charge.gateway_id,
        "status": "needs_response",
    }


def test_a_chargeback_is_its_own_entry_against_clearing_and_shown_to_staff(client, funded_charge, freelancer):
    response = send(client, "evt_1", "charge.dispute.created", dispute(funded_charge))
    assert response.status_code == 200
    chargeback = Chargeback.objects.get()
    assert chargeback.status == ChargebackStatus.OPEN and chargeback.organization == funded_charge.organization
    postings = {p.account.kind: p.amount_cents for p in chargeback.entry.postings.select_related("account")}
    assert postings == {AccountKind.GATEWAY_CLEARING: 10_500, AccountKind.CHARGEBACKS: -10_500}
    # Nothing is taken from escrow or from any freelancer.
    assert LedgerAccount.objects.get(kind=AccountKind.ESCROW).balance_cents == 10_000
    assert staff_numbers().open_chargebacks == [chargeback]
    assert ledger_problems() == []


def test_a_replayed_event_changes_nothing(client, funded_charge):
    for _ in range(3):
        assert send(client, "evt_1", "charge.dispute.created", dispute(funded_charge)).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.CHARGEBACK).count() == 1


def test_the_same_dispute_in_a_new_event_is_still_recorded_once(client, funded_charge):
    send(client, "evt_1", "charge.dispute.created", dispute(funded_charge))
    send(client, "evt_2", "charge.dispute.created", dispute(funded_charge))
    assert Chargeback.objects.count() == 1


@pytest.mark.parametrize(
    "forgery",
    [{"secret": "whsec_wrong"}, {"timestamp": int(time.time()) - 3600}, {"tamper": True}],
    ids=["wrong-secret", "stale", "tampered-body"],
)
def test_a_forged_event_is_refused_and_changes_nothing(client, funded_charge, forgery):
    obj = dispute(funded_charge, amount=1)
    response = send(client, "evt_1", "charge.dispute.created", obj, **forgery)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not Chargeback.objects.exists()


def test_missing_signature_is_refused(client, db):
    response = client.post(URL, data="{}", content_type="application/json")
    assert response.status_code == 400


def test_a_won_chargeback_brings_the_money_back(client, funded_charge):
    send(client, "evt_1", "charge.dispute.created", dispute(funded_charge))
    send(client, "evt_2", "charge.dispute.closed", {**dispute(funded_charge), "status": "won"})
    chargeback = Chargeback.objects.get()
    assert chargeback.status == ChargebackStatus.WON
    assert money.platform_balance(AccountKind.CHARGEBACKS) == 0


def test_payment_intent_succeeded_settles_a_pending_charge(client, funded_charge, organization, card):
    pending = GatewayOperation.objects.create(
        kind=OperationKind.CHARGE,
        idempotency_key="lost",
        request_hash="h",
        amount_cents=1_050,
        fee_cents=50,
        currency="USD",
        organization=organization,
        escrow_account=funded_charge.escrow_account,
        reference="milestone:2",
    )
    obj = {"id": "pi_123", "object": "payment_intent", "status": "succeeded", "metadata": {"idempotency_key": "lost"}}
    send(client, "evt_1", "payment_intent.succeeded", obj)
    send(client, "evt_1", "payment_intent.succeeded", obj)
    pending.refresh_from_db()
    assert pending.status == "succeeded" and pending.gateway_id == "pi_123"
    assert JournalEntry.objects.filter(idempotency_key="lost").count() == 1


def test_transfer_failed_returns_the_payout_to_available(client, organization, card, freelancer, payout_method):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    available = wallet_for(freelancer).available_cents
    obj = {"id": GatewayOperation.objects.get(pk=payout.operation_id).gateway_id, "object": "transfer", "metadata": {}}
    send(client, "evt_9", "transfer.failed", obj)
    send(client, "evt_10", "transfer.failed", obj)
    assert Payout.objects.get().status == PayoutStatus.FAILED
    assert wallet_for(freelancer).available_cents == available + 2_000


def test_unknown_event_types_are_stored_and_ignored(client, db):
    assert send(client, "evt_1", "customer.created", {"id": "cus_1"}).status_code == 200
    assert WebhookEvent.objects.get().processed_at is not None
