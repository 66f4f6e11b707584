"""Feedback after a contract ends: once per side, within the window, blind until both spoke or the window passed."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from contracts import reputation
from contracts.models import Feedback
from contracts.services import milestones as milestone_services
from contracts.services.contracts import contract_end
from contracts.services.feedback import feedback_leave, feedback_reveal_due
from kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from messaging.models import Notification
from tests.factories import ContractFactory, FreelancerProfileFactory, JobFactory

GOOD = {"quality": 5, "communication": 4, "timeliness": 5}


@pytest.fixture
def ended(fund, submit, owner, contract, milestone):
    """The contract after its one milestone was paid, ended by the client."""
    fund(milestone)
    submit(milestone)
    milestone_services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    return contract_end(actor=owner, contract_id=contract.pk, outcome="completed", reason="All delivered.")


def leave(actor, contract, ratings=GOOD, comment="Great work, on time.", **kwargs):
    return feedback_leave(actor=actor, contract_id=contract.pk, ratings=ratings, public_comment=comment, **kwargs)


def test_each_side_rates_once_and_the_rating_is_the_mean(ended, owner, freelancer):
    feedback = leave(owner, ended, private_feedback="Would hire again.")
    assert feedback.side == Feedback.Side.CLIENT and feedback.rating == "4.7"
    assert feedback.revealed_at is None
    with pytest.raises(DomainError) as exc:
        leave(owner, ended)
    assert exc.value.code == "feedback_already_left"
    theirs = leave(freelancer, ended, ratings={"quality": 4, "communication": 4, "timeliness": 3}, comment="Clear.")
    assert theirs.side == Feedback.Side.FREELANCER and theirs.rating == "3.7"


def test_both_sides_reveal_both_and_the_other_side_is_told(ended, owner, freelancer):
    leave(owner, ended)
    assert Notification.objects.filter(user=freelancer, kind="feedback_received").exists()
    hidden = reputation.contract_feedback(contract=ended, user=freelancer)
    assert hidden == {"client": None, "freelancer": None}
    leave(freelancer, ended)
    assert not Feedback.objects.filter(contract=ended, revealed_at__isnull=True).exists()
    assert Notification.objects.filter(user=owner, kind="feedback_published").exists()
    readable = reputation.contract_feedback(contract=ended, user=freelancer)
    assert readable["client"].public_comment == "Great work, on time."


def test_refused_before_the_end_for_strangers_and_members_who_may_not_hire(members, freelancer, contract):
    with pytest.raises(DomainError) as exc:
        leave(freelancer, contract)
    assert exc.value.code == "contract_not_ended"
    contract_end(actor=freelancer, contract_id=contract.pk, outcome="cancelled", reason="Plans changed.")
    with pytest.raises(NotFound):
        leave(FreelancerProfileFactory().user, contract)
    with pytest.raises(PermissionDenied):
        leave(members[Role.FINANCE], contract)
    assert leave(members[Role.HIRING_MANAGER], contract).side == Feedback.Side.CLIENT


def test_refused_after_the_window_with_time_frozen(ended, owner):
    after = ended.ended_at + dt.timedelta(days=settings.FEEDBACK_WINDOW_DAYS, seconds=1)
    with time_machine.travel(after, tick=False), pytest.raises(DomainError) as exc:
        leave(owner, ended)
    assert exc.value.code == "feedback_window_closed"
    last_moment = ended.ended_at + dt.timedelta(days=settings.FEEDBACK_WINDOW_DAYS)
    with time_machine.travel(last_moment, tick=False):
        assert leave(owner, ended).created_at == last_moment


@pytest.mark.parametrize(
    ("ratings", "comment", "field"),
    [
        ({**GOOD, "quality": 6}, "Fine.", "quality"),
        ({**GOOD, "timeliness": 0}, "Fine.", "timeliness"),
        ({**GOOD, "communication": "5"}, "Fine.", "communication"),
        ({**GOOD, "communication": True}, "Fine.", "communication"),
        ({"quality": 5, "communication": 5}, "Fine.", "timeliness"),
        (GOOD, "   ", "public_comment"),
        (GOOD, "x" * 2001, "public_comment"),
        (GOOD, "nul\x00byte", "public_comment"),
    ],
)
def test_bad_input_is_refused_field_by_field(ended, owner, ratings, comment, field):
    with pytest.raises(InvalidInput) as exc:
        leave(owner, ended, ratings=ratings, comment=comment)
    assert field in exc.value.errors
    assert not Feedback.objects.exists()


def test_the_beat_task_reveals_after_the_window_and_only_then(ended, owner):
    leave(owner, ended)
    window = dt.timedelta(days=settings.FEEDBACK_WINDOW_DAYS)
    assert feedback_reveal_due(now=ended.ended_at + window - dt.timedelta(minutes=1)) == 0
    with time_machine.travel(ended.ended_at + window + dt.timedelta(minutes=1), tick=False):
        assert feedback_reveal_due() == 1
        assert feedback_reveal_due() == 0
    assert Feedback.objects.get(contract=ended).revealed_at is not None


def test_only_the_freelancer_chooses_to_show_earnings(ended, owner, freelancer):
    assert leave(owner, ended, show_earnings=True).show_earnings is False
    assert leave(freelancer, ended, show_earnings=True).show_earnings is True


# --- Pages and API: hidden is hidden everywhere ---


def test_the_page_and_the_api_hide_the_other_sides_feedback_until_revealed(client, ended, owner, freelancer):
    leave(owner, ended, comment="Secret until both speak.")
    client.force_login(freelancer)
    page = client.get(reverse("contracts:feedback", args=[ended.pk]))
    assert page.status_code == 200
    assert "Secret until both speak." not in page.content.decode()
    assert "Feedback left" in page.content.decode()
    api = client.get(f"/api/v1/contracts/{ended.pk}/feedback/")
    assert api.status_code == 200 and api.json() == []
    profile_page = client.get(reverse("accounts:freelancer_public", args=[freelancer.freelancer_profile.pk]))
    assert "Secret until both speak." not in profile_page.content.decode()
    history = client.get(f"/api/v1/freelancers/{freelancer.freelancer_profile.pk}/work-history/").json()
    assert history["history"][0]["comment"] is None

    client.force_login(owner)
    own = client.get(f"/api/v1/contracts/{ended.pk}/feedback/").json()
    assert [row["public_comment"] for row in own] == ["Secret until both speak."]

    client.force_login(freelancer)
    response = client.post(
        reverse("contracts:feedback", args=[ended.pk]),
        {"quality": "5", "communication": "5", "timeliness": "5", "public_comment": "A clear client."},
    )
    assert response.status_code == 302
    api = client.get(f"/api/v1/contracts/{ended.pk}/feedback/").json()
    assert {row["public_comment"] for row in api} == {"Secret until both speak.", "A clear client."}
    client.logout()
    profile_page = client.get(reverse("accounts:freelancer_public", args=[freelancer.freelancer_profile.pk]))
    assert "Secret until both speak." in profile_page.content.decode()


def test_the_api_refuses_bad_input_strangers_and_twice(client, ended, owner):
    client.force_login(owner)
    url = f"/api/v1/contracts/{ended.pk}/feedback/"
    assert (
        client.post(url, {**GOOD, "quality": 9, "public_comment": "x"}, content_type="application/json").status_code
        == 400
    )
    assert client.post(url, {**GOOD, "public_comment": "Good."}, content_type="application/json").status_code == 201
    again = client.post(url, {**GOOD, "public_comment": "Good."}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "feedback_already_left"
    client.force_login(FreelancerProfileFactory().user)
    assert client.post(url, {**GOOD, "public_comment": "Hi"}, content_type="application/json").status_code == 404
    assert client.get(url).status_code == 404


def test_work_history_shows_earnings_only_when_the_freelancer_allows(client, ended, owner, freelancer):
    leave(owner, ended)
    leave(freelancer, ended, show_earnings=True)
    history = client.get(f"/api/v1/freelancers/{freelancer.freelancer_profile.pk}/work-history/").json()
    # 100.00 released, less the freelancer's service fee.
    expected = 10_000 - 10_000 * settings.FREELANCER_FEE_PERCENT // 100
    assert history["history"][0] == {
        "contract_title": ended.title,
        "started": ended.started_at.date().isoformat(),
        "ended": ended.ended_at.date().isoformat(),
        "earned_cents": expected,
        "currency": "USD",
        "rating": "4.7",
        "comment": "Great work, on time.",
    }


def test_the_job_page_shows_the_clients_record(client, ended, owner, freelancer, organization):
    job = JobFactory(organization=organization, status="open", published_at=timezone.now())
    ended.job = job
    ended.save(update_fields=["job"])
    JobFactory(organization=organization, status="open", published_at=timezone.now())
    leave(owner, ended)
    leave(freelancer, ended, ratings={"quality": 4, "communication": 4, "timeliness": 4}, comment="Paid promptly.")
    record = reputation.client_record(organization_id=organization.pk)
    assert (record.jobs_posted, record.hires, record.hire_rate) == (2, 1, 50)
    assert record.total_spent_cents == 10_000 and record.rating == "4.0" and record.reviews == 1
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Hire rate" in page and "50%" in page and "$100.00" in page and "4.0 of 5" in page


def test_work_history_reads_a_constant_number_of_queries(django_assert_max_num_queries, freelancer):
    for _ in range(6):
        contract = ContractFactory(offer__freelancer=freelancer, status="ended", ended_at=timezone.now())
        Feedback.objects.create(
            contract=contract,
            side="client",
            quality=5,
            communication=5,
            timeliness=5,
            rating_tenths=50,
            public_comment="Good",
            revealed_at=timezone.now(),
        )
    with django_assert_max_num_queries(5):
        items = reputation.work_history(freelancer_id=freelancer.pk)
    assert len(items) == 6 and all(item.feedback for item in items)
