"""The contracts API: who may call each endpoint, and the codes a refusal comes back with."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Role
from contracts.models import Milestone, Offer
from payments.models import JournalEntry
from tests.factories import FreelancerProfileFactory, MembershipFactory, MilestoneFactory, OfferFactory, UserFactory


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def offer_body(organization, freelancer, **extra):
    return {
        "organization": organization.pk,
        "freelancer": freelancer.freelancer_profile.pk,
        "title": "Booking widget",
        "contract_type": "fixed",
        "total_cents": 30_000,
        "start_date": dt.date.today().isoformat(),
        "milestones": [{"title": "Design", "amount_cents": 10_000}, {"title": "Build", "amount_cents": 20_000}],
        **extra,
    }


def test_anonymous_is_refused_and_staff_are_not_parties(db, contract, milestone):
    assert APIClient().get("/api/v1/contracts/").status_code == 401
    staff = client_for(UserFactory(is_staff=True))
    assert staff.get(f"/api/v1/contracts/{contract.pk}/").status_code == 404
    assert staff.post(f"/api/v1/milestones/{milestone.pk}/approve/", {}, format="json").status_code == 404


def test_offer_create_accept_and_the_contract_appear_for_both_sides(members, organization, freelancer):
    hiring = client_for(members[Role.HIRING_MANAGER])
    created = hiring.post("/api/v1/offers/", offer_body(organization, freelancer), format="json")
    assert created.status_code == 201, created.json()
    offer_id = created.json()["id"]
    assert [m["amount_cents"] for m in created.json()["milestones"]] == [10_000, 20_000]

    me = client_for(freelancer)
    assert [o["id"] for o in me.get("/api/v1/offers/").json()["results"]] == [offer_id]
    accepted = me.post(f"/api/v1/offers/{offer_id}/accept/")
    assert accepted.status_code == 200
    contract = accepted.json()
    assert contract["awaiting_funding"] is True and contract["escrow_cents"] == 0
    for api in (me, hiring):
        listed = api.get("/api/v1/contracts/").json()["results"]
        assert [c["id"] for c in listed] == [contract["id"]]
    milestones = me.get(f"/api/v1/contracts/{contract['id']}/milestones/").json()["results"]
    assert [m["status"] for m in milestones] == ["pending", "pending"]


def test_offer_create_refusals(members, organization, freelancer):
    finance = client_for(members[Role.FINANCE])
    assert finance.post("/api/v1/offers/", offer_body(organization, freelancer), format="json").status_code == 403
    owner = client_for(members[Role.OWNER])
    bad = offer_body(organization, freelancer, total_cents=99_999)
    response = owner.post("/api/v1/offers/", bad, format="json")
    assert response.status_code == 400
    assert "milestones" in response.json()["errors"]
    stranger = client_for(MembershipFactory(role=Role.OWNER).user)
    assert stranger.post("/api/v1/offers/", offer_body(organization, freelancer), format="json").status_code == 404


def test_offers_are_scoped_and_answers_have_roles(owner, organization, freelancer):
    offer = OfferFactory(organization=organization, freelancer=freelancer, status="pending")
    other = client_for(FreelancerProfileFactory().user)
    assert other.get(f"/api/v1/offers/{offer.pk}/").status_code == 404
    assert other.post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 404
    assert client_for(owner).post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 403
    assert client_for(freelancer).post(f"/api/v1/offers/{offer.pk}/withdraw/").status_code == 403
    declined = client_for(freelancer).post(f"/api/v1/offers/{offer.pk}/decline/", {"reason": "Busy"}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = client_for(owner).post(f"/api/v1/offers/{offer.pk}/withdraw/")
    assert again.status_code == 409 and again.json()["code"] == "offer_declined"


def test_fund_needs_an_idempotency_key_and_a_repeat_moves_nothing(owner, card, milestone):
    api = client_for(owner)
    url = f"/api/v1/milestones/{milestone.pk}/fund/"
    missing = api.post(url)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 200 and first.json()["status"] == "funded"
    repeat = api.post(url, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert repeat.status_code == 200 and repeat.json()["status"] == "funded"
    assert JournalEntry.objects.count() == 1
    other_key = api.post(url, HTTP_IDEMPOTENCY_KEY="abc-2")
    assert other_key.status_code == 409 and other_key.json()["code"] == "milestone_already_funded"


def test_a_fund_key_reused_on_another_milestone_is_a_conflict_and_charges_nothing(
    owner, card, milestone, second_milestone
):
    api = client_for(owner)
    assert api.post(f"/api/v1/milestones/{milestone.pk}/fund/", HTTP_IDEMPOTENCY_KEY="same").status_code == 200
    reused = api.post(f"/api/v1/milestones/{second_milestone.pk}/fund/", HTTP_IDEMPOTENCY_KEY="same")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_conflict"
    second_milestone.refresh_from_db()
    assert second_milestone.status == Milestone.Status.PENDING
    assert JournalEntry.objects.count() == 1
    # Another user's identical key is theirs alone.
    finance = MembershipFactory(organization=owner.memberships.get().organization, role=Role.FINANCE).user
    other = client_for(finance).post(f"/api/v1/milestones/{second_milestone.pk}/fund/", HTTP_IDEMPOTENCY_KEY="same")
    assert other.status_code == 200 and other.json()["status"] == "funded"


def test_milestone_actions_answer_with_stable_codes(owner, freelancer, card, milestone):
    client, me = client_for(owner), client_for(freelancer)
    base = f"/api/v1/milestones/{milestone.pk}"
    unfunded = client.post(f"{base}/approve/", {}, format="json")
    assert unfunded.status_code == 409 and unfunded.json()["code"] == "milestone_not_funded"
    not_funded_submit = me.post(f"{base}/submit/", {"message": "done"}, format="json")
    assert not_funded_submit.json()["code"] == "milestone_not_funded"
    client.post(f"{base}/fund/", HTTP_IDEMPOTENCY_KEY="k1")
    upload = SimpleUploadedFile("notes.txt", b"release notes")
    submitted = me.post(f"{base}/submit/", {"message": "done", "files": [upload]}, format="multipart")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["submissions"][0]["files"][0]["name"] == "notes.txt"
    assert me.post(f"{base}/approve/", {}, format="json").status_code == 403
    changes = client.post(f"{base}/request-changes/", {"note": "More tests"}, format="json")
    assert changes.json()["status"] == "changes_requested"
    assert client.post(f"{base}/request-refund/", {"reason": "Stop"}, format="json").json()["status"] == (
        "refund_requested"
    )
    assert me.post(f"{base}/reject-refund/", {"reason": "No"}, format="json").json()["status"] == "disputed"
    agree = me.post(f"{base}/agree-refund/", {}, format="json")
    assert agree.status_code == 409 and agree.json()["code"] == "no_refund_requested"


def test_approve_releases_and_a_second_approve_is_409(owner, freelancer, card, milestone):
    client, me = client_for(owner), client_for(freelancer)
    base = f"/api/v1/milestones/{milestone.pk}"
    client.post(f"{base}/fund/", HTTP_IDEMPOTENCY_KEY="k1")
    me.post(f"{base}/submit/", {"message": "done"}, format="json")
    assert client.post(f"{base}/approve/", {"note": "ok"}, format="json").json()["status"] == "approved"
    assert client.post(f"{base}/approve/", {}, format="json").status_code == 409
    assert JournalEntry.objects.filter(kind="escrow_release").count() == 1


def test_milestones_of_another_org_are_404_and_adding_needs_hire(members, freelancer, contract, milestone):
    stranger = client_for(MembershipFactory(role=Role.OWNER).user)
    assert stranger.get(f"/api/v1/milestones/{milestone.pk}/").status_code == 404
    assert stranger.post(f"/api/v1/milestones/{milestone.pk}/fund/", HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    assert stranger.get(f"/api/v1/contracts/{contract.pk}/milestones/").status_code == 404
    body = {"title": "Extra", "amount_cents": 5_000}
    url = f"/api/v1/contracts/{contract.pk}/milestones/"
    assert client_for(freelancer).post(url, body, format="json").status_code == 403
    assert client_for(members[Role.FINANCE]).post(url, body, format="json").status_code == 403
    created = client_for(members[Role.HIRING_MANAGER]).post(url, body, format="json")
    assert created.status_code == 201 and created.json()["status"] == "pending"


def test_end_contract_over_the_api(owner, freelancer, card, contract, milestone):
    client_for(owner).post(f"/api/v1/milestones/{milestone.pk}/fund/", HTTP_IDEMPOTENCY_KEY="k")
    url = f"/api/v1/contracts/{contract.pk}/end/"
    blocked = client_for(freelancer).post(url, {"outcome": "cancelled", "reason": "Leaving"}, format="json")
    assert blocked.status_code == 409 and blocked.json()["code"] == "escrow_not_empty"
    assert client_for(freelancer).post(url, {"outcome": "nope"}, format="json").status_code == 400
    Milestone.objects.filter(pk=milestone.pk).update(status="disputed")
    ended = client_for(freelancer).post(url, {"outcome": "cancelled", "reason": "Leaving"}, format="json")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"


def test_list_queries_stay_constant(django_assert_max_num_queries, owner, organization, freelancer):
    for _ in range(5):
        contract = MilestoneFactory(
            contract__offer__organization=organization, contract__offer__freelancer=freelancer
        ).contract
        MilestoneFactory(contract=contract)
        OfferFactory(organization=organization, freelancer=freelancer, status="pending")
    api = client_for(owner)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/contracts/").json()["results"]) == 5
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/offers/").json()["results"]) == 10
    assert Offer.objects.count() == 10
