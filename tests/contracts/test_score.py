"""The job success score: the README's worked example, the rules one by one, a property over random histories,
and the score reaching talent search as soon as it changes."""

import datetime as dt

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import FreelancerProfile
from contracts.models import Feedback
from contracts.services import milestones as milestone_services
from contracts.services.contracts import contract_end
from contracts.services.score import ContractRecord, Outcome, job_success_for, score_of
from jobs.models import TalentIndex
from jobs.search.index import talent_index_refresh
from jobs.search.params import TalentSearchParams
from jobs.search.query import talent_search
from tests.factories import ContractFactory, FreelancerProfileFactory

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def record(n, *, paid=100_000, earned=None, ended_days_ago=30, started_days_ago=None, rating=None, lost=False):
    ended = None if ended_days_ago is None else NOW - ended_days_ago * DAY
    started = NOW - (started_days_ago if started_days_ago is not None else (ended_days_ago or 0) + 30) * DAY
    return ContractRecord(
        contract_id=n,
        title=f"Contract {n}",
        started_at=started,
        ended_at=ended,
        paid_in_cents=paid,
        earned_cents=paid * 9 // 10 if earned is None else earned,
        client_rating_tenths=rating,
        dispute_lost=lost,
    )


def test_the_readme_worked_example():
    history = [
        record(1, paid=50_000, ended_days_ago=60, rating=50),  # Logo: $500, rated 5.0, recent
        record(2, paid=300_000, ended_days_ago=540, rating=43),  # Website: $3,000, rated 4.3, 18 months ago
        record(3, paid=200_000, ended_days_ago=30, rating=50, lost=True),  # App: $2,000, dispute lost
        record(4, paid=5_000, earned=0, ended_days_ago=90),  # Copy: $50 paid in, all refunded
        record(5, paid=120_000, ended_days_ago=None, started_days_ago=180),  # Retainer: 6 months, $1,200
        record(6, paid=40_000, ended_days_ago=None, started_days_ago=30),  # Ongoing: one month in
    ]
    score = score_of(history, now=NOW)
    outcomes = [c.outcome for c in score.contracts]
    assert outcomes == [
        Outcome.GOOD_FEEDBACK,
        Outcome.GOOD_FEEDBACK,
        Outcome.DISPUTE_LOST,
        Outcome.NO_PAYMENT,
        Outcome.LONG_RUNNING,
        Outcome.RUNNING,
    ]
    # Weights in cents: amount within [$100, $10,000], doubled when it ended within the last year.
    assert [c.weight for c in score.contracts] == [100_000, 300_000, 400_000, 20_000, 240_000, 0]
    assert (score.success_weight, score.counted_weight) == (640_000, 1_060_000)
    assert score.value == 60  # 100 × 640,000 / 1,060,000 = 60.38
    assert score.with_outcome == 5


def test_new_until_enough_contracts_have_an_outcome():
    two = [record(1, rating=50), record(2, rating=50), record(3, ended_days_ago=None, started_days_ago=10)]
    assert score_of(two, now=NOW).value is None
    three = [*two, record(4, rating=45)]
    assert score_of(three, now=NOW).value == 100
    assert settings.JOB_SUCCESS_MIN_CONTRACTS == 3


def test_each_rule():
    assert score_of([record(1, rating=50)] * 3, now=NOW).value == 100
    assert score_of([record(1, rating=20)] * 3, now=NOW).value == 0  # poor feedback
    assert score_of([record(1, earned=0)] * 3, now=NOW).value == 0  # ended without payment
    # Paid, rated 3: not counted, so the score rests on the others.
    mixed = [record(1, rating=30), record(2, rating=50), record(3, rating=50), record(4, rating=10)]
    assert score_of(mixed, now=NOW).value == 67
    # Beyond the horizon nothing counts; between a year and the horizon half as much.
    old = record(9, rating=10, ended_days_ago=settings.JOB_SUCCESS_HORIZON_DAYS + 1)
    assert score_of([*[record(1, rating=50)] * 3, old], now=NOW).value == 100
    older = record(9, rating=10, ended_days_ago=400)
    assert score_of([record(1, rating=50), record(2, rating=50), older], now=NOW).value == 80  # 4 / (4 + 1)
    # One huge contract weighs at most JOB_SUCCESS_MAX_WEIGHT_CENTS.
    huge = record(1, paid=50_000_000, rating=10)
    small = [record(n, paid=settings.JOB_SUCCESS_MAX_WEIGHT_CENTS, rating=50) for n in (2, 3)]
    assert score_of([huge, *small], now=NOW).value == 67


