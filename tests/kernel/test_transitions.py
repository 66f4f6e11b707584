"""The one transition function: the table is checked under a lock, only changed fields are saved, and the moves a
person may make come from the owning app's rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from jobs.models import Job, Proposal
from kernel.errors import DomainError, NotFound
from kernel.transitions import allowed_transitions, lock, transition
from tests.factories import FreelancerProfileFactory, JobFactory, MembershipFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_transition_sets_fields_and_saves_only_them():
    job = JobFactory(status=Job.Status.DRAFT, title="Before")
    with transaction.atomic():
        locked = lock(Job.objects, pk=job.pk)
        locked.title = "Changed in memory, never saved"
        previous = transition(
            locked, Job.Status.CLOSED, close_reason="filled", close_note="Filled elsewhere.", closed_at=timezone.now()
        )
    job.refresh_from_db()
    assert previous == Job.Status.DRAFT
    assert (job.status, job.close_note, job.title) == (Job.Status.CLOSED, "Filled elsewhere.", "Before")


def test_a_move_the_table_does_not_list_is_a_409_with_the_callers_code():
    job = JobFactory(status=Job.Status.CLOSED, close_reason="filled", closed_at=timezone.now())
    with transaction.atomic():
        locked = lock(Job.objects, pk=job.pk)
        with pytest.raises(DomainError) as exc:
            transition(locked, Job.Status.OPEN)
        assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
        with pytest.raises(DomainError) as exc:
            transition(locked, Job.Status.OPEN, refusal=("job_closed", "This job is closed."))
        assert (exc.value.code, exc.value.detail) == ("job_closed", "This job is closed.")
    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED


@pytest.mark.django_db(transaction=True)
def test_transition_outside_a_transaction_is_refused():
    job = JobFactory(status=Job.Status.DRAFT)
    with pytest.raises(RuntimeError):
        transition(job, Job.Status.OPEN)
    job.refresh_from_db()
    assert job.status == Job.Status.DRAFT


def test_lock_of_a_missing_row_is_not_found():
    with transaction.atomic(), pytest.raises(NotFound):
        lock(Job.objects, pk=0)


def test_allowed_transitions_are_the_table_cut_by_the_apps_rule():
    proposal = ProposalFactory()
    organization = proposal.job.organization
    hirer = MembershipFactory(organization=organization, role=Role.HIRING_MANAGER).user
    viewer = MembershipFactory(organization=organization, role=Role.MEMBER).user
    author = proposal.freelancer.user
    stranger = FreelancerProfileFactory().user

    assert allowed_transitions(proposal, hirer) == {"shortlisted", "declined", "hired"}
    assert allowed_transitions(proposal, author) == {"withdrawn"}
    assert allowed_transitions(proposal, viewer) == set()
    assert allowed_transitions(proposal, stranger) == set()
    assert allowed_transitions(proposal, AnonymousUser()) == set()
    assert allowed_transitions(proposal, None) == set()

    proposal.status = Proposal.Status.SHORTLISTED  # the table, not the rule, removes "shortlisted" now
    assert allowed_transitions(proposal, hirer) == {"declined", "hired"}
    proposal.status = Proposal.Status.WITHDRAWN
    assert allowed_transitions(proposal, hirer) == allowed_transitions(proposal, author) == set()


def test_job_moves_follow_the_post_jobs_permission_and_staff_moderate_in_the_admin_only():
    job = JobFactory(status=Job.Status.DRAFT)
    poster = MembershipFactory(organization=job.organization, role=Role.HIRING_MANAGER).user
    finance = MembershipFactory(organization=job.organization, role=Role.FINANCE).user
    staff = UserFactory(is_staff=True)
    assert allowed_transitions(job, poster) == {"open", "closed"}
    assert allowed_transitions(job, finance) == set()
    assert allowed_transitions(job, staff) == set()
