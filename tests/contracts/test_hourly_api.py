"""The hourly API with the clock at chosen instants: who may call each endpoint, codes, and the money actions'
idempotency."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from contracts.models import Bonus
from contracts.services import billing
from payments.models import GatewayOperation
from tests.contracts.hourly_fixtures import hourly_contract, ledger_ok, pending
from tests.factories import FreelancerProfileFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def hourly(organization, freelancer, members, card):
    return hourly_contract(organization, freelancer)


def entries_url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/time-entries/"


def test_the_freelancer_logs_time_and_both_sides_read_it_others_get_404(hourly, members, clock):
    clock("2026-12-02 18:00")
    api = client_for(hourly.freelancer)
    body = {"started_at": "2026-12-01T09:00:00Z", "ended_at": "2026-12-01T11:00:00Z", "memo": "Schema"}
    created = api.post(entries_url(hourly), body, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["minutes"], created.json()["week_start"]) == (120, "2026-11-30")
    assert client_for(members[Role.MEMBER]).get(entries_url(hourly)).json()["count"] == 1
    stranger = client_for(FreelancerProfileFactory().user)
    assert stranger.get(entries_url(hourly)).status_code == 404
    assert stranger.post(entries_url(hourly), body, format="json").status_code == 404
    assert client_for(UserFactory(is_staff=True)).get(entries_url(hourly)).status_code == 404
    assert APIClient().get(entries_url(hourly)).status_code == 401
    assert client_for(members[Role.OWNER]).post(entries_url(hourly), body, format="json").status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"started_at": "2026-12-01T11:00:00Z", "ended_at": "2026-12-01T09:00:00Z"}, 400, "end_before_start"),
        ({"started_at": "2026-12-02T17:00:00Z", "ended_at": "2026-12-02T19:00:00Z"}, 400, "future_time"),
        ({"started_at": "2026-12-01T09:03:00Z", "ended_at": "2026-12-01T10:00:00Z"}, 400, "time_invalid"),
        ({"started_at": "yesterday", "ended_at": 5}, 400, None),
        ({"started_at": "2026-12-01T09:00:00Z", "ended_at": "2026-12-01T10:00:00Z", "memo": "x\x00"}, 400, None),
    ],
)
def test_bad_time_is_a_clear_400(hourly, clock, body, status, code):
    clock("2026-12-02 18:00")
    answer = client_for(hourly.freelancer).post(entries_url(hourly), body, format="json")
    assert answer.status_code == status
    if code:
        assert answer.json()["code"] == code


def test_overlap_is_409_and_the_timer_runs_over_the_api(hourly, clock):
    clock("2026-12-02 09:00")
    api = client_for(hourly.freelancer)
    started = api.post(entries_url(hourly) + "timer/start/", {"memo": "Fix"}, format="json")
    assert started.status_code == 201 and started.json()["ended_at"] is None
    overlapping = {"started_at": "2026-12-02T08:00:00Z", "ended_at": "2026-12-02T09:10:00Z"}
    clock("2026-12-02 10:00")
    assert api.post(entries_url(hourly), overlapping, format="json").json()["code"] == "time_overlaps"
    stopped = api.post(entries_url(hourly) + "timer/stop/", format="json")
    assert stopped.status_code == 200 and stopped.json()["minutes"] == 60
    assert api.post(entries_url(hourly) + "timer/stop/", format="json").status_code == 204


def test_entries_are_changed_and_deleted_over_the_api(hourly, clock):
    clock("2026-12-02 18:00")
    api = client_for(hourly.freelancer)
    body = {"started_at": "2026-12-01T09:00:00Z", "ended_at": "2026-12-01T10:00:00Z"}
    entry_id = api.post(entries_url(hourly), body, format="json").json()["id"]
    changed = api.put(f"{entries_url(hourly)}{entry_id}/", {**body, "ended_at": "2026-12-01T12:00:00Z"}, format="json")
    assert changed.json()["minutes"] == 180
    assert api.delete(f"{entries_url(hourly)}{entry_id}/").status_code == 204
    assert api.get(f"{entries_url(hourly)}{entry_id}/").status_code == 404


def test_timesheets_show_days_in_the_callers_zone_and_the_client_disputes_in_review(hourly, members, clock):
    clock("2026-12-02 18:00")
    api = client_for(hourly.freelancer)
    body = {"started_at": "2026-11-30T22:00:00Z", "ended_at": "2026-12-01T02:00:00Z"}
    api.post(entries_url(hourly), body, format="json")
    profile = hourly.freelancer.freelancer_profile
    profile.timezone = "Pacific/Auckland"
    profile.save()
    sheets = api.get(f"/api/v1/contracts/{hourly.pk}/timesheets/").json()["results"]
    assert sheets[0]["time_zone"] == "Pacific/Auckland"
    assert [d["date"] for d in sheets[0]["days"]] == ["2026-12-01"]
    assert (sheets[0]["amount_cents"], sheets[0]["client_fee_cents"]) == (16_000, 800)
    clock("2026-12-07 00:15")
    billing.billing_run()
    url = f"/api/v1/contracts/{hourly.pk}/timesheets/{sheets[0]['id']}/dispute/"
    assert api.post(url, {"minutes": 60, "reason": "no"}, format="json").status_code == 403
    disputed = client_for(members[Role.FINANCE]).post(url, {"minutes": 60, "reason": "Not agreed"}, format="json")
    assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    again = client_for(members[Role.FINANCE]).post(url, {"minutes": 60, "reason": "Again"}, format="json")
    assert again.status_code == 409


def test_a_bonus_is_paid_once_per_key_and_never_to_oneself(hourly, members, organization, clock):
    clock("2026-12-02 18:00")
    api = client_for(members[Role.FINANCE])
    url = f"/api/v1/contracts/{hourly.pk}/bonuses/"
    body = {"amount_cents": 10_000, "note": "Great launch"}
    assert api.post(url, body, format="json").json()["code"] == "idempotency_key_required"
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    second = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and first.json()["status"] == "paid"
    assert GatewayOperation.objects.get(kind="charge").amount_cents == 10_500
    assert pending(hourly.freelancer) == 9_000
    other = api.post(url, {**body, "amount_cents": 5_000}, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
    assert api.post(url, {**body, "amount_cents": "100"}, format="json", HTTP_IDEMPOTENCY_KEY="b-2").status_code == 400
    assert client_for(hourly.freelancer).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="b-3").status_code == 403
    ledger_ok()

    # A freelancer who is also a member of the client cannot pay themselves.
    MembershipFactory(organization=organization, user=hourly.freelancer, role=Role.OWNER)
    self_paid = client_for(hourly.freelancer).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="b-4")
    assert (self_paid.status_code, self_paid.json()["code"]) == (403, "self_payment")
    assert Bonus.objects.count() == 1


def test_pause_and_resume_over_the_api(hourly, members):
    api = client_for(members[Role.HIRING_MANAGER])
    paused = api.post(f"/api/v1/contracts/{hourly.pk}/pause/", {"reason": "Holidays"}, format="json")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert client_for(hourly.freelancer).post(f"/api/v1/contracts/{hourly.pk}/resume/").status_code == 403
    assert api.post(f"/api/v1/contracts/{hourly.pk}/resume/").json()["status"] == "active"


# --- Weekly updates ---


def updates_url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/updates/"


def test_the_freelancer_posts_weekly_updates_both_sides_read_them_others_get_404(hourly, members, clock):
    api = client_for(hourly.freelancer)
    clock("2026-11-25 18:00")
    assert api.post(updates_url(hourly), {"done": "Cart"}, format="json").status_code == 201
    clock("2026-12-02 18:00")
    created = api.post(updates_url(hourly), {"done": "Checkout", "blockers": "No API key"}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["week_start"], created.json()["blockers"]) == ("2026-11-30", "No API key")
    # Posting again in the same week rewrites that week's update.
    rewritten = api.post(updates_url(hourly), {"done": "Checkout and tests"}, format="json").json()
    assert rewritten["id"] == created.json()["id"] and rewritten["blockers"] == ""
    listed = client_for(members[Role.MEMBER]).get(updates_url(hourly)).json()
    assert listed["count"] == 2
    assert [u["done"] for u in listed["results"]] == ["Checkout and tests", "Cart"]  # newest week first
    assert client_for(members[Role.OWNER]).post(updates_url(hourly), {"done": "x"}, format="json").status_code == 403
    stranger = client_for(FreelancerProfileFactory().user)
    assert stranger.get(updates_url(hourly)).status_code == 404
    assert stranger.post(updates_url(hourly), {"done": "x"}, format="json").status_code == 404
    assert client_for(UserFactory(is_staff=True)).get(updates_url(hourly)).status_code == 404
    assert APIClient().get(updates_url(hourly)).status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"done": "  "}, "done", "update_invalid"),
        ({"done": "Cart", "next": "x" * 2001}, "next", "update_invalid"),
        ({}, "done", "invalid"),
        ({"done": "Cart\x00"}, "done", "invalid"),
        ({"done": ["a list"]}, "done", "invalid"),
    ],
)
def test_a_bad_weekly_update_is_a_400_naming_the_field(hourly, clock, body, field, code):
    clock("2026-12-02 18:00")
    answer = client_for(hourly.freelancer).post(updates_url(hourly), body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == code and field in answer.json()["errors"]


def test_weekly_updates_belong_to_hourly_contracts_and_their_list_is_paged(hourly, organization, freelancer, clock):
    from tests.factories import ContractFactory

    fixed = ContractFactory(offer__organization=organization, offer__freelancer=freelancer)
    api = client_for(freelancer)
    refused = api.post(updates_url(fixed), {"done": "Cart"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "contract_not_hourly"
    for day in ("2026-11-18", "2026-11-25", "2026-12-02"):
        clock(f"{day} 18:00")
        api.post(updates_url(hourly), {"done": f"Week of {day}"}, format="json")
    page = api.get(updates_url(hourly), {"limit": 2}).json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
