"""Job pages: what each user may see and do, the forms, and constant query counts on every list."""

import pytest
from django.urls import reverse

from jobs.models import Invitation, Job, Proposal
from jobs.search.index import talent_index_refresh
from jobs.services.jobs import job_attachment_add
from jobs.services.proposals import proposal_submit, proposal_withdraw
from messaging.models import Conversation, Message
from tests.factories import FreelancerProfileFactory, JobFactory, ProposalFactory
from tests.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def post_form_data(organization, skill, **overrides):
    data = {
        "organization": organization.pk,
        "title": "Page job",
        "description": "Posted from the form.",
        "skills": [skill.pk],
        "category": "development",
        "budget_type": "hourly",
        "rate_min": "30",
        "rate_max": "60",
        "duration": "1_3m",
        "experience_level": "expert",
        "visibility": "public",
        "timezone": "America/New_York",
        "work_start": "09:00",
        "work_end": "17:00",
        "overlap_hours": "2",
        "questions": "Which ORM?\nWhen can you start?",
    }
    data.update(overrides)
    return data


def test_a_client_posts_and_publishes_from_the_form(client, owner, organization, python_skill):
    login(client, owner)
    assert client.get(reverse("jobs:create")).status_code == 200
    response = client.post(reverse("jobs:create"), post_form_data(organization, python_skill, publish="1"))
    job = Job.objects.get(title="Page job")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == Job.Status.OPEN and job.rate_min_cents == 3000
    assert job.questions.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rate_min": "80"}, "The minimum rate must not be above the maximum."),
        ({"skills": []}, "Choose at least one required skill."),
        ({"overlap_hours": "9"}, "Ensure this value is less than or equal to 8."),
        ({"budget_type": "fixed"}, "Give a fixed price above zero."),
    ],
)
def test_the_form_explains_what_is_wrong(client, owner, organization, python_skill, overrides, message):
    login(client, owner)
    response = client.post(reverse("jobs:create"), post_form_data(organization, python_skill, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Job.objects.exists()
    # The form is long: a summary at its top says the save was refused, whichever field is wrong.
    assert 'role="alert" id="form-error-summary"' in response.content.decode()


def test_a_member_cannot_post_from_the_form(client, member, organization, python_skill):
    login(client, member)
    response = client.get(reverse("jobs:create"))
    assert response.status_code == 302
    # The refusal names the reason: the role, not a missing organization.
    assert "does not include posting jobs" in client.get(response.url).content.decode()


def test_someone_without_an_organization_is_told_to_start_one(client, freelancer):
    response = login(client, freelancer).get(reverse("jobs:create"), follow=True)
    assert "Join or start an organization that can post jobs first." in response.content.decode()


def test_a_draft_is_visible_only_to_its_organization(client, owner, other_client, freelancer, organization):
    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    url = reverse("jobs:detail", args=[draft.pk])
    assert login(client, owner).get(url).status_code == 200
    for outsider in (other_client, freelancer):
        assert login(client, outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    assert login(client, other_client).get(reverse("jobs:edit", args=[draft.pk])).status_code == 404


def test_an_open_public_job_is_public(client, organization):
    job = JobFactory(organization=organization, title="Visible to all")
    response = client.get(reverse("jobs:detail", args=[job.pk]))
    assert response.status_code == 200 and "Log in to send a proposal" in response.content.decode()


@pytest.mark.parametrize(("verified", "badge"), [(True, "Payment verified"), (False, "Payment not verified")])
def test_job_detail_and_search_show_whether_the_client_verified_payment(client, organization, verified, badge):
    organization.payment_verified = verified
    organization.save()
    job = JobFactory(organization=organization)
    assert badge in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    login(client, FreelancerProfileFactory().user)
    assert badge in client.get(reverse("jobs:search")).content.decode()


def test_a_freelancer_sends_a_proposal_with_answers_and_milestones(client, owner, organization, freelancer):
    job = JobFactory(
        organization=organization,
        budget_type="fixed",
        fixed_amount_cents=50_000,
        rate_min_cents=None,
        rate_max_cents=None,
    )
    job.questions.create(text="Which ORM?")
    question = job.questions.get()
    login(client, freelancer)
    data = {
        "cover_letter": "Hello",
        "estimated_duration": "lt_1m",
        f"answer_{question.pk}": "Django's",
        "bid": "500",
        "milestone_1_title": "Half",
        "milestone_1_amount": "250",
        "milestone_2_title": "Rest",
        "milestone_2_amount": "200",
    }
    response = client.post(reverse("jobs:propose", args=[job.pk]), data)
    assert response.status_code == 400 and "add up to $450.00, not the bid of $500.00" in response.content.decode()
    data["milestone_2_amount"] = "250"
    response = client.post(reverse("jobs:propose", args=[job.pk]), data)
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and proposal.bid_cents == 50_000
    assert proposal.milestones.count() == 2


def test_a_refusal_is_shown_on_the_form(client, organization, freelancer):
    job = JobFactory(organization=organization)
    ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)
    login(client, freelancer)
    response = client.post(
        reverse("jobs:propose", args=[job.pk]), {"cover_letter": "x", "estimated_duration": "lt_1m", "rate": "40"}
    )
    assert response.status_code == 400 and "already have a live proposal" in response.content.decode()


def test_the_proposal_form_leads_to_the_live_proposal_instead_of_a_form_bound_to_be_refused(
    client, organization, freelancer
):
    job = JobFactory(organization=organization)
    proposal = ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)
    login(client, freelancer)
    response = client.get(reverse("jobs:propose", args=[job.pk]), follow=True)
    assert response.redirect_chain == [(reverse("jobs:proposal_detail", args=[proposal.pk]), 302)]
    assert "You already have a proposal for this job" in response.content.decode()
    proposal_withdraw(user=freelancer, proposal_id=proposal.pk)
    assert client.get(reverse("jobs:propose", args=[job.pk])).status_code == 200


def test_review_shortlist_and_message(client, owner, other_client, organization, freelancer):
    job = JobFactory(organization=organization, created_by=owner)
    proposal = ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)
    assert login(client, other_client).get(reverse("jobs:review", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:proposal_detail", args=[proposal.pk])).status_code == 404
    login(client, owner)
    page = client.get(reverse("jobs:review", args=[job.pk]), {"sort": "overlap"})
    assert page.status_code == 200 and freelancer.display_name in page.content.decode()
    client.post(reverse("jobs:proposal_shortlist", args=[proposal.pk]), {"next": reverse("jobs:review", args=[job.pk])})
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SHORTLISTED
    response = client.post(reverse("jobs:proposal_message", args=[proposal.pk]))
    conversation = Conversation.objects.get(reference=f"proposal:{proposal.pk}")
    assert response.url == reverse("messaging:conversation", args=[conversation.pk])
    client.post(response.url, {"body": "<b>Hi</b> there"})
    assert Message.objects.get().body == "<b>Hi</b> there"
    login(client, freelancer)
    page = client.get(response.url).content.decode()
    assert "&lt;b&gt;Hi&lt;/b&gt; there" in page
    assert login(client, other_client).get(response.url).status_code == 404


def test_the_proposal_page_offers_to_hire_only_to_those_who_may(client, owner, organization, freelancer):
    proposal = ProposalFactory(job=JobFactory(organization=organization), freelancer=freelancer.freelancer_profile)
    offer_link = f"/contracts/offers/new/?proposal={proposal.pk}"
    assert offer_link in login(client, owner).get(reverse("jobs:proposal_detail", args=[proposal.pk])).content.decode()
    author_page = login(client, freelancer).get(reverse("jobs:proposal_detail", args=[proposal.pk]))
    assert offer_link not in author_page.content.decode()


def test_invitation_accept_leads_to_the_proposal_form(client, owner, organization, freelancer):
    job = JobFactory(organization=organization, visibility=Job.Visibility.INVITE_ONLY)
    login(client, owner)
    client.post(
        reverse("jobs:invite"), {"job": job.pk, "freelancer": freelancer.freelancer_profile.pk, "message": "Hi"}
    )
    invitation = Invitation.objects.get()
    login(client, freelancer)
    assert "Accept and write a proposal" in client.get(reverse("jobs:invitations")).content.decode()
    response = client.post(reverse("jobs:invitation_accept", args=[invitation.pk]))
    assert response.url == reverse("jobs:propose", args=[job.pk])


def test_search_page_full_and_htmx(client, freelancer):
    JobFactory(title="Kotlin developer")
    login(client, freelancer)
    full = client.get(reverse("jobs:search"), {"q": "kotlin"}).content.decode()
    assert "<html" in full and "Kotlin developer" in full
    assert "Only jobs that fit my working hours" in full  # a filter label a person can read in one go
    partial = client.get(reverse("jobs:search"), {"q": "kotlin"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Kotlin developer" in partial
    restore = client.get(
        reverse("jobs:search"), {"q": "kotlin"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


@pytest.mark.parametrize("url_name", ["jobs:search", "jobs:talent"])
def test_searches_tell_caches_that_the_htmx_answer_differs(client, owner, freelancer, url_name):
    # Without it the browser's back button shows the cached bare results for the pushed URL, with no page around.
    login(client, owner if url_name == "jobs:talent" else freelancer)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(reverse(url_name), {"q": "python"}, **headers)
        assert "HX-Request" in response.headers["Vary"]


def test_save_a_search_from_the_page(client, freelancer):
    login(client, freelancer)
    client.post(reverse("jobs:saved_searches"), {"name": "Kotlin", "query": "q=kotlin"})
    page = client.get(reverse("jobs:saved_searches")).content.decode()
    assert "Kotlin" in page and "q=kotlin" in page


# --- Constant query counts: the same bound at 5 and at 50 rows ---


def _jobs_with_proposals(organization, count):
    for i in range(count):
        job = JobFactory(organization=organization, title=f"Job {i}")
        ProposalFactory(job=job)


def test_search_page_queries_are_constant(client, freelancer):
    login(client, freelancer)

    def add(rows):
        for _ in range(rows):
            JobFactory(title="Kotlin job")

    def search():
        assert client.get(reverse("jobs:search"), {"q": "kotlin", "sort": "newest"}).status_code == 200

    assert_constant_queries(add, search)


def test_my_jobs_and_review_pages_queries_are_constant(client, owner, organization):
    login(client, owner)
    job = JobFactory(organization=organization)

    def add(rows):
        _jobs_with_proposals(organization, rows)
        for _ in range(rows):
            ProposalFactory(job=job)

    assert_constant_queries(
        add,
        lambda: client.get(reverse("jobs:mine")),
        lambda: client.get(reverse("jobs:review", args=[job.pk]), {"sort": "score"}),
        lambda: client.get(reverse("jobs:review", args=[job.pk]), {"sort": "overlap"}),
    )
    assert client.get(reverse("jobs:mine")).content.decode().count("<tr>") == 50 + 1 + 1


def test_my_proposals_and_invitations_queries_are_constant(client, owner, organization, freelancer):
    profile = freelancer.freelancer_profile
    login(client, freelancer)

    def add(rows):
        for _ in range(rows):
            job = JobFactory(organization=organization)
            ProposalFactory(job=job, freelancer=profile)
            Invitation.objects.create(job=job, freelancer=profile, invited_by=owner)

    assert_constant_queries(
        add, lambda: client.get(reverse("jobs:my_proposals")), lambda: client.get(reverse("jobs:invitations"))
    )


def test_the_talent_page_reads_the_same_filters_with_rates_in_dollars(client, owner, freelancer):
    profile = freelancer.freelancer_profile
    profile.headline, profile.hourly_rate_cents = "Kotlin engineer", 4000
    profile.save()
    talent_index_refresh(profile=profile)
    login(client, owner)
    found = client.get(reverse("jobs:talent"), {"q": "kotlin", "rate_min": "30", "rate_max": "50.00"})
    assert "Kotlin engineer" in found.content.decode()
    too_dear = client.get(reverse("jobs:talent"), {"q": "kotlin", "rate_max": "39.99"})
    assert "Kotlin engineer" not in too_dear.content.decode()


def test_bad_talent_filters_are_shown_beside_their_inputs_and_the_rest_still_applies(client, owner, freelancer):
    profile = freelancer.freelancer_profile
    profile.headline = "Kotlin engineer"
    profile.save()
    talent_index_refresh(profile=profile)
    login(client, owner)
    bad = {"q": "kotlin", "rate_min": "abc", "min_overlap": "9", "timezone": "Mars/Base", "page": "x"}
    response = client.get(reverse("jobs:talent"), bad)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "rate_min": ["Enter an amount such as 1250 or 1,250.50 (at most two decimals)."],
        "min_overlap": ["Ensure this value is less than or equal to 8."],
        "timezone": ["Select a valid choice. Mars/Base is not one of the available choices."],
        "page": ["Enter a whole number."],
    }
    assert "Kotlin engineer" in response.content.decode()


def test_talent_page_queries_are_constant(client, owner):
    login(client, owner)

    def add(rows):
        for _ in range(rows):
            talent_index_refresh(profile=FreelancerProfileFactory())

    assert_constant_queries(add, lambda: client.get(reverse("jobs:talent"), {"page": 1}))


def test_list_endpoints_queries_are_constant(owner, organization, freelancer):
    from rest_framework.test import APIClient

    as_owner, as_freelancer = APIClient(), APIClient()
    as_owner.force_authenticate(owner)
    as_freelancer.force_authenticate(freelancer)
    job = JobFactory(organization=organization)

    def add(rows):
        _jobs_with_proposals(organization, rows)
        for _ in range(rows):
            JobFactory(title="Kotlin")
            ProposalFactory(job=job)
            Invitation.objects.create(
                job=JobFactory(organization=organization), freelancer=freelancer.freelancer_profile
            )

    assert_constant_queries(
        add,
        lambda: as_owner.get("/api/v1/jobs/mine/"),
        lambda: as_owner.get("/api/v1/proposals/"),
        lambda: as_owner.get(f"/api/v1/jobs/{job.pk}/proposals/"),
        lambda: as_freelancer.get("/api/v1/jobs/", {"q": "kotlin"}),
        lambda: as_freelancer.get("/api/v1/job-invitations/"),
        lambda: as_owner.get("/api/v1/talent/"),
    )


def test_attachments_download_only_for_who_may_see_them(client, owner, other_client, organization, freelancer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kernel.files import url_for

    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    attachment = job_attachment_add(
        user=owner, job_id=draft.pk, uploaded=SimpleUploadedFile("brief.pdf", b"%PDF-1.4 brief")
    )
    url = url_for(attachment)
    response = login(client, owner).get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert login(client, other_client).get(url).status_code == 404
    proposal = proposal_submit(
        user=freelancer,
        job_id=JobFactory(organization=organization).pk,
        cover_letter="Me",
        estimated_duration="lt_1m",
        rate_cents=4000,
        attachments=[SimpleUploadedFile("cv.txt", b"My CV")],
    )
    url = url_for(proposal.attachments.get())
    assert login(client, owner).get(url).status_code == 200
    assert login(client, other_client).get(url).status_code == 404


def test_the_search_page_reads_typed_dollars_and_saves_the_search_in_cents(client, freelancer):
    login(client, freelancer)
    body = client.get(reverse("jobs:search"), {"budget_min": "5,000", "sort": "newest"}).content.decode()
    assert 'name="query" value="budget_min_cents=500000&amp;sort=newest"' in body
    # The saved search's own link (canonical, in cents) shows the amount in the dollar input again.
    body = client.get(reverse("jobs:search"), {"budget_min_cents": "500000"}).content.decode()
    assert 'name="budget_min" value="5000.00"' in body
    assert 'name="budget_min_cents"' not in body  # clearing the dollar input clears the filter
