"""A crash between the gateway's answer and our ledger write is finished by the reconcile job."""

from datetime import timedelta

import pytest

from kernel.errors import DomainError
from payments.gateway.base import GatewayUnavailable
from payments.gateway.sandbox import SandboxGateway
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayOperation,
    JournalEntry,
    LedgerAccount,
    OperationStatus,
    Payout,
    PayoutStatus,
)
from payments.selectors import ledger_problems, wallet_for
from payments.services import payouts, saga
from payments.services.reconcile import reconcile_pending
from payments.tasks import reconcile_pending_operations
from tests.payments import helpers as money
from tests.payments.helpers import make_available

FUND = dict(escrow_reference="contract:1", amount_cents=10_000, currency="USD", reference="milestone:1")


def crash_after_gateway(monkeypatch, method):
    """The gateway does its work, then the process 'dies' before we hear back."""
    real = getattr(SandboxGateway, method)

    def call_then_lose_answer(self, **kwargs):
        real(self, **kwargs)
        raise GatewayUnavailable("connection reset")

    monkeypatch.setattr(SandboxGateway, method, call_then_lose_answer)


def test_a_charge_whose_answer_was_lost_is_posted_by_reconcile(organization, card, monkeypatch):
    crash_after_gateway(monkeypatch, "charge")
    with pytest.raises(DomainError) as exc:
        money.fund(organization=organization, idempotency_key="k1", **FUND)
    assert exc.value.code == "gateway_unavailable"
    assert not JournalEntry.objects.exists()
    monkeypatch.undo()
    # Too recent: left alone (the request may still be in flight).
    assert reconcile_pending(older_than=timedelta(minutes=10)) == 0
    assert reconcile_pending(older_than=timedelta(0)) == 1
    op = GatewayOperation.objects.get()
    assert op.status == OperationStatus.SUCCEEDED and op.gateway_id.startswith("sb_ch_")
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000
    # The caller retrying with its key now gets the entry, and nothing is charged twice.
    assert money.fund(organization=organization, idempotency_key="k1", **FUND).pk == op.entry_id
    assert ledger_problems() == []


def test_a_pending_charge_answers_retries_with_in_progress(organization, card, monkeypatch):
    monkeypatch.setattr(SandboxGateway, "charge", lambda self, **kw: (_ for _ in ()).throw(GatewayUnavailable("x")))
    with pytest.raises(DomainError):
        money.fund(organization=organization, idempotency_key="k1", **FUND)
    with pytest.raises(DomainError) as exc:
        money.fund(organization=organization, idempotency_key="k1", **FUND)
    assert exc.value.code == "operation_in_progress"


def test_a_charge_the_gateway_never_received_is_failed(organization, card, monkeypatch):
    monkeypatch.setattr(SandboxGateway, "charge", lambda self, **kw: (_ for _ in ()).throw(GatewayUnavailable("x")))
    with pytest.raises(DomainError):
        money.fund(organization=organization, idempotency_key="k1", **FUND)
    monkeypatch.undo()
    assert reconcile_pending(older_than=timedelta(0)) == 1
    assert GatewayOperation.objects.get().status == OperationStatus.FAILED
    assert not JournalEntry.objects.exists()


def test_a_lost_refund_answer_is_settled_and_a_missing_one_frees_the_money(fund, monkeypatch):
    fund(10_000)
    fund(5_000, reference="milestone:2")
    crash_after_gateway(monkeypatch, "refund")
    refund = dict(escrow_reference="contract:1", currency="USD")
    with pytest.raises(DomainError):
        money.refund(amount_cents=4_000, idempotency_key="r1", reference="milestone:1", **refund)
    # While that refund is at the gateway, another for the same milestone waits its turn.
    with pytest.raises(DomainError) as exc:
        money.refund(amount_cents=1_000, idempotency_key="r1b", reference="milestone:1", **refund)
    assert exc.value.code == "operation_in_progress"
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayUnavailable("x")))
    with pytest.raises(DomainError):
        money.refund(amount_cents=1_000, idempotency_key="r2", reference="milestone:2", **refund)
    monkeypatch.undo()
    # Both held meanwhile: still in escrow, not to be released or refunded again.
    escrow = LedgerAccount.objects.get(kind=AccountKind.ESCROW)
    assert (escrow.balance_cents, escrow.held_cents) == (15_000, 5_000)
    assert reconcile_pending_operations() == 0  # the task waits settings.RECONCILE_AFTER_MINUTES
    assert reconcile_pending(older_than=timedelta(0)) == 2
    ops = {op.idempotency_key: op.status for op in GatewayOperation.objects.filter(kind="refund")}
    assert ops == {"r1": OperationStatus.SUCCEEDED, "r2": OperationStatus.FAILED}
    escrow.refresh_from_db()
    assert (escrow.balance_cents, escrow.held_cents) == (11_000, 0)
    assert ledger_problems() == []


def test_a_lost_payout_answer_is_settled_by_reconcile(organization, card, freelancer, payout_method, monkeypatch):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    crash_after_gateway(monkeypatch, "transfer")
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    assert payout.status == PayoutStatus.PENDING
    monkeypatch.undo()
    assert reconcile_pending(older_than=timedelta(0)) == 1
    assert Payout.objects.get().status == PayoutStatus.PAID
    assert wallet_for(freelancer).withdrawn_cents == 2_000
    assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT_FAILED).count() == 0
