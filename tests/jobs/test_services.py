"""Each rule of the jobs services, and each way they refuse."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from jobs.models import Invitation, Job, Proposal
from jobs.services.invitations import invitation_accept, invitation_create, invitation_decline
from jobs.services.jobs import job_attachment_add, job_close, job_create, job_publish, job_update, job_windows_refresh
from jobs.services.proposals import (
    MilestoneInput,
    proposal_decline,
    proposal_mark_hired,
    proposal_shortlist,
    proposal_submit,
    proposal_withdraw,
)
from kernel.errors import DomainError, NotFound, PermissionDenied
from messaging.models import Notification
from tests.factories import FreelancerProfileFactory, JobFactory, ProposalFactory
from tests.jobs.conftest import job_fields

pytestmark = pytest.mark.django_db


def codes(excinfo) -> str:
    return excinfo.value.code


# --- Posting ---


def test_an_owner_posts_a_draft_that_stores_the_window_in_utc(owner, organization, python_skill):
    job = job_create(user=owner, organization_id=organization.pk, fields=job_fields([python_skill]))
    job.refresh_from_db()
    assert job.status == Job.Status.DRAFT
    assert job.timezone == "America/New_York"  # defaults to the organization's zone
    assert job.work_minutes == 480
    assert job.work_utc_start_minute in (13 * 60, 14 * 60)  # 09:00 New York, EDT or EST
    assert job.skill_ids == [python_skill.pk]


def test_a_plain_member_may_not_post(member, organization, python_skill):
    with pytest.raises(PermissionDenied):
        job_create(user=member, organization_id=organization.pk, fields=job_fields([python_skill]))


def test_another_organization_may_not_post_for_this_one(other_client, member, organization, python_skill):
    with pytest.raises(NotFound):
        job_create(user=other_client, organization_id=organization.pk, fields=job_fields([python_skill]))
    with pytest.raises(PermissionDenied):
        job_create(user=member, organization_id=organization.pk, fields=job_fields([python_skill]))


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"skill_ids": []}, "job_skills_required"),
        ({"rate_min_cents": 7000, "rate_max_cents": 6000}, "job_budget_invalid"),
        ({"rate_min_cents": 0}, "job_budget_invalid"),
        ({"budget_type": "fixed", "fixed_amount_cents": None}, "job_budget_invalid"),
        ({"overlap_hours": 9}, "job_overlap_range"),
        ({"title": "  "}, "job_title_required"),
        ({"skill_ids": [999_999]}, "job_skills_invalid"),
        # A job's working day follows the profile's rule (kernel.windows.check_window).
        ({"work_start": dt.time(9), "work_end": dt.time(9)}, "empty_window"),
        ({"work_start": dt.time(5), "work_end": dt.time(22)}, "window_too_long"),
    ],
)
def test_posting_refuses_bad_input(owner, organization, python_skill, overrides, code):
    fields = job_fields([python_skill], **overrides)
    with pytest.raises(DomainError) as excinfo:
        job_create(user=owner, organization_id=organization.pk, fields=fields)
    assert codes(excinfo) == code


def test_a_fixed_price_job_keeps_only_its_amount(owner, organization, python_skill):
    fields = job_fields([python_skill], budget_type="fixed", fixed_amount_cents=250_000)
    job = job_create(user=owner, organization_id=organization.pk, fields=fields)
    assert (job.fixed_amount_cents, job.rate_min_cents, job.rate_max_cents) == (250_000, None, None)


def test_publish_then_close_with_a_reason(owner, organization, python_skill):
    job = job_create(user=owner, organization_id=organization.pk, fields=job_fields([python_skill]))
    job_publish(user=owner, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.OPEN and job.published_at
    job_close(user=owner, job_id=job.pk, reason="cancelled", note="Budget cut")
    job.refresh_from_db()
    assert (job.status, job.close_reason, job.close_note) == ("closed", "cancelled", "Budget cut")
    with pytest.raises(DomainError) as excinfo:
        job_publish(user=owner, job_id=job.pk)
    assert codes(excinfo) == "invalid_transition"
    with pytest.raises(DomainError) as excinfo:
        job_update(user=owner, job_id=job.pk, fields=job_fields([python_skill]))
    assert codes(excinfo) == "job_closed"


def test_close_needs_a_known_reason(owner, organization):
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as excinfo:
        job_close(user=owner, job_id=job.pk, reason="bored")
    assert codes(excinfo) == "close_reason_invalid"


def test_another_organization_cannot_see_a_job_to_manage_it(other_client, organization):
    job = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    with pytest.raises(NotFound):
        job_publish(user=other_client, job_id=job.pk)


def test_a_member_sees_but_cannot_manage(member, organization):
    job = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    with pytest.raises(PermissionDenied):
        job_publish(user=member, job_id=job.pk)


def test_update_reindexes_skills(owner, organization, python_skill):
    from tests.factories import SkillFactory

    django_skill = SkillFactory(name="Django")
    job = job_create(user=owner, organization_id=organization.pk, fields=job_fields([python_skill]))
    job_update(user=owner, job_id=job.pk, fields=job_fields([python_skill, django_skill], title="New"))
    job.refresh_from_db()
    assert sorted(job.skill_ids) == sorted([python_skill.pk, django_skill.pk])
    assert job.title == "New"


def test_screening_questions_are_kept_in_order(owner, organization, python_skill):
    fields = job_fields([python_skill], questions=["Which ORM?", "", "How soon can you start?"])
    job = job_create(user=owner, organization_id=organization.pk, fields=fields)
    assert [q.text for q in job.questions.all()] == ["Which ORM?", "How soon can you start?"]


# --- Attachments (by content) ---

PDF = b"%PDF-1.4\n%...\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("brief.pdf", PDF, "application/pdf"), ("x.png", PNG, "image/png"), ("notes.txt", b"hello\n", "text/plain")],
)
def test_attachments_are_typed_by_their_bytes(owner, organization, name, content, expected):
    job = JobFactory(organization=organization)
    attachment = job_attachment_add(
        user=owner, job_id=job.pk, uploaded=SimpleUploadedFile(name, content, content_type="application/octet-stream")
    )
    assert attachment.content_type == expected


def test_a_docx_is_a_zip_with_the_word_part(owner, organization):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    job = JobFactory(organization=organization)
    attachment = job_attachment_add(
        user=owner, job_id=job.pk, uploaded=SimpleUploadedFile("cv.docx", buffer.getvalue())
    )
    assert attachment.content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("name", "content"),
    [("evil.pdf", b"MZ\x90\x00\x03\x00binary\x00"), ("archive.docx", b"PK\x03\x04notreallyazip")],
)
def test_attachments_with_a_wrong_content_are_refused_whatever_their_name(owner, organization, name, content):
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as excinfo:
        job_attachment_add(user=owner, job_id=job.pk, uploaded=SimpleUploadedFile(name, content))
    assert codes(excinfo) == "upload_type"


@override_settings(MAX_UPLOAD_BYTES=10)
def test_attachments_over_the_size_limit_are_refused(owner, organization):
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as excinfo:
        job_attachment_add(user=owner, job_id=job.pk, uploaded=SimpleUploadedFile("a.txt", b"x" * 11))
    assert codes(excinfo) == "upload_too_large"


# --- Invitations ---


def test_invite_accept_and_the_freelancer_is_notified(owner, organization, freelancer):
    job = JobFactory(organization=organization)
    invitation = invitation_create(
        user=owner, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk, message="Fancy it?"
    )
    assert Notification.objects.filter(user=freelancer, kind="job_invitation").exists()
    with pytest.raises(DomainError) as excinfo:
        invitation_create(user=owner, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk)
    assert codes(excinfo) == "invitation_exists"
    invitation_accept(user=freelancer, invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    with pytest.raises(DomainError) as excinfo:
        invitation_decline(user=freelancer, invitation_id=invitation.pk)
    assert codes(excinfo) == "invalid_transition"


def test_only_the_invited_freelancer_answers_an_invitation(owner, organization, freelancer, other_freelancer):
    job = JobFactory(organization=organization)
    invitation = invitation_create(user=owner, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk)
    with pytest.raises(NotFound):
        invitation_accept(user=other_freelancer, invitation_id=invitation.pk)
    invitation_decline(user=freelancer, invitation_id=invitation.pk)
    assert Notification.objects.filter(user=owner, kind="job_invitation_declined").exists()


def test_inviting_needs_hire_permission_and_an_open_job(member, owner, organization, freelancer):
    job = JobFactory(organization=organization)
    with pytest.raises(PermissionDenied):
        invitation_create(user=member, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk)
    draft = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    with pytest.raises(DomainError) as excinfo:
        invitation_create(user=owner, job_id=draft.pk, freelancer_id=freelancer.freelancer_profile.pk)
    assert codes(excinfo) == "job_not_open"


# --- Proposals ---


def submit(user, job, **overrides):
    values = {"cover_letter": "I can do this well.", "estimated_duration": "1_3m", "rate_cents": 5000}
    values.update(overrides)
    return proposal_submit(user=user, job_id=job.pk, **values)


def test_a_freelancer_submits_and_the_poster_is_notified(owner, organization, freelancer):
    job = JobFactory(organization=organization, created_by=owner)
    proposal = submit(freelancer, job)
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.rate_cents == 5000 and proposal.bid_cents is None
    assert Notification.objects.filter(user=owner, kind="proposal_received", reference=f"proposal:{proposal.pk}")


def test_a_second_live_proposal_is_refused_but_one_after_withdrawing_is_fine(organization, freelancer):
    job = JobFactory(organization=organization)
    first = submit(freelancer, job)
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job)
    assert codes(excinfo) == "proposal_exists"
    proposal_withdraw(user=freelancer, proposal_id=first.pk)
    assert submit(freelancer, job).status == Proposal.Status.SUBMITTED


def test_the_database_also_refuses_two_live_proposals(organization, freelancer):
    job = JobFactory(organization=organization)
    ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalFactory(job=job, freelancer=freelancer.freelancer_profile)


def test_a_closed_job_takes_no_proposals(organization, freelancer):
    job = JobFactory(organization=organization, status=Job.Status.CLOSED, close_reason="filled")
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job)
    assert codes(excinfo) == "job_closed"


def test_a_draft_does_not_exist_for_a_freelancer(organization, freelancer):
    job = JobFactory(organization=organization, status=Job.Status.DRAFT, published_at=None)
    with pytest.raises(NotFound):
        submit(freelancer, job)


def test_invite_only_needs_an_invitation(owner, organization, freelancer):
    job = JobFactory(organization=organization, visibility=Job.Visibility.INVITE_ONLY)
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job)
    assert codes(excinfo) == "invitation_required"
    invitation = invitation_create(user=owner, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk)
    proposal = submit(freelancer, job)
    invitation.refresh_from_db()
    assert proposal.invitation_id == invitation.pk
    assert invitation.status == Invitation.Status.ACCEPTED


def test_a_declined_invitation_does_not_open_an_invite_only_job(owner, organization, freelancer):
    job = JobFactory(organization=organization, visibility=Job.Visibility.INVITE_ONLY)
    invitation = invitation_create(user=owner, job_id=job.pk, freelancer_id=freelancer.freelancer_profile.pk)
    invitation_decline(user=freelancer, invitation_id=invitation.pk)
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job)
    assert codes(excinfo) == "invitation_required"


def test_the_weekly_limit_counts_a_rolling_seven_days(settings, organization, freelancer):
    settings.PROPOSALS_PER_WEEK = 3
    profile = freelancer.freelancer_profile
    old = ProposalFactory(freelancer=profile, status=Proposal.Status.WITHDRAWN)
    Proposal.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    for _ in range(2):
        ProposalFactory(freelancer=profile, status=Proposal.Status.WITHDRAWN)
    submit(freelancer, JobFactory(organization=organization))  # the 3rd in 7 days
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, JobFactory(organization=organization))
    assert codes(excinfo) == "proposal_weekly_limit"


def test_own_organization_cannot_propose(owner, organization):
    FreelancerProfileFactory(user=owner)
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as excinfo:
        submit(owner, job)
    assert codes(excinfo) == "own_job"


def test_a_client_without_a_profile_cannot_propose(other_client, organization):
    with pytest.raises(DomainError) as excinfo:
        submit(other_client, JobFactory(organization=organization))
    assert codes(excinfo) == "freelancer_required"


@pytest.mark.parametrize("rate", [None, 1, 10_000_000])
def test_an_hourly_job_needs_a_sane_rate(organization, freelancer, rate):
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, JobFactory(organization=organization), rate_cents=rate)
    assert codes(excinfo) == "rate_invalid"


def test_a_fixed_price_bid_is_split_into_milestones_that_add_up(organization, freelancer):
    job = JobFactory(
        organization=organization,
        budget_type="fixed",
        fixed_amount_cents=100_000,
        rate_min_cents=None,
        rate_max_cents=None,
    )
    milestones = [MilestoneInput("Design", 40_000), MilestoneInput("Build", 60_000)]
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job, rate_cents=None, bid_cents=90_000, milestones=milestones)
    assert codes(excinfo) == "milestones_sum_mismatch"
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job, rate_cents=None, bid_cents=90_000, milestones=[])
    assert codes(excinfo) == "milestones_required"
    proposal = submit(freelancer, job, rate_cents=None, bid_cents=100_000, milestones=milestones)
    assert [(m.title, m.amount_cents) for m in proposal.milestones.all()] == [("Design", 40_000), ("Build", 60_000)]
    assert proposal.rate_cents is None


def test_a_bid_is_capped_like_the_contract_it_would_become(settings, organization, freelancer):
    settings.MAX_CONTRACT_AMOUNT_CENTS = 500_000
    job = JobFactory(
        organization=organization,
        budget_type="fixed",
        fixed_amount_cents=100_000,
        rate_min_cents=None,
        rate_max_cents=None,
    )
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job, rate_cents=None, bid_cents=500_001, milestones=[MilestoneInput("All", 500_001)])
    assert codes(excinfo) == "bid_invalid"
    assert submit(freelancer, job, rate_cents=None, bid_cents=500_000, milestones=[MilestoneInput("All", 500_000)])


def test_every_screening_question_must_be_answered(owner, organization, freelancer, python_skill):
    job = job_create(
        user=owner, organization_id=organization.pk, fields=job_fields([python_skill], questions=["Which ORM?"])
    )
    job_publish(user=owner, job_id=job.pk)
    question = job.questions.get()
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job, answers={question.pk: "  "})
    assert codes(excinfo) == "answers_required"
    proposal = submit(freelancer, job, answers={question.pk: "Django's"})
    assert proposal.answers.get().text == "Django's"
    with pytest.raises(DomainError) as excinfo:
        job_update(user=owner, job_id=job.pk, fields=job_fields([python_skill], questions=["Something else?"]))
    assert codes(excinfo) == "questions_answered"


def test_proposal_attachments_are_checked_by_content(organization, freelancer):
    job = JobFactory(organization=organization)
    with pytest.raises(DomainError) as excinfo:
        submit(freelancer, job, attachments=[SimpleUploadedFile("cv.pdf", b"\x00\x01binary")])
    assert codes(excinfo) == "upload_type"
    proposal = submit(freelancer, job, attachments=[SimpleUploadedFile("cv.pdf", PDF)])
    assert proposal.attachments.get().content_type == "application/pdf"


def test_shortlist_decline_and_their_permissions(owner, member, other_client, organization, freelancer):
    job = JobFactory(organization=organization)
    proposal = submit(freelancer, job)
    with pytest.raises(NotFound):
        proposal_shortlist(user=other_client, proposal_id=proposal.pk)
    with pytest.raises(PermissionDenied):
        proposal_shortlist(user=member, proposal_id=proposal.pk)
    # The organization and the freelancer both see the proposal: the other side's moves are a 403, not a 404.
    with pytest.raises(PermissionDenied):
        proposal_withdraw(user=owner, proposal_id=proposal.pk)
    with pytest.raises(PermissionDenied):
        proposal_shortlist(user=freelancer, proposal_id=proposal.pk)
    with pytest.raises(PermissionDenied):
        proposal_decline(user=freelancer, proposal_id=proposal.pk)
    with pytest.raises(NotFound):
        proposal_withdraw(user=other_client, proposal_id=proposal.pk)
    assert proposal_shortlist(user=owner, proposal_id=proposal.pk).status == "shortlisted"
    assert proposal_decline(user=owner, proposal_id=proposal.pk).status == "declined"
    assert Notification.objects.filter(user=freelancer, kind="proposal_declined").exists()
    with pytest.raises(DomainError) as excinfo:
        proposal_shortlist(user=owner, proposal_id=proposal.pk)
    assert codes(excinfo) == "invalid_transition"


def test_mark_hired_from_submitted_or_shortlisted_only(organization, freelancer, owner):
    proposal = submit(freelancer, JobFactory(organization=organization))
    proposal_shortlist(user=owner, proposal_id=proposal.pk)
    proposal_mark_hired(proposal=proposal)
    assert proposal.status == Proposal.Status.HIRED
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.HIRED
    withdrawn = ProposalFactory(status=Proposal.Status.WITHDRAWN)
    with pytest.raises(DomainError) as excinfo:
        proposal_mark_hired(proposal=withdrawn)
    assert codes(excinfo) == "invalid_transition"


def test_the_window_refresh_follows_daylight_saving(organization):
    job = JobFactory(organization=organization, timezone="Europe/Lisbon", work_utc_start_minute=0, work_minutes=480)
    closed = JobFactory(
        organization=organization, status=Job.Status.CLOSED, close_reason="filled", work_utc_start_minute=0
    )
    assert job_windows_refresh() == 1
    job.refresh_from_db()
    closed.refresh_from_db()
    assert job.work_utc_start_minute in (480, 540)  # 09:00 Lisbon in summer or winter
    assert closed.work_utc_start_minute == 0
    assert job_windows_refresh() == 0
