"""Random sequences of milestone operations, duplicates included, against a model of the rules.

After every step: the ledger check passes, the contract's escrow holds exactly the milestones whose money is in
it, the freelancer's pending balance is the released amounts less the fee (rounded as payments rounds), and each
operation succeeded exactly when the transition table allowed it.
"""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts.models import Role
from contracts.models import Milestone
from contracts.services import milestones as services
from kernel.errors import DomainError
from kernel.idempotency import scoped_key
from payments import fees
from payments.selectors import ledger_problems, wallet_for
from payments.services.saga import escrow_balance
from tests.factories import ContractFactory, MembershipFactory, MilestoneFactory, PaymentMethodFactory

S = Milestone.Status
WHICH = st.sampled_from([0, 1])


class MilestoneMachine(RuleBasedStateMachine):
    @initialize(first=st.integers(1, 2_000_000), second=st.integers(1, 2_000_000))
    def start(self, first, second):
        self.client = MembershipFactory(role=Role.OWNER).user
        organization = self.client.memberships.get().organization
        PaymentMethodFactory(organization=organization)
        self.contract = ContractFactory(offer__organization=organization)
        self.freelancer = self.contract.freelancer
        self.milestones = [
            MilestoneFactory(contract=self.contract, amount_cents=first, position=0),
            MilestoneFactory(contract=self.contract, amount_cents=second, position=1),
        ]
        self.model = [S.PENDING, S.PENDING]
        self.fund_keys = ["", ""]

    def _attempt(self, i: int, call, allowed_from: set, to: str, **kwargs) -> None:
        allowed = self.model[i] in allowed_from
        try:
            call(milestone_id=self.milestones[i].pk, **kwargs)
        except DomainError as exc:
            assert not allowed, f"{call.__name__} refused from {self.model[i]}: {exc.code}"
        else:
            assert allowed, f"{call.__name__} succeeded from {self.model[i]}"
            self.model[i] = to

    @rule(i=WHICH, key=st.sampled_from(["a", "b"]))
    def fund(self, i, key):
        replay = self.model[i] != S.PENDING and self.fund_keys[i] == key
        # A key that funded the other milestone is another request's key: reusing it is a conflict.
        used_elsewhere = self.fund_keys[1 - i] == key
        # Keys reach the service scoped to the user who sent them (kernel.idempotency.scoped_key).
        scoped = scoped_key(user=self.client, action="milestone_fund", key=key)
        try:
            services.milestone_fund(actor=self.client, milestone_id=self.milestones[i].pk, request_key=scoped)
        except DomainError as exc:
            allowed = (self.model[i] == S.PENDING or replay) and not used_elsewhere
            assert not allowed, f"fund refused from {self.model[i]}: {exc.code}"
            if self.model[i] == S.PENDING and used_elsewhere:
                assert exc.code == "idempotency_conflict"
        else:
            assert (self.model[i] == S.PENDING or replay) and not used_elsewhere
            if self.model[i] == S.PENDING:
                self.model[i], self.fund_keys[i] = S.FUNDED, key

    @rule(i=WHICH)
    def submit(self, i):
        self._attempt(
            i,
            services.milestone_submit,
            {S.FUNDED, S.CHANGES_REQUESTED},
            S.SUBMITTED,
            actor=self.freelancer,
            message="Work attached.",
        )

    @rule(i=WHICH)
    def approve(self, i):
        self._attempt(i, services.milestone_approve, {S.SUBMITTED}, S.APPROVED, actor=self.client)

    @rule(i=WHICH)
    def request_changes(self, i):
        self._attempt(
            i, services.milestone_request_changes, {S.SUBMITTED}, S.CHANGES_REQUESTED, actor=self.client, note="Again"
        )

    @rule(i=WHICH)
    def request_refund(self, i):
        self._attempt(
            i,
            services.milestone_request_refund,
            {S.FUNDED, S.CHANGES_REQUESTED},
            S.REFUND_REQUESTED,
            actor=self.client,
            reason="Stop",
        )

    @rule(i=WHICH)
    def agree_refund(self, i):
        self._attempt(i, services.milestone_agree_refund, {S.REFUND_REQUESTED}, S.REFUNDED, actor=self.freelancer)

    @rule(i=WHICH)
    def reject_refund(self, i):
        self._attempt(
            i, services.milestone_reject_refund, {S.REFUND_REQUESTED}, S.DISPUTED, actor=self.freelancer, reason="No"
        )

    @invariant()
    def money_is_where_the_states_say(self):
        if not hasattr(self, "contract"):
            return
        assert ledger_problems() == []
        amounts = [m.amount_cents for m in self.milestones]
        in_escrow = sum(a for a, status in zip(amounts, self.model, strict=True) if status in Milestone.IN_ESCROW)
        assert escrow_balance(escrow_reference=self.contract.escrow_reference) == in_escrow
        released = sum(fees.split_release(a)[0] for a, s in zip(amounts, self.model, strict=True) if s == S.APPROVED)
        assert wallet_for(self.freelancer).pending_cents == released
        stored = list(
            Milestone.objects.filter(contract=self.contract).order_by("position").values_list("status", flat=True)
        )
        assert stored == self.model


@pytest.mark.django_db
def test_random_operation_sequences_keep_money_and_states_consistent():
    run_state_machine_as_test(
        MilestoneMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
