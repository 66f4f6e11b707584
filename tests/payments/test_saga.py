"""The saga's own rules: holds (reserve, settle in one entry, void), refunds the gateway has not finished, late
successes, the per-kind ledger check, and the lookup reconcile makes when an answer was lost."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
import stripe
from django.db import transaction

from kernel.errors import DomainError
from kernel.refs import Kind
from payments.gateway.base import GatewayPending
from payments.gateway.sandbox import SandboxGateway
from payments.gateway.stripe import StripeGateway
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayOperation,
    Hold,
    HoldStatus,
    JournalEntry,
    LedgerAccount,
    OperationKind,
    OperationStatus,
)
from payments.selectors import ledger_problems, wallet_for
from payments.services import saga
from payments.services.ledger import Owner
from tests.payments import helpers as money


def escrow() -> LedgerAccount:
    return LedgerAccount.objects.get(kind=AccountKind.ESCROW)


def hold(amount, *, key="h1", reference="milestone:1", cause="dispute:1"):
    return saga.hold(
        escrow_reference="contract:1",
        amount_cents=amount,
        currency="USD",
        reference=reference,
        cause=cause,
        idempotency_key=key,
    )


def postings(entry) -> dict:
    return {p.account.kind: p.amount_cents for p in entry.postings.select_related("account")}


# --- holds and settlements ---


def test_held_money_cannot_be_released_or_held_twice(fund, release):
    fund(10_000)
    held = hold(6_000)
    assert hold(6_000).pk == held.pk  # the same key: the same hold
    assert (escrow().balance_cents, escrow().held_cents) == (10_000, 6_000)
    with pytest.raises(DomainError) as exc:
        release(5_000)
    assert exc.value.code == "insufficient_escrow"
    with pytest.raises(DomainError):
        hold(5_000, key="h2")
    release(4_000)
    assert ledger_problems() == []


def test_a_settlement_splits_the_hold_in_one_entry(fund, freelancer):
    fund(10_000)
    held = hold(10_000)
    with transaction.atomic():
        refund = saga.settle(
            hold_id=held.pk,
            payee=Owner.of_user(freelancer),
            payee_cents=6_000,
            payer_cents=4_000,
            idempotency_key="dispute:1:settle",
        )
    assert saga.execute(refund).status == OperationStatus.SUCCEEDED
    entry = JournalEntry.objects.get(kind=EntryKind.ESCROW_SETTLEMENT)
    assert postings(entry) == {
        AccountKind.ESCROW: -10_000,
        AccountKind.FREELANCER_PENDING: 5_400,
        AccountKind.FREELANCER_FEE_REVENUE: 600,
        AccountKind.GATEWAY_CLEARING: 4_200,  # 4,000 and the 5% client fee charged on it
        AccountKind.CLIENT_FEE_REVENUE: -200,
    }
    assert JournalEntry.objects.exclude(kind=EntryKind.ESCROW_FUND).count() == 1
    held.refresh_from_db()
    assert (held.status, held.entry_id) == (HoldStatus.POSTED, entry.pk)
    assert wallet_for(freelancer).pending_cents == 5_400 and len(wallet_for(freelancer).lots) == 1
    assert (escrow().balance_cents, escrow().held_cents) == (0, 0)
    assert ledger_problems() == []


def test_a_settlement_all_to_the_payee_posts_at_once(fund, freelancer):
    fund(10_000)
    held = hold(10_000)
    payee = Owner.of_user(freelancer)
    with transaction.atomic():
        assert saga.settle(hold_id=held.pk, payee=payee, payee_cents=10_000, payer_cents=0, idempotency_key="s") is None
    assert wallet_for(freelancer).pending_cents == 9_000
    with pytest.raises(DomainError) as exc, transaction.atomic():
        saga.settle(hold_id=held.pk, payee=payee, payee_cents=10_000, payer_cents=0, idempotency_key="s2")
    assert exc.value.code == "hold_settled"
    assert ledger_problems() == []


def test_a_settlement_must_add_up_to_the_hold(fund, freelancer):
    fund(10_000)
    held = hold(10_000)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        saga.settle(
            hold_id=held.pk, payee=Owner.of_user(freelancer), payee_cents=6_000, payer_cents=5_000, idempotency_key="s"
        )
    assert exc.value.code == "settlement_invalid"


def test_a_refused_settlement_refund_keeps_the_dispute_hold_frozen(fund, freelancer, monkeypatch):
    from payments.gateway.base import GatewayError

    fund(10_000)
    held = hold(10_000)
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayError("x", "No.")))
    with transaction.atomic():
        refund = saga.settle(
            hold_id=held.pk,
            payee=Owner.of_user(freelancer),
            payee_cents=0 + 5_000,
            payer_cents=5_000,
            idempotency_key="s",
        )
    with pytest.raises(DomainError):
        saga.execute(refund)
    held.refresh_from_db()
    # Nothing posted, nothing released: the money stays held for the dispute's next settlement.
    assert (held.status, held.payer_cents, held.entry_id) == (HoldStatus.PENDING, 0, None)
    assert (escrow().balance_cents, escrow().held_cents) == (10_000, 10_000)
    assert wallet_for(freelancer).pending_cents == 0
    assert ledger_problems() == []


def test_a_void_frees_the_money(fund, release):
    fund(10_000)
    held = hold(10_000)
    saga.hold_void(hold_id=held.pk)
    assert escrow().held_cents == 0
    release(10_000)
    assert ledger_problems() == []


# --- refunds the gateway accepts but has not finished ---


def test_a_pending_refund_stays_in_progress_until_the_gateway_confirms(fund, client, settings, monkeypatch):
    fund(10_000)
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayPending("re_1")))
    op = money.refund(escrow_reference="contract:1", amount_cents=10_000, idempotency_key="r", reference="milestone:1")
    assert (op.status, op.gateway_id) == (OperationStatus.PENDING, "re_1")
    assert not JournalEntry.objects.filter(kind=EntryKind.ESCROW_REFUND).exists()
    assert escrow().held_cents == 10_000
    with pytest.raises(DomainError) as exc:
        money.refund(escrow_reference="contract:1", amount_cents=10_000, idempotency_key="r", reference="milestone:1")
    assert exc.value.code == "operation_in_progress"

    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    event = {"id": "evt_r", "type": "refund.updated", "data": {"object": {"id": "re_1", "status": "succeeded"}}}
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, "whsec_x")
    response = client.post(
        "/payments/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200
    op.refresh_from_db()
    assert op.status == OperationStatus.SUCCEEDED
    assert (escrow().balance_cents, escrow().held_cents) == (0, 0)
    assert ledger_problems() == []


def test_a_stripe_refund_in_status_pending_is_not_a_success(fund, settings, monkeypatch):
    fund(10_000)
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.PAYMENT_GATEWAY = "stripe"
    refund = {"id": "re_2", "object": "refund", "status": "pending", "amount": 10_500, "metadata": {}}
    http = PagedHTTPClient({"v1/refunds": [refund]})
    original = StripeGateway.__init__
    monkeypatch.setattr(StripeGateway, "__init__", lambda self, http_client=None: original(self, http_client=http))
    op = money.refund(escrow_reference="contract:1", amount_cents=10_000, idempotency_key="r", reference="milestone:1")
    assert (op.status, op.gateway_id) == (OperationStatus.PENDING, "re_2")
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000
    # Its later failure (refund.failed) frees the money again.
    saga.operation_failed(operation_id=op.pk, code="refund_failed", detail="The card was closed.")
    assert escrow().held_cents == 0 and Hold.objects.get().status == HoldStatus.VOIDED
    assert ledger_problems() == []


# --- late successes ---


def test_a_late_success_reopens_a_failed_charge(organization, card):
    with transaction.atomic():
        op = saga.begin_charge(
            payer=organization,
            escrow_reference="contract:1",
            amount_cents=10_000,
            currency="USD",
            reference="milestone:1",
            idempotency_key="k",
        )
    saga.operation_failed(operation_id=op.pk, code="payment_failed", detail="The gateway has no record of it.")
    with pytest.raises(DomainError):
        saga.execute(GatewayOperation.objects.get(pk=op.pk))
    saga.operation_succeeded(operation_id=op.pk, gateway_id="pi_late")
    op.refresh_from_db()
    assert (op.status, op.gateway_id, op.error_code) == (OperationStatus.SUCCEEDED, "pi_late", "")
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000
    assert ledger_problems() == []


# --- the business side, through what callers register ---


def test_the_ledger_check_compares_each_reference_with_what_its_owner_says(fund, monkeypatch):
    fund(10_000, reference="bonus:1")
    expected = {"bonus:1": 10_000}
    saga.register(Kind.BONUS, on_settled=lambda settled: None, expected_escrow=lambda: expected.items())
    assert ledger_problems() == []
    expected["bonus:1"] = 0  # the business side says it was paid out, the money says it is still in escrow
    assert ledger_problems() == ["escrow_mismatch: bonus:1 should hold 0 in escrow, holds 10000"]


def test_a_settled_charge_runs_the_registered_callback_once_told_the_outcome_before_the_row_moves(organization, card):
    seen = []
    saga.register(
        Kind.BONUS, on_settled=lambda settled: seen.append((settled.op.kind, settled.op.status, settled.status))
    )
    money.fund(
        organization=organization,
        escrow_reference="contract:1",
        amount_cents=100,
        idempotency_key="b",
        reference="bonus:7",
    )
    saga.operation_succeeded(operation_id=GatewayOperation.objects.get().pk, gateway_id="again")
    assert seen == [(OperationKind.CHARGE, OperationStatus.PENDING, OperationStatus.SUCCEEDED)]


# --- reconcile's lookup when the answer was lost (Stripe) ---


class PagedHTTPClient(stripe.HTTPClient):
    """Answers Stripe API paths with canned objects; lists are paged 100 at a time like Stripe's."""

    name = "paged"

    def __init__(self, objects: dict[str, list], errors: dict[str, int] | None = None):
        super().__init__()
        self.objects, self.errors, self.requests = objects, errors or {}, []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parsed = urlparse(url)
        path = parsed.path.lstrip("/")
        self.requests.append((method, path, parse_qs(parsed.query)))
        if path in self.errors:
            error = {"error": {"type": "invalid_request_error", "message": "Not here."}}
            return json.dumps(error), self.errors[path], {}
        items = self.objects[path]
        if method == "post":
            return json.dumps(items[0]), 200, {}
        after = parse_qs(parsed.query).get("starting_after", [None])[0]
        start = next((i + 1 for i, o in enumerate(items) if o["id"] == after), 0)
        page = items[start : start + 100]
        body = {"object": "list", "url": "/" + path, "data": page, "has_more": start + 100 < len(items)}
        return json.dumps(body), 200, {}

    def close(self):
        pass


def intent(n: int, key: str, status: str = "succeeded") -> dict:
    return {"id": f"pi_{n}", "object": "payment_intent", "status": status, "metadata": {"idempotency_key": key}}


def test_a_charge_beyond_the_latest_100_payment_intents_is_still_found():
    # Ours is the oldest of 150: the first page (the latest 100) does not have it.
    intents = [intent(n, f"other-{n}") for n in range(149)] + [intent(999, "ours")]
    http = PagedHTTPClient({"v1/payment_intents": intents}, errors={"v1/payment_intents/search": 404})
    found = StripeGateway(http_client=http).find(kind="charge", idempotency_key="ours")
    assert (found.status, found.gateway_id) == ("succeeded", "pi_999")
    assert [path for _, path, _ in http.requests].count("v1/payment_intents") == 2


def test_a_charge_is_looked_up_by_stripe_search_on_our_key():
    http = PagedHTTPClient({"v1/payment_intents/search": [intent(7, "ours")]})
    found = StripeGateway(http_client=http).find(kind="charge", idempotency_key="ours")
    assert (found.status, found.gateway_id) == ("succeeded", "pi_7")
    (request,) = http.requests
    assert request[2]["query"] == ["metadata['idempotency_key']:'ours'"]
