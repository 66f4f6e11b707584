"""The job success score: how often a freelancer's contracts went well, 0–100, computed here and nowhere else.

Each contract of the last JOB_SUCCESS_HORIZON_DAYS gets one outcome:
- success: ended with money paid and the client's revealed rating at least JOB_SUCCESS_GOOD_RATING_TENTHS, or
  still running after JOB_SUCCESS_LONG_RUNNING_DAYS with money paid (a long relationship is a good sign);
- failure: a dispute the freelancer lost (they got less than half of the money held), ended without any money
  paid to the freelancer, or a revealed client rating at most JOB_SUCCESS_POOR_RATING_TENTHS;
- not counted: ended with money paid and no strong feedback either way, or still running.
A lost dispute decides alone, so losing one never raises the score.

Weights: what the client paid into the contract's escrow, kept within [JOB_SUCCESS_MIN_WEIGHT_CENTS,
JOB_SUCCESS_MAX_WEIGHT_CENTS], counted fully for JOB_SUCCESS_RECENT_DAYS after the contract ended and half as much
after that. The score is 100 × the weight of successes ÷ the weight of counted contracts, rounded half-up, shown
once at least JOB_SUCCESS_MIN_CONTRACTS contracts have an outcome ("New" before). The README works an example.

Integer arithmetic throughout (weights are cents, doubled for recent contracts), so the same history always gives
the same score.
"""

import dataclasses
import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import FreelancerProfile
from contracts import reputation
from contracts.models import Contract, Feedback
from jobs.search.index import talent_index_refresh


class Outcome(StrEnum):
    GOOD_FEEDBACK = "good_feedback"
    LONG_RUNNING = "long_running"
    DISPUTE_LOST = "dispute_lost"
    NO_PAYMENT = "no_payment"
    POOR_FEEDBACK = "poor_feedback"
    NOT_COUNTED = "not_counted"
    RUNNING = "running"


SUCCESS = {Outcome.GOOD_FEEDBACK, Outcome.LONG_RUNNING}
FAILURE = {Outcome.DISPUTE_LOST, Outcome.NO_PAYMENT, Outcome.POOR_FEEDBACK}

EXPLANATION = {
    Outcome.GOOD_FEEDBACK: "Completed and paid, and the client rated it well: counts for you.",
    Outcome.LONG_RUNNING: "A long-running contract with payments: counts for you.",
    Outcome.DISPUTE_LOST: "A dispute was decided against you: counts against you.",
    Outcome.NO_PAYMENT: "Ended without any payment: counts against you.",
    Outcome.POOR_FEEDBACK: "The client rated it poorly: counts against you.",
    Outcome.NOT_COUNTED: "Paid, without strong feedback either way: not counted.",
    Outcome.RUNNING: "Still running: not counted yet.",
}


@dataclasses.dataclass(frozen=True)
class ContractRecord:
    """What the score needs to know about one contract."""

    contract_id: int
    title: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    paid_in_cents: int
    earned_cents: int
    client_rating_tenths: int | None  # revealed feedback only
    dispute_lost: bool = False


@dataclasses.dataclass(frozen=True)
class Counted:
    record: ContractRecord
    outcome: Outcome
    weight: int  # 0 when it does not count

    @property
    def explanation(self) -> str:
        return EXPLANATION[self.outcome]


@dataclasses.dataclass(frozen=True)
class Score:
    value: int | None  # None: "New" (too few contracts with an outcome)
    contracts: list[Counted]
    with_outcome: int  # contracts that ended, ran long or lost a dispute

    @property
    def success_weight(self) -> int:
        return sum(c.weight for c in self.contracts if c.outcome in SUCCESS)

    @property
    def counted_weight(self) -> int:
        return sum(c.weight for c in self.contracts if c.outcome in SUCCESS | FAILURE)


def outcome_of(record: ContractRecord, *, now: dt.datetime) -> Outcome:
    if record.dispute_lost:
        return Outcome.DISPUTE_LOST
    if record.ended_at is None:
        long_running = now - record.started_at >= dt.timedelta(days=settings.JOB_SUCCESS_LONG_RUNNING_DAYS)
        return Outcome.LONG_RUNNING if long_running and record.earned_cents > 0 else Outcome.RUNNING
    if record.earned_cents <= 0:
        return Outcome.NO_PAYMENT
    rating = record.client_rating_tenths
    if rating is not None and rating >= settings.JOB_SUCCESS_GOOD_RATING_TENTHS:
        return Outcome.GOOD_FEEDBACK
    if rating is not None and rating <= settings.JOB_SUCCESS_POOR_RATING_TENTHS:
        return Outcome.POOR_FEEDBACK
    return Outcome.NOT_COUNTED


