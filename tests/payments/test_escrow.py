from datetime import timedelta

import pytest
from django.utils import timezone

from kernel.errors import DomainError
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayOperation,
    Hold,
    HoldLot,
    HoldStatus,
    JournalEntry,
    LedgerAccount,
    OperationStatus,
    SandboxRecord,
)
from payments.selectors import ledger_problems, wallet_for
from payments.services import saga
from payments.services.holds import holds_release_matured
from tests.factories import PaymentMethodFactory
from tests.payments import helpers as money


def balances(entry):
    return {p.account.kind: p.amount_cents for p in entry.postings.select_related("account")}


def fund_request(organization, **changes) -> dict:
    """The arguments of funding 5,000 cents into contract:1 for milestone:1 with key "k", with `changes`."""
    return {
        "organization": organization,
        "escrow_reference": "contract:1",
        "amount_cents": 5_000,
        "currency": "USD",
        "idempotency_key": "k",
        "reference": "milestone:1",
        **changes,
    }


def test_funding_charges_amount_plus_client_fee_and_posts_one_balanced_entry(fund):
    entry = fund(10_000)
    assert entry.kind == EntryKind.ESCROW_FUND
    assert entry.reference == "milestone:1"
    assert balances(entry) == {
        AccountKind.GATEWAY_CLEARING: -10_500,
        AccountKind.ESCROW: 10_000,
        AccountKind.CLIENT_FEE_REVENUE: 500,
    }
    charge = SandboxRecord.objects.get(kind="charge")
    assert charge.amount_cents == 10_500
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000
    assert money.escrow_of_reference("milestone:1") == 10_000
    assert ledger_problems() == []


def test_funding_twice_with_one_key_makes_one_entry_and_one_charge(organization, card):
    kwargs = fund_request(organization, idempotency_key="same")
    first = money.fund(**kwargs)
    second = money.fund(**kwargs)
    assert first.pk == second.pk
    assert JournalEntry.objects.count() == 1
    assert SandboxRecord.objects.filter(kind="charge").count() == 1


def test_same_key_with_another_amount_or_reference_is_a_conflict(organization, card):
    money.fund(**fund_request(organization))
    for changed in (
        {"amount_cents": 6_000, "reference": "milestone:1"},
        {"amount_cents": 5_000, "reference": "milestone:2"},
    ):
        with pytest.raises(DomainError) as exc:
            money.fund(**fund_request(organization, **changed))
        assert exc.value.code == "idempotency_conflict"
    assert JournalEntry.objects.count() == 1


def test_declined_card_posts_nothing_and_says_so(organization):
    PaymentMethodFactory(organization=organization, card_number="4000000000000341", last4="0341")
    kwargs = fund_request(organization, idempotency_key="declined")
    with pytest.raises(DomainError) as exc:
        money.fund(**kwargs)
    assert exc.value.code == "card_declined"
    # The message says what happened to the money and what to do next.
    assert "Nothing was charged to Visa •••• 0341" in exc.value.detail and "payment methods page" in exc.value.detail
    assert not JournalEntry.objects.exists()
    assert GatewayOperation.objects.get().status == OperationStatus.FAILED
    # Retrying the same request gets the same answer without charging again.
    with pytest.raises(DomainError) as again:
        money.fund(**kwargs)
    assert again.value.code == "card_declined"
    assert SandboxRecord.objects.filter(kind="charge").count() == 1


def test_funding_without_a_default_payment_method_is_refused(organization):
    with pytest.raises(DomainError) as exc:
        money.fund(**fund_request(organization))
    assert exc.value.code == "payment_method_required"
    assert not GatewayOperation.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        (0, "USD", "invalid_amount"),
        (-5, "USD", "invalid_amount"),
        (10**12, "USD", "invalid_amount"),
        (100, "XXX", "invalid_currency"),
    ],
)
def test_funding_refuses_bad_amounts(organization, card, amount, currency, code):
    with pytest.raises(DomainError) as exc:
        money.fund(**fund_request(organization, amount_cents=amount, currency=currency))
    assert exc.value.code == code
    assert exc.value.status == 400


def test_an_escrow_reference_belongs_to_the_organization_that_funded_it(fund, key):
    fund(1_000)
    other = PaymentMethodFactory().organization
    with pytest.raises(DomainError) as exc:
        money.fund(**fund_request(other, amount_cents=1_000, idempotency_key=key(), reference="milestone:9"))
    assert exc.value.code == "escrow_reference_taken"


def test_release_pays_pending_less_fee_and_records_a_hold_lot(fund, freelancer, settings, release):
    fund(10_000)
    entry = release(10_000)
    assert balances(entry) == {
        AccountKind.ESCROW: -10_000,
        AccountKind.FREELANCER_PENDING: 9_000,
        AccountKind.FREELANCER_FEE_REVENUE: 1_000,
    }
    lot = HoldLot.objects.get()
    assert lot.amount_cents == 9_000
    assert lot.available_at == entry.created_at + timedelta(days=settings.SECURITY_HOLD_DAYS)
    wallet = wallet_for(freelancer)
    assert (wallet.pending_cents, wallet.available_cents) == (9_000, 0)
    assert ledger_problems() == []


