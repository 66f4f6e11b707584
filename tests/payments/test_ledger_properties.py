"""Random sequences of fund, release, refund, hold maturity, withdrawal and repeated requests keep every ledger
invariant (the ledger_check function) and match a plain model of where the money should be."""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kernel.errors import DomainError
from payments import fees
from payments.selectors import ledger_problems, wallet_for
from payments.services import payouts, saga
from payments.services.holds import holds_release_matured
from tests.factories import OrganizationFactory, PaymentMethodFactory, PayoutMethodFactory, UserFactory
from tests.payments import helpers as money

_runs = itertools.count()
REFS = 3
amounts = st.integers(min_value=1, max_value=40_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        run = next(_runs)
        self.organization = OrganizationFactory()
        PaymentMethodFactory(organization=self.organization)
        self.freelancer = UserFactory()
        PayoutMethodFactory(user=self.freelancer)
        self.escrow_reference = f"contract:run{run}"
        self.references = [f"milestone:run{run}-{i}" for i in range(REFS)]
        self.keys = itertools.count()
        self.run = run
        # The model: escrow per reference, charges (reference, escrow left to refund), the freelancer's money.
        self.escrow_by_ref = [0] * REFS
        self.charges: list[list] = []
        self.pending = self.available = self.withdrawn = 0
        self.calls: list[tuple] = []

    def key(self) -> str:
        return f"run{self.run}-{next(self.keys)}"

    def call(self, fn, kwargs):
        result = fn(**kwargs)
        self.calls.append((fn, kwargs, result.pk))
        return result

    @rule(i=st.integers(0, REFS - 1), amount=amounts)
    def fund(self, i, amount):
        self.call(
            money.fund,
            dict(
                organization=self.organization,
                escrow_reference=self.escrow_reference,
                amount_cents=amount,
                currency="USD",
                idempotency_key=self.key(),
                reference=self.references[i],
            ),
        )
        self.escrow_by_ref[i] += amount
        self.charges.append([i, amount])

    @rule(i=st.integers(0, REFS - 1), amount=amounts)
    def release(self, i, amount):
        kwargs = dict(
            escrow_reference=self.escrow_reference,
            freelancer=self.freelancer,
            amount_cents=amount,
            currency="USD",
            idempotency_key=self.key(),
            reference=self.references[i],
        )
        if self.escrow_by_ref[i] < amount:
            with pytest.raises(DomainError, match="escrow|funded"):
                money.release(**kwargs)
            return
        self.call(money.release, kwargs)
        self.escrow_by_ref[i] -= amount
        self.pending += fees.split_release(amount)[0]

    @rule(i=st.integers(0, REFS - 1), amount=amounts)
    def refund(self, i, amount):
        kwargs = dict(
            escrow_reference=self.escrow_reference,
            amount_cents=amount,
            currency="USD",
            idempotency_key=self.key(),
            reference=self.references[i],
        )
        # The service refunds from one charge: the same reference's first, newest first.
        candidates = sorted(enumerate(self.charges), key=lambda c: (c[1][0] != i, -c[0]))
        charge = next((c for _, c in candidates if c[1] >= amount), None)
        if self.escrow_by_ref[i] < amount or charge is None:
            with pytest.raises(DomainError):
                money.refund(**kwargs)
            return
        self.call(money.refund, kwargs)
        self.escrow_by_ref[i] -= amount
        charge[1] -= amount

    @rule()
    def holds_mature(self):
        later = timezone.now() + timedelta(days=django_settings.SECURITY_HOLD_DAYS, minutes=1)
        holds_release_matured(now=later)
        self.available += self.pending
        self.pending = 0

    @rule(amount=st.integers(min_value=1, max_value=60_000))
    def withdraw(self, amount):
        kwargs = dict(user=self.freelancer, amount_cents=amount, currency="USD", idempotency_key=self.key())
        if amount < django_settings.MIN_WITHDRAWAL_CENTS or amount > self.available:
            with pytest.raises(DomainError, match="smallest|available"):
                payouts.payout_request(**kwargs)
            return
        self.call(payouts.payout_request, kwargs)
        self.available -= amount
        self.withdrawn += amount

    @rule(data=st.data())
    def repeat_a_request(self, data):
        if not self.calls:
            return
        fn, kwargs, pk = data.draw(st.sampled_from(self.calls))
        assert fn(**kwargs).pk == pk

    @invariant()
    def ledger_is_sound_and_matches_the_model(self):
        assert ledger_problems() == []
        wallet = wallet_for(self.freelancer)
        assert (wallet.pending_cents, wallet.available_cents, wallet.withdrawn_cents) == (
            self.pending,
            self.available,
            self.withdrawn,
        )
        assert saga.escrow_balance(escrow_reference=self.escrow_reference) == sum(self.escrow_by_ref)
        for i, reference in enumerate(self.references):
            assert money.escrow_of_reference(reference) == self.escrow_by_ref[i]


def test_random_money_sequences_keep_every_invariant(db):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