def weight_of(record: ContractRecord, outcome: Outcome, *, now: dt.datetime) -> int:
    """The contract's weight: its amount (bounded) × 2 when recent, × 1 when older, 0 beyond the horizon or when
    the outcome does not count."""
    if outcome not in SUCCESS | FAILURE:
        return 0
    age = now - (record.ended_at or now)
    if age > dt.timedelta(days=settings.JOB_SUCCESS_HORIZON_DAYS):
        return 0
    low, high = settings.JOB_SUCCESS_MIN_WEIGHT_CENTS, settings.JOB_SUCCESS_MAX_WEIGHT_CENTS
    amount = min(max(record.paid_in_cents, low), high)
    return amount * (2 if age <= dt.timedelta(days=settings.JOB_SUCCESS_RECENT_DAYS) else 1)


def score_of(records: list[ContractRecord], *, now: dt.datetime) -> Score:
    """The score of a history (a pure function: the worked examples and the property tests call it directly)."""
    horizon = dt.timedelta(days=settings.JOB_SUCCESS_HORIZON_DAYS)
    counted = []
    for record in records:
        if record.ended_at is not None and now - record.ended_at > horizon:
            continue
        outcome = outcome_of(record, now=now)
        counted.append(Counted(record=record, outcome=outcome, weight=weight_of(record, outcome, now=now)))
    with_outcome = sum(c.outcome != Outcome.RUNNING for c in counted)
    success = sum(c.weight for c in counted if c.outcome in SUCCESS)
    total = sum(c.weight for c in counted if c.outcome in SUCCESS | FAILURE)
    value = None
    if with_outcome >= settings.JOB_SUCCESS_MIN_CONTRACTS and total:
        value = (200 * success + total) // (2 * total)  # 100 × success / total, rounded half-up
    return Score(value=value, contracts=counted, with_outcome=with_outcome)


def records_for(*, freelancer_id: int) -> list[ContractRecord]:
    """Every contract of the freelancer as the score reads it: a constant number of queries."""
    contracts = list(Contract.objects.filter(freelancer_id=freelancer_id).order_by("-started_at", "-id"))
    money = reputation.contract_money(contracts)
    ratings = dict(
        Feedback.objects.filter(
            contract__in=contracts, side=Feedback.Side.CLIENT, revealed_at__isnull=False
        ).values_list("contract_id", "rating_tenths")
    )
    lost = reputation.contracts_with_lost_dispute(freelancer_id=freelancer_id)
    return [
        ContractRecord(
            contract_id=contract.pk,
            title=contract.title,
            started_at=contract.started_at,
            ended_at=contract.ended_at,
            paid_in_cents=money[contract.pk].paid_in_cents,
            earned_cents=money[contract.pk].earned_cents,
            client_rating_tenths=ratings.get(contract.pk),
            dispute_lost=contract.pk in lost,
        )
        for contract in contracts
    ]


def job_success_for(*, freelancer_id: int, now: dt.datetime | None = None) -> Score:
    """The score with its reasons, as the profile explains it."""
    return score_of(records_for(freelancer_id=freelancer_id), now=now or timezone.now())


def job_success_refresh(*, freelancer_id: int, now: dt.datetime | None = None) -> int | None:
    """Recompute and store the freelancer's score, and push it into talent search at once. Called after a
    contract ends, feedback is revealed or a dispute is resolved (after commit); safe to call any time."""
    value = job_success_for(freelancer_id=freelancer_id, now=now).value
    with transaction.atomic():
        profile = FreelancerProfile.objects.select_for_update().filter(user_id=freelancer_id).first()
        if profile is None:
            return value
        if profile.job_success_score != value:
            # The profile's one field the contracts app owns (accounts may not depend on contracts).
            profile.job_success_score = value
            profile.save(update_fields=["job_success_score"])
        talent_index_refresh(profile=profile)
    return value


def job_success_refresh_all(*, now: dt.datetime | None = None) -> int:
    """Recompute every freelancer's score (recency moves scores as time passes); returns how many changed."""
    changed = 0
    for user_id, stored in FreelancerProfile.objects.values_list("user_id", "job_success_score").iterator():
        changed += job_success_refresh(freelancer_id=user_id, now=now) != stored
    return changed
