"""PostgreSQL only: the search really uses its GIN indexes, and the weekly limit holds under concurrency."""

import threading

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection, connections, transaction

from jobs.models import Job, Proposal, TalentIndex
from jobs.search.index import talent_index_refresh
from jobs.search.params import JobSearchParams
from jobs.search.query import job_base, job_candidates
from jobs.services.proposals import proposal_submit
from kernel.errors import DomainError
from tests.factories import JobFactory, OrganizationFactory, ProposalFactory, SkillFactory

pytestmark = pytest.mark.postgres


def bulk_jobs(count: int, skill) -> None:
    """Many ordinary open jobs, indexed in one statement, and fresh planner statistics."""
    from django.contrib.postgres.search import SearchVector
    from django.utils import timezone

    organization = OrganizationFactory()
    now = timezone.now()
    jobs = Job.objects.bulk_create(
        Job(
            organization=organization,
            title=f"Ordinary web job {i}",
            description="Forms, tables and a login page.",
            category="development",
            budget_type="hourly",
            rate_min_cents=1000,
            rate_max_cents=2000,
            duration="lt_1m",
            experience_level="entry",
            status="open",
            published_at=now,
            skill_ids=[skill.pk],
        )
        for i in range(count)
    )
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(
        search_vector=SearchVector("title", weight="A", config="english")
        + SearchVector("description", weight="C", config="english")
    )
    with connection.cursor() as cursor:
        # Fresh rows wait in each GIN index's pending list, which the planner prices as a full read: merge them
        # first, or the plan depends on what earlier tests left behind.
        for index in ("job_search_vector_gin", "job_skill_ids_gin"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE jobs_job")


def explain(queryset) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@pytest.mark.django_db
def test_text_search_uses_the_gin_index_on_the_search_vector():
    JobFactory(title="Kotlin multiplatform")
    bulk_jobs(2000, SkillFactory(name="HTML"))
    query = SearchQuery("kotlin", search_type="websearch", config="english")
    plan = explain(job_candidates(job_base(JobSearchParams(q="kotlin"), None), query))
    assert "job_search_vector_gin" in plan, plan


@pytest.mark.django_db
def test_skill_filter_uses_the_gin_index_on_skill_ids():
    skill = SkillFactory(name="Rust")
    JobFactory(title="Rust job", skills=[skill])
    bulk_jobs(2000, SkillFactory(name="HTML"))
    plan = explain(job_base(JobSearchParams(skill_ids=(skill.pk,)), None).filter(status="open").values("id"))
    assert "job_skill_ids_gin" in plan, plan


@pytest.mark.django_db
def test_talent_search_uses_its_gin_index():
    from tests.factories import FreelancerProfileFactory

    for _ in range(10):
        talent_index_refresh(profile=FreelancerProfileFactory())
    query = SearchQuery("kotlin", search_type="websearch", config="english")
    plan = explain(TalentIndex.objects.filter(search_vector=query).values("profile_id"))
    assert "talent_search_vector_gin" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_cannot_both_be_the_last_allowed(settings):
    """Two threads each send the freelancer's last allowed proposal, to two jobs, at once: exactly one succeeds."""
    settings.PROPOSALS_PER_WEEK = 2
    existing = ProposalFactory(status=Proposal.Status.WITHDRAWN)
    user = existing.freelancer.user
    jobs = [JobFactory(), JobFactory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send(job):
        try:
            barrier.wait()
            proposal_submit(user=user, job_id=job.pk, cover_letter="Me", estimated_duration="lt_1m", rate_cents=5000)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "proposal_weekly_limit"]
    assert Proposal.objects.filter(freelancer=existing.freelancer).count() == 2