def test_release_beyond_what_the_reference_funded_is_refused(fund, release):
    fund(5_000, reference="milestone:1")
    fund(5_000, reference="milestone:2")
    with pytest.raises(DomainError) as exc:
        release(6_000)
    assert exc.value.code == "insufficient_escrow"


def test_release_beyond_the_escrow_is_refused_and_changes_nothing(fund, release):
    fund(5_000)
    release(4_000)
    with pytest.raises(DomainError) as exc:
        release(2_000)
    assert exc.value.code == "insufficient_escrow"
    assert saga.escrow_balance(escrow_reference="contract:1") == 1_000


def test_release_of_unknown_escrow_is_refused(freelancer):
    with pytest.raises(DomainError) as exc:
        money.release(
            escrow_reference="contract:404",
            freelancer=freelancer,
            amount_cents=100,
            currency="USD",
            idempotency_key="k",
            reference="milestone:404",
        )
    assert exc.value.code == "insufficient_escrow"


def test_release_is_idempotent(fund, freelancer):
    fund(5_000)
    kwargs = dict(
        escrow_reference="contract:1",
        freelancer=freelancer,
        amount_cents=5_000,
        currency="USD",
        idempotency_key="release-1",
        reference="milestone:1",
    )
    assert money.release(**kwargs).pk == money.release(**kwargs).pk
    assert HoldLot.objects.count() == 1


def test_hold_lots_mature_once_after_the_hold(fund, freelancer, settings, release):
    fund(10_000)
    release(10_000)
    assert holds_release_matured() == 0
    later = timezone.now() + timedelta(days=settings.SECURITY_HOLD_DAYS, seconds=1)
    assert holds_release_matured(now=later) == 1
    assert holds_release_matured(now=later) == 0
    wallet = wallet_for(freelancer)
    assert (wallet.pending_cents, wallet.available_cents, wallet.lots) == (0, 9_000, [])
    assert JournalEntry.objects.filter(kind=EntryKind.HOLD_MATURED).count() == 1


def test_refund_gives_back_amount_and_its_client_fee(fund, refund):
    fund(10_000)
    entry = refund(10_000).entry
    assert balances(entry) == {
        AccountKind.ESCROW: -10_000,
        AccountKind.CLIENT_FEE_REVENUE: -500,
        AccountKind.GATEWAY_CLEARING: 10_500,
    }
    record = SandboxRecord.objects.get(kind="refund")
    assert record.amount_cents == 10_500
    assert GatewayOperation.objects.get(kind="refund").status == OperationStatus.SUCCEEDED
    assert money.platform_balance(AccountKind.GATEWAY_CLEARING) == 0
    assert ledger_problems() == []


def test_refund_in_parts_never_gives_back_more_fee_than_was_charged(fund, refund):
    fund(30)  # fee 1.5 → 2 cents
    for _ in range(3):
        refund(10)
    assert money.platform_balance(AccountKind.CLIENT_FEE_REVENUE) == 0
    assert sum(r.amount_cents for r in SandboxRecord.objects.filter(kind="refund")) == 32
    with pytest.raises(DomainError) as exc:
        refund(1)
    assert exc.value.code == "insufficient_escrow"


def test_refund_after_partial_release_is_limited_to_what_is_left(fund, release, refund):
    fund(10_000)
    release(6_000)
    with pytest.raises(DomainError):
        refund(5_000)
    refund(4_000)
    assert money.escrow_of_reference("milestone:1") == 0
    assert ledger_problems() == []


def test_a_refund_the_gateway_refuses_posts_nothing_and_frees_the_money(fund, monkeypatch, refund):
    from payments.gateway.base import GatewayError
    from payments.gateway.sandbox import SandboxGateway

    fund(10_000)
    real = SandboxGateway.refund

    def refuse(self, **kwargs):
        raise GatewayError("charge_not_refundable", "The bank refused.")

    monkeypatch.setattr(SandboxGateway, "refund", refuse)
    with pytest.raises(DomainError) as exc:
        refund(10_000)
    assert exc.value.code == "charge_not_refundable"
    assert saga.escrow_balance(escrow_reference="contract:1") == 10_000
    assert not JournalEntry.objects.filter(kind=EntryKind.ESCROW_REFUND).exists()
    assert Hold.objects.get().status == HoldStatus.VOIDED
    assert LedgerAccount.objects.get(kind=AccountKind.ESCROW).held_cents == 0
    assert ledger_problems() == []
    # The money is free again: a new attempt refunds it.
    monkeypatch.setattr(SandboxGateway, "refund", real)
    assert refund(10_000).status == OperationStatus.SUCCEEDED
    assert saga.escrow_balance(escrow_reference="contract:1") == 0
    assert ledger_problems() == []


def test_the_beat_task_moves_matured_lots(fund, freelancer, settings, release):
    from payments.tasks import release_matured_holds

    settings.SECURITY_HOLD_DAYS = 0
    fund(1_000)
    release(1_000)
    assert release_matured_holds() == 1
    assert release_matured_holds() == 0
    assert wallet_for(freelancer).available_cents == 900
    assert "payments.tasks.release_matured_holds" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
