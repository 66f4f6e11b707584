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


def send_raw(client, payload: str):
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


@pytest.mark.parametrize(
    "payload",
    [
        "[1, 2]",
        '"an event"',
        "null",
        json.dumps({"object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}}),
        json.dumps({"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}}),
        json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": "nope"}),
        json.dumps({"id": "evt_2", "type": "charge.dispute.created", "data": {"object": {"id": "dp_1"}}}),
        json.dumps(
            {"id": "evt_3", "type": "charge.dispute.created", "data": {"object": {"id": "dp_1", "amount": -500}}}
        ),
        json.dumps(
            {"id": "evt_4", "type": "charge.dispute.created", "data": {"object": {"id": "dp_1", "amount": "500"}}}
        ),
        json.dumps(
            {"id": "evt_5", "type": "charge.dispute.created", "data": {"object": {"id": "dp_1", "amount": 2**70}}}
        ),
        json.dumps({"id": "evt_6", "type": "transfer.reversed", "data": {"object": {"amount_reversed": None}}}),
    ],
)
def test_signed_but_malformed_events_are_400_and_change_no_money(client, funded_charge, payload):
    response = send_raw(client, payload)
    assert response.status_code == 400
    assert "malformed" in response.content.decode()
    assert not Chargeback.objects.exists()
    assert ledger_problems() == []


def test_a_late_payment_intent_succeeded_reopens_a_charge_marked_failed(client, funded_charge, organization, card):
    from payments.services import saga

    failed = GatewayOperation.objects.create(
        kind=OperationKind.CHARGE,
        idempotency_key="marked-failed",
        request_hash="h",
        amount_cents=1_050,
        fee_cents=50,
        currency="USD",
        organization=organization,
        escrow_account=funded_charge.escrow_account,
        reference="milestone:2",
    )
    saga.operation_failed(operation_id=failed.pk, code="payment_failed", detail="The gateway has no record of it.")
    obj = {
        "id": "pi_late",
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"idempotency_key": "marked-failed", "operation": str(failed.pk)},
    }
    assert send(client, "evt_late", "payment_intent.succeeded", obj).status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.gateway_id) == ("succeeded", "pi_late")
    assert money.escrow_of_reference("milestone:2") == 1_000
    assert ledger_problems() == []


def test_metadata_naming_another_operation_is_ignored(client, funded_charge):
    obj = {
        "id": "pi_other",
        "object": "payment_intent",
        "metadata": {"idempotency_key": funded_charge.idempotency_key, "operation": "999999"},
    }
    assert send(client, "evt_x", "payment_intent.payment_failed", obj).status_code == 200
    funded_charge.refresh_from_db()
    assert funded_charge.status == "succeeded"


def test_a_partial_transfer_reversal_returns_only_what_was_reversed(
    client, organization, card, freelancer, payout_method
):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    available = wallet_for(freelancer).available_cents
    transfer_id = GatewayOperation.objects.get(pk=payout.operation_id).gateway_id
    obj = {"id": transfer_id, "object": "transfer", "amount": 2_000, "amount_reversed": 500, "metadata": {}}
    send(client, "evt_r1", "transfer.reversed", obj)
    send(client, "evt_r1", "transfer.reversed", obj)  # replayed
    payout.refresh_from_db()
    assert (payout.status, payout.reversed_cents) == (PayoutStatus.PAID, 500)
    assert wallet_for(freelancer).available_cents == available + 500
    # Reversed in full later: the rest comes back and the payout has failed.
    send(client, "evt_r2", "transfer.reversed", {**obj, "amount_reversed": 2_000})
    payout.refresh_from_db()
    assert (payout.status, payout.reversed_cents) == (PayoutStatus.FAILED, 2_000)
    assert wallet_for(freelancer).available_cents == available + 2_000
    assert ledger_problems() == []
