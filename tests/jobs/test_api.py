"""/api/v1/ for jobs: who may call what (anonymous, another client, another freelancer, staff), and the codes."""

import pytest
from rest_framework.test import APIClient

from jobs.models import Job, Proposal
from jobs.services.saved_searches import saved_search_check
from messaging.models import Notification
from tests.factories import JobFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def job_payload(organization, skill, **overrides):
    payload = {
        "organization": organization.pk,
        "title": "API job",
        "description": "Made over the API.",
        "skill_ids": [skill.pk],
        "category": "development",
        "budget_type": "hourly",
        "rate_min_cents": 2000,
        "rate_max_cents": 4000,
        "duration": "lt_1m",
        "experience_level": "entry",
        "overlap_hours": 3,
        "work_start": "08:00",
        "work_end": "16:00",
        "questions": ["Why you?"],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def test_anonymous_gets_nothing(organization):
    job = JobFactory(organization=organization)
    assert api().get("/api/v1/jobs/").status_code == 401
    assert api().get(f"/api/v1/jobs/{job.pk}/").status_code == 401
    assert api().get("/api/v1/proposals/").status_code == 401


def test_a_client_posts_publishes_and_closes(owner, organization, python_skill):
    client = api(owner)
    created = client.post("/api/v1/jobs/", job_payload(organization, python_skill), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["timezone"] == "America/New_York"
    assert [q["text"] for q in body["questions"]] == ["Why you?"]
    job_id = body["id"]
    assert client.post(f"/api/v1/jobs/{job_id}/publish/").json()["status"] == "open"
    again = client.post(f"/api/v1/jobs/{job_id}/publish/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    closed = client.post(f"/api/v1/jobs/{job_id}/close/", {"reason": "filled"}, format="json")
    assert closed.json()["close_reason"] == "filled"
    mine = client.get("/api/v1/jobs/mine/").json()
    assert [row["id"] for row in mine["results"]] == [job_id]


def test_bad_budget_is_a_400_with_a_code(owner, organization, python_skill):
    payload = job_payload(organization, python_skill, rate_min_cents=5000, rate_max_cents=4000)
    response = api(owner).post("/api/v1/jobs/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "job_budget_invalid"
    response = api(owner).post("/api/v1/jobs/", job_payload(organization, python_skill, overlap_hours=9), format="json")
    assert response.status_code == 400


def test_another_client_cannot_post_for_or_see_a_draft_of_this_organization(
    other_client, member, organization, python_skill
):
    # The one permission rule: not a member → 404 (as if the organization were not there); a member whose role
    # lacks the permission → 403.
    assert (
        api(other_client).post("/api/v1/jobs/", job_payload(organization, python_skill), format="json").status_code
        == 404
    )
    assert api(member).post("/api/v1/jobs/", job_payload(organization, python_skill), format="json").status_code == 403
    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    assert api(other_client).get(f"/api/v1/jobs/{draft.pk}/").status_code == 404
    assert api(other_client).post(f"/api/v1/jobs/{draft.pk}/publish/").status_code == 404
    assert (
        api(other_client)
        .put(f"/api/v1/jobs/{draft.pk}/", job_payload(organization, python_skill), format="json")
        .status_code
        == 404
    )


def test_staff_gets_no_back_door(staff, organization):
    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    proposal = ProposalFactory(job=JobFactory(organization=organization))
    assert api(staff).get(f"/api/v1/jobs/{draft.pk}/").status_code == 404
    assert api(staff).get(f"/api/v1/proposals/{proposal.pk}/").status_code == 404


def test_search_over_the_api(freelancer, python_skill):
    JobFactory(title="Kotlin developer", skills=[python_skill])
    JobFactory(title="Designer")
    response = api(freelancer).get("/api/v1/jobs/", {"q": "kotlin", "skills": [python_skill.pk]})
    assert response.status_code == 200
    body = response.json()
    assert [hit["job"]["title"] for hit in body["results"]] == ["Kotlin developer"]
    assert body["has_more"] is False


def test_proposals_visible_only_to_the_author_and_the_organization(
    owner, member, organization, freelancer, other_freelancer, other_client
):
    job = JobFactory(organization=organization)
    created = api(freelancer).post(
        f"/api/v1/jobs/{job.pk}/proposals/",
        {"cover_letter": "Me!", "estimated_duration": "1_3m", "rate_cents": 4500},
        format="json",
    )
    assert created.status_code == 201, created.json()
    proposal_id = created.json()["id"]
    second = api(freelancer).post(
        f"/api/v1/jobs/{job.pk}/proposals/",
        {"cover_letter": "Again", "estimated_duration": "1_3m", "rate_cents": 4500},
        format="json",
    )
    assert second.status_code == 409 and second.json()["code"] == "proposal_exists"
    for who in (freelancer, owner, member):
        assert api(who).get(f"/api/v1/proposals/{proposal_id}/").status_code == 200
    for who in (other_freelancer, other_client):
        assert api(who).get(f"/api/v1/proposals/{proposal_id}/").status_code == 404
        assert api(who).get("/api/v1/proposals/").json()["results"] == []
    assert api(other_client).get(f"/api/v1/jobs/{job.pk}/proposals/").status_code == 404
    assert api(other_freelancer).get(f"/api/v1/jobs/{job.pk}/proposals/").status_code == 404
    review = api(member).get(f"/api/v1/jobs/{job.pk}/proposals/", {"sort": "rate"}).json()["results"]
    assert review[0]["proposal"]["id"] == proposal_id and "overlap_hours" in review[0]


def test_proposal_actions_and_their_refusals(owner, member, organization, freelancer, other_freelancer):
    proposal = ProposalFactory(job=JobFactory(organization=organization), freelancer=freelancer.freelancer_profile)
    url = f"/api/v1/proposals/{proposal.pk}/"
    moves = {who: api(who).get(url).json()["allowed_transitions"] for who in (owner, member, freelancer)}
    assert moves == {owner: ["declined", "hired", "shortlisted"], member: [], freelancer: ["withdrawn"]}
    assert api(member).post(f"/api/v1/proposals/{proposal.pk}/shortlist/").status_code == 403
    assert api(other_freelancer).post(f"/api/v1/proposals/{proposal.pk}/withdraw/").status_code == 404
    assert api(owner).post(f"/api/v1/proposals/{proposal.pk}/shortlist/").json()["status"] == "shortlisted"
    assert api(freelancer).post(f"/api/v1/proposals/{proposal.pk}/withdraw/").json()["status"] == "withdrawn"
    refused = api(owner).post(f"/api/v1/proposals/{proposal.pk}/decline/")
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("job_overrides", "code"),
    [
        ({"status": Job.Status.CLOSED, "close_reason": "filled"}, "job_closed"),
        ({"visibility": Job.Visibility.INVITE_ONLY}, "invitation_required"),
    ],
)
def test_submission_refusals_have_stable_codes(organization, freelancer, job_overrides, code):
    job = JobFactory(organization=organization, **job_overrides)
    response = api(freelancer).post(
        f"/api/v1/jobs/{job.pk}/proposals/",
        {"cover_letter": "x", "estimated_duration": "1_3m", "rate_cents": 4000},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == code


def test_weekly_limit_over_the_api(settings, organization, freelancer):
    settings.PROPOSALS_PER_WEEK = 1
    ProposalFactory(freelancer=freelancer.freelancer_profile, status=Proposal.Status.WITHDRAWN)
    job = JobFactory(organization=organization)
    response = api(freelancer).post(
        f"/api/v1/jobs/{job.pk}/proposals/",
        {"cover_letter": "x", "estimated_duration": "1_3m", "rate_cents": 4000},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "proposal_weekly_limit"


def test_invitations_over_the_api(owner, member, organization, freelancer, other_freelancer):
    job = JobFactory(organization=organization, visibility=Job.Visibility.INVITE_ONLY)
    profile_id = freelancer.freelancer_profile.pk
    assert api(member).post(f"/api/v1/jobs/{job.pk}/invitations/", {"freelancer": profile_id}).status_code == 403
    created = api(owner).post(f"/api/v1/jobs/{job.pk}/invitations/", {"freelancer": profile_id, "message": "Hi"})
    assert created.status_code == 201
    invitation_id = created.json()["id"]
    listed = api(member).get(f"/api/v1/jobs/{job.pk}/invitations/").json()["results"]
    assert [i["id"] for i in listed] == [invitation_id]
    assert api(other_freelancer).get(f"/api/v1/jobs/{job.pk}/invitations/").status_code == 404
    assert api(other_freelancer).post(f"/api/v1/job-invitations/{invitation_id}/accept/").status_code == 404
    # The invited freelancer now sees the invite-only job and may propose.
    assert api(freelancer).get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert api(freelancer).post(f"/api/v1/job-invitations/{invitation_id}/accept/").json()["status"] == "accepted"
    assert [i["id"] for i in api(freelancer).get("/api/v1/job-invitations/").json()["results"]] == [invitation_id]


def test_talent_search_over_the_api(owner, freelancer):
    from jobs.search.index import talent_index_refresh

    profile = freelancer.freelancer_profile
    profile.headline = "Kotlin engineer"
    profile.save()
    talent_index_refresh(profile=profile)
    body = api(owner).get("/api/v1/talent/", {"q": "kotlin", "timezone": "Europe/Lisbon"}).json()
    assert [hit["profile_id"] for hit in body["results"]] == [profile.pk]
    assert body["results"][0]["overlap_hours"] >= 7.0  # same zone, same hours (±1 h while DST rules differ)
    assert api(owner).get("/api/v1/talent/", {"timezone": "Mars/Base"}).status_code == 400


def test_talent_search_over_the_api_reads_every_filter_in_cents(owner, freelancer, python_skill):
    from jobs.search.index import talent_index_refresh

    profile = freelancer.freelancer_profile
    profile.headline, profile.hourly_rate_cents = "Kotlin engineer", 4000
    profile.save()
    profile.skills.add(python_skill)
    talent_index_refresh(profile=profile)
    found = {"skills": [python_skill.pk], "rate_min_cents": 3000, "rate_max_cents": 5000, "min_overlap_hours": 0}
    assert [hit["profile_id"] for hit in api(owner).get("/api/v1/talent/", found).json()["results"]] == [profile.pk]
    too_dear = api(owner).get("/api/v1/talent/", {**found, "rate_max_cents": 3999}).json()
    assert too_dear["results"] == []
    # Languages repeat the parameter (or list codes separated by commas, as the page's input does).
    for languages in (["xx", "yy"], "xx, yy"):
        assert api(owner).get("/api/v1/talent/", {"languages": languages}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"rate_min_cents": "-1"}, "rate_min_cents", "Ensure this value is greater than or equal to 0."),
        ({"rate_max_cents": "ten"}, "rate_max_cents", "Enter a whole number."),
        ({"min_overlap_hours": "9"}, "min_overlap_hours", "Ensure this value is less than or equal to 8."),
        ({"min_score": "101"}, "min_score", "Ensure this value is less than or equal to 100."),
        ({"skills": "abc"}, "skills", "“abc” is not a valid value."),
        ({"skills": str(2**63)}, "skills", f"“{2**63}” is not a valid value."),
        ({"country": "PRT"}, "country", "Ensure this value has at most 2 characters (it has 3)."),
        ({"work_start": "25:00"}, "work_start", "Enter a valid time."),
        ({"sort": "cheapest"}, "sort", "Select a valid choice. cheapest is not one of the available choices."),
        ({"page": "0"}, "page", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_bad_talent_query_is_a_400_naming_the_parameter(owner, params, field, message):
    response = api(owner).get("/api/v1/talent/", params)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "Some fields are not valid.", "errors": {field: [message]}}


def test_saved_searches_are_private(freelancer, other_freelancer):
    created = api(freelancer).post("/api/v1/saved-searches/", {"name": "Kotlin", "query": "q=kotlin"})
    assert created.status_code == 201
    saved_id = created.json()["id"]
    assert api(other_freelancer).get("/api/v1/saved-searches/").json()["results"] == []
    assert api(other_freelancer).delete(f"/api/v1/saved-searches/{saved_id}/").status_code == 404
    assert api(freelancer).delete(f"/api/v1/saved-searches/{saved_id}/").status_code == 204


def test_attachments_over_the_api_are_checked_by_content(owner, other_client, organization):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = JobFactory(organization=organization)
    url = f"/api/v1/jobs/{job.pk}/attachments/"
    good = api(owner).post(url, {"file": SimpleUploadedFile("brief.pdf", b"%PDF-1.7 brief")}, format="multipart")
    assert good.status_code == 201 and good.json()["content_type"] == "application/pdf"
    bad = api(owner).post(url, {"file": SimpleUploadedFile("brief.pdf", b"\x7fELF\x00binary")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "upload_type"
    other = api(other_client).post(url, {"file": SimpleUploadedFile("a.txt", b"hi")}, format="multipart")
    assert other.status_code == 404


def _open_fixed_job(organization, title: str, cents: int) -> Job:
    return JobFactory(
        organization=organization,
        title=title,
        budget_type="fixed",
        fixed_amount_cents=cents,
        rate_min_cents=None,
        rate_max_cents=None,
    )


def test_a_search_saved_through_the_api_keeps_its_budget_in_cents(freelancer, organization):
    """The worker reads a saved search with the same parser as the API: budget_min_cents is not lost."""
    created = api(freelancer).post(
        "/api/v1/saved-searches/", {"name": "Big jobs", "query": "budget_min_cents=500000&sort=newest"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert "budget_min_cents=500000" in created.json()["query"]
    _open_fixed_job(organization, "Small job", 100_000)
    _open_fixed_job(organization, "Big job", 600_000)
    assert saved_search_check(saved_search_id=created.json()["id"]) == 1
    assert Notification.objects.get(user=freelancer, kind="saved_search_match").body == "• Big job"


def test_the_api_search_and_a_saved_search_refuse_a_bad_query_with_every_field(freelancer):
    response = api(freelancer).get("/api/v1/jobs/", {"budget_min_cents": "lots", "sort": "cheapest"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"budget_min_cents", "sort"}
    saved = api(freelancer).post(
        "/api/v1/saved-searches/", {"name": "x", "query": "budget_min_cents=-1"}, format="json"
    )
    assert saved.status_code == 400 and "budget_min_cents" in saved.json()["errors"]