records = st.builds(
    record,
    st.integers(1, 1000),
    paid=st.integers(0, 20_000_000),
    earned=st.one_of(st.none(), st.just(0), st.integers(1, 20_000_000)),
    ended_days_ago=st.one_of(st.none(), st.integers(0, 1000)),
    started_days_ago=st.one_of(st.none(), st.integers(0, 1200)),
    rating=st.one_of(st.none(), st.integers(10, 50)),
    lost=st.booleans(),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(history=st.lists(records, max_size=12), data=st.data())
def test_the_score_stays_within_0_100_and_never_rises_when_a_dispute_is_lost(history, data):
    before = score_of(history, now=NOW)
    assert before.value is None or 0 <= before.value <= 100
    if not history:
        return
    index = data.draw(st.integers(0, len(history) - 1))
    lost = [*history]
    lost[index] = ContractRecord(**{**lost[index].__dict__, "dispute_lost": True})
    after = score_of(lost, now=NOW)
    assert after.value is None or 0 <= after.value <= 100
    if before.value is not None and after.value is not None:
        assert after.value <= before.value


# --- From the ledger and feedback to the profile and talent search ---


@pytest.fixture
def paid_contract(fund, submit, owner, contract, milestone):
    fund(milestone)
    submit(milestone)
    milestone_services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    return contract


def _ended_with_rating(contract, owner, rating):
    ended = contract_end(actor=owner, contract_id=contract.pk, outcome="completed", reason="Done.")
    Feedback.objects.create(
        contract=ended,
        side="client",
        author=owner,
        quality=rating,
        communication=rating,
        timeliness=rating,
        rating_tenths=rating * 10,
        public_comment="Fine.",
        revealed_at=ended.ended_at,
    )
    return ended


def test_records_come_from_the_ledger_and_revealed_feedback(paid_contract, owner, freelancer):
    _ended_with_rating(paid_contract, owner, 5)
    score = job_success_for(freelancer_id=freelancer.pk)
    (counted,) = score.contracts
    assert counted.record.paid_in_cents == 10_000
    assert counted.record.earned_cents == 10_000 - 10_000 * settings.FREELANCER_FEE_PERCENT // 100
    assert counted.record.client_rating_tenths == 50 and counted.outcome == Outcome.GOOD_FEEDBACK
    assert score.value is None  # one contract: "New"


def test_ending_a_contract_recomputes_and_pushes_the_score_into_talent_search(
    django_capture_on_commit_callbacks, paid_contract, owner, freelancer
):
    for _ in range(2):
        done = ContractFactory(offer__freelancer=freelancer, offer__organization=paid_contract.organization)
        contract_end(actor=owner, contract_id=done.pk, outcome="cancelled", reason="No work.")
    with django_capture_on_commit_callbacks(execute=True):
        _ended_with_rating(paid_contract, owner, 5)
    # One paid and well rated ($100, the minimum weight), two ended without payment ($100 each): 1 of 3.
    profile = FreelancerProfile.objects.get(user=freelancer)
    assert profile.job_success_score == 33
    assert TalentIndex.objects.get(profile=profile).job_success_score == 33


@pytest.mark.postgres
def test_talent_relevance_weighs_the_score_and_lists_only_complete_profiles(db):
    strong = FreelancerProfileFactory(headline="Django developer", overview="Django for ten years.")
    weak = FreelancerProfileFactory(headline="Django developer", overview="Django for ten years.")
    FreelancerProfileFactory(headline="Django developer", overview="")  # incomplete: never listed
    FreelancerProfileFactory(headline="Django developer", overview="Django.", skills=[])  # no skills
    FreelancerProfile.objects.filter(pk=strong.pk).update(job_success_score=98)
    FreelancerProfile.objects.filter(pk=weak.pk).update(job_success_score=20)
    for profile in FreelancerProfile.objects.all():
        talent_index_refresh(profile=profile)
    for q in ("django", ""):
        page = talent_search(params=TalentSearchParams(timezone="UTC", q=q))
        assert [hit.profile.pk for hit in page.results] == [strong.pk, weak.pk]
