import pytest

from kernel.errors import DomainError
from payments.models import EntryKind, JournalEntry, Payout, PayoutStatus, SandboxRecord
from payments.selectors import ledger_problems, wallet_for
from payments.services import payouts
from tests.factories import PayoutMethodFactory
from tests.payments.helpers import make_available


@pytest.fixture
def rich_freelancer(organization, card, freelancer, payout_method):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    assert wallet_for(freelancer).available_cents >= 5_000
    return freelancer


def test_withdrawal_moves_available_out_and_counts_as_withdrawn(rich_freelancer):
    available = wallet_for(rich_freelancer).available_cents
    payout = payouts.payout_request(user=rich_freelancer, amount_cents=2_000, idempotency_key="p1")
    assert payout.status == PayoutStatus.PAID
    wallet = wallet_for(rich_freelancer)
    assert wallet.available_cents == available - 2_000
    assert wallet.withdrawn_cents == 2_000
    assert SandboxRecord.objects.get(kind="transfer").amount_cents == 2_000
    assert ledger_problems() == []


def test_withdrawal_is_idempotent_and_a_reused_key_conflicts(rich_freelancer):
    first = payouts.payout_request(user=rich_freelancer, amount_cents=2_000, idempotency_key="p1")
    assert payouts.payout_request(user=rich_freelancer, amount_cents=2_000, idempotency_key="p1").pk == first.pk
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(user=rich_freelancer, amount_cents=2_500, idempotency_key="p1")
    assert exc.value.code == "idempotency_conflict"
    assert Payout.objects.count() == 1
    assert SandboxRecord.objects.filter(kind="transfer").count() == 1


def test_withdrawing_more_than_available_is_refused(rich_freelancer):
    available = wallet_for(rich_freelancer).available_cents
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(user=rich_freelancer, amount_cents=available + 1, idempotency_key="p1")
    assert exc.value.code == "insufficient_funds"
    assert not Payout.objects.exists()


def test_withdrawing_below_the_minimum_is_refused(rich_freelancer, settings):
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(
            user=rich_freelancer, amount_cents=settings.MIN_WITHDRAWAL_CENTS - 1, idempotency_key="p1"
        )
    assert exc.value.code == "below_minimum"


def test_withdrawing_without_a_verified_payout_method_is_refused(organization, card, freelancer):
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    assert exc.value.code == "payout_method_required"
    PayoutMethodFactory(user=freelancer, verified=False)
    with pytest.raises(DomainError) as exc:
        payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    assert exc.value.code == "payout_method_required"


def test_a_payout_the_gateway_refuses_returns_to_available(organization, card, freelancer):
    PayoutMethodFactory(user=freelancer, last4="0002")
    make_available(organization=organization, freelancer=freelancer, net_cents=5_000, tag="1")
    before = wallet_for(freelancer).available_cents
    payout = payouts.payout_request(user=freelancer, amount_cents=2_000, idempotency_key="p1")
    assert payout.status == PayoutStatus.FAILED
    assert "0002" in payout.failure_reason
    wallet = wallet_for(freelancer)
    assert (wallet.available_cents, wallet.withdrawn_cents) == (before, 0)
    assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT_FAILED).count() == 1
    # Reported again (a webhook after the answer): nothing moves twice.
    payouts.payout_failed(payout_id=payout.pk, reason="again")
    assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT_FAILED).count() == 1
    assert ledger_problems() == []


def test_a_paid_payout_that_later_fails_comes_back_once(rich_freelancer):
    payout = payouts.payout_request(user=rich_freelancer, amount_cents=2_000, idempotency_key="p1")
    available = wallet_for(rich_freelancer).available_cents
    payouts.payout_failed(payout_id=payout.pk, reason="Bank account closed")
    payouts.payout_failed(payout_id=payout.pk, reason="Bank account closed")
    wallet = wallet_for(rich_freelancer)
    assert (wallet.available_cents, wallet.withdrawn_cents) == (available + 2_000, 0)


def test_payout_methods_first_is_default_and_removal_promotes_the_next(freelancer):
    first = payouts.payout_method_add_sandbox_bank(user=freelancer, holder_name="Ana", account_last4="1111")
    second = payouts.payout_method_add_sandbox_bank(user=freelancer, holder_name="Ana", account_last4="2222")
    assert first.is_default and first.verified and not second.is_default
    payouts.payout_method_set_default(user=freelancer, payout_method_id=second.pk)
    first.refresh_from_db()
    assert not first.is_default
    payouts.payout_method_remove(user=freelancer, payout_method_id=second.pk)
    first.refresh_from_db()
    assert first.is_default


def test_payout_method_input_and_ownership_are_checked(freelancer, other_user):
    with pytest.raises(DomainError) as exc:
        payouts.payout_method_add_sandbox_bank(user=freelancer, holder_name="Ana", account_last4="12a4")
    assert exc.value.code == "invalid_account"
    mine = payouts.payout_method_add_sandbox_bank(user=freelancer, holder_name="Ana", account_last4="1234")
    with pytest.raises(DomainError) as exc:
        payouts.payout_method_remove(user=other_user, payout_method_id=mine.pk)
    assert exc.value.status == 404
