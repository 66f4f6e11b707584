"""StripeGateway with the real SDK: against localstripe (customers, cards, PaymentIntents, a decline, refunds,
lookups for reconcile) and, for Connect (which localstripe lacks), against a recording HTTP client."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import stripe

from kernel.errors import DomainError
from payments.gateway.stripe import StripeGateway
from payments.models import GatewayOperation, JournalEntry, OperationStatus, Payout, PayoutStatus
from payments.selectors import ledger_problems, wallet_for
from payments.services import payment_methods, payouts, saga
from payments.services.reconcile import reconcile_pending
from tests.factories import PayoutMethodFactory
from tests.payments import helpers as money

# The one installed beside the Python running the tests (a worktree has no .venv of its own).
LOCALSTRIPE = Path(sys.executable).parent / "localstripe"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe_url():
    port = _free_port()
    process = subprocess.Popen(
        [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1)  # noqa: S310 (local test server)
            break
        except urllib.error.HTTPError:
            break  # it answers (401 without a key): up
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    settings.PAYMENT_GATEWAY = "stripe"
    return settings


def card_token(number: str) -> str:
    """What Stripe.js would hand the page: a payment method made from the card number."""
    pm = StripeGateway().client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"}}
    )
    return pm.id


FUND = dict(escrow_reference="contract:1", amount_cents=10_000, currency="USD", reference="milestone:1")


def test_a_saved_card_is_charged_off_session_into_escrow(stripe_settings, organization, owner):
    method = payment_methods.payment_method_add(
        actor=owner, organization=organization, token=card_token("4242424242424242")
    )
    assert (method.brand, method.last4, method.is_default, method.gateway) == ("Visa", "4242", True, "stripe")
    entry = money.fund(organization=organization, idempotency_key="s1", **FUND)
    op = GatewayOperation.objects.get()
    intent = StripeGateway().client.v1.payment_intents.retrieve(op.gateway_id)
    assert (intent.status, intent.amount, intent.customer) == ("succeeded", 10_500, op.gateway_customer)
    # localstripe ignores idempotency keys: our own record makes the repeat a no-op.
    assert money.fund(organization=organization, idempotency_key="s1", **FUND).pk == entry.pk
    intents = StripeGateway().client.v1.payment_intents.list(params={"limit": 100}).data
    assert sum(1 for i in intents if i.to_dict()["metadata"].get("idempotency_key") == "s1") == 1
    assert ledger_problems() == []


def test_the_decline_card_saves_then_fails_at_charge_time_posting_nothing(stripe_settings, organization, owner):
    method = payment_methods.payment_method_add(
        actor=owner, organization=organization, token=card_token("4000000000000341")
    )
    assert method.last4 == "0341"
    with pytest.raises(DomainError) as exc:
        money.fund(organization=organization, idempotency_key="s2", **FUND)
    assert exc.value.code == "card_declined"
    assert not JournalEntry.objects.exists()
    assert GatewayOperation.objects.get().status == OperationStatus.FAILED


def test_a_refund_goes_back_to_the_card_with_its_fee(stripe_settings, organization, owner):
    payment_methods.payment_method_add(actor=owner, organization=organization, token=card_token("4242424242424242"))
    money.fund(organization=organization, idempotency_key="s3", **FUND)
    money.refund(
        escrow_reference="contract:1",
        amount_cents=4_000,
        currency="USD",
        idempotency_key="s3-refund",
        reference="milestone:1",
    )
    op = GatewayOperation.objects.get(kind="refund")
    refund = StripeGateway().client.v1.refunds.retrieve(op.gateway_id)
    assert (refund.status, refund.amount) == ("succeeded", 4_200)
    assert saga.escrow_balance(escrow_reference="contract:1") == 6_000


def test_reconcile_finds_a_charge_by_key_when_the_answer_was_lost(stripe_settings, organization, owner, monkeypatch):
    payment_methods.payment_method_add(actor=owner, organization=organization, token=card_token("4242424242424242"))
    real = StripeGateway.charge

    def lose_answer(self, **kwargs):
        real(self, **kwargs)
        from payments.gateway.base import GatewayUnavailable

        raise GatewayUnavailable("timeout")

    monkeypatch.setattr(StripeGateway, "charge", lose_answer)
    with pytest.raises(DomainError):
        money.fund(organization=organization, idempotency_key="s4", **FUND)
    monkeypatch.undo()
    assert reconcile_pending(older_than=timedelta(0)) == 1
    op = GatewayOperation.objects.get()
    assert op.status == OperationStatus.SUCCEEDED and op.gateway_id.startswith("pi_")
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000


def test_removing_a_card_detaches_it_after_commit(
    stripe_settings, organization, owner, django_capture_on_commit_callbacks
):
    method = payment_methods.payment_method_add(
        actor=owner, organization=organization, token=card_token("4242424242424242")
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_methods.payment_method_remove(actor=owner, organization=organization, payment_method_id=method.pk)
    pm = StripeGateway().client.v1.payment_methods.retrieve(method.token)
    assert pm.customer is None


class RecordingHTTPClient(stripe.HTTPClient):
    """Stands in for Stripe's Connect endpoints, which localstripe lacks: records each request and answers with
    a canned response."""

    name = "recording"

    def __init__(self, responses):
        super().__init__()
        self.responses = responses
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = {k: v[0] for k, v in parse_qs(post_data or "").items()}
        self.requests.append({"method": method, "url": url, "headers": dict(headers), "params": params})
        path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        status, body = self.responses[path]
        return json.dumps(body), status, {}

    def close(self):
        pass


def use_http_client(monkeypatch, http):
    """Every StripeGateway the services build talks to `http` instead of the network."""
    original = StripeGateway.__init__
    monkeypatch.setattr(StripeGateway, "__init__", lambda self, http_client=None: original(self, http_client=http))


TRANSFER = {"id": "tr_123", "object": "transfer", "amount": 2_000, "currency": "usd", "reversed": False, "metadata": {}}


def test_a_transfer_is_sent_with_our_idempotency_key():
    http = RecordingHTTPClient({"v1/transfers": (200, TRANSFER)})
    gateway = StripeGateway(http_client=http)
    assert (
        gateway.transfer(
            destination="acct_1",
            amount_cents=2_000,
            currency="USD",
            idempotency_key="payout:u1:k",
            metadata={"payout": "7"},
        )
        == "tr_123"
    )
    (request,) = http.requests
    assert request["method"] == "post" and request["url"].endswith("/v1/transfers")
    assert request["headers"]["Idempotency-Key"] == "payout:u1:k"
    assert request["params"]["destination"] == "acct_1"
    assert request["params"]["amount"] == "2000" and request["params"]["currency"] == "usd"
    assert request["params"]["transfer_group"] == "payout:u1:k"


def test_a_payout_through_stripe_connect_end_to_end(settings, organization, card, freelancer, monkeypatch):
    from tests.payments.helpers import make_available

    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="connect")
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.PAYMENT_GATEWAY = "stripe"
    http = RecordingHTTPClient(
        {
            "v1/accounts/acct_ok": (200, {"id": "acct_ok", "object": "account", "payouts_enabled": True}),
            "v1/accounts/acct_new": (200, {"id": "acct_new", "object": "account", "payouts_enabled": False}),
            "v1/transfers": (200, TRANSFER),
        }
    )
    use_http_client(monkeypatch, http)
    not_ready = payouts.payout_method_add_stripe_account(user=freelancer, account_id="acct_new")
    assert not not_ready.verified
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="c1")
    assert exc.value.code == "payout_method_required"
    ready = payouts.payout_method_add_stripe_account(user=freelancer, account_id="acct_ok")
    payouts.payout_method_set_default(user=freelancer, payout_method_id=ready.pk)
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="c1")
    assert payout.status == PayoutStatus.PAID
    assert wallet_for(freelancer).withdrawn_cents == 2_000


def test_a_transfer_stripe_refuses_returns_the_money(settings, organization, card, freelancer, monkeypatch):
    from tests.payments.helpers import make_available

    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="connect2")
    available = wallet_for(freelancer).available_cents
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.PAYMENT_GATEWAY = "stripe"
    PayoutMethodFactory(user=freelancer, kind="stripe_connect", stripe_account_id="acct_ok", last4="")
    error = {
        "error": {"type": "invalid_request_error", "code": "insufficient_capabilities_for_transfer", "message": "No."}
    }
    http = RecordingHTTPClient({"v1/transfers": (400, error)})
    use_http_client(monkeypatch, http)
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="c2")
    assert payout.status == PayoutStatus.FAILED
    assert Payout.objects.get().failure_reason == "No."
    assert wallet_for(freelancer).available_cents == available
    assert ledger_problems() == []
