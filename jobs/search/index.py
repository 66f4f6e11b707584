"""The search index: a job's tsvector and a freelancer's talent row, rebuilt from their current fields."""

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import F, Q, Value

from accounts.models import FreelancerProfile
from jobs.models import (
    Job,
    TalentIndex,
)

SEARCH_CONFIG = "english"


def job_reindex(job: Job) -> None:
    """Rewrite the job's denormalised search columns from its current text and skills (call after every change)."""
    skills = list(job.skills.order_by("id").values_list("id", "name"))
    job.skill_ids = [pk for pk, _name in skills]
    updates: dict = {"skill_ids": job.skill_ids}
    if connection.vendor == "postgresql":
        names = " ".join(name for _pk, name in skills)
        updates["search_vector"] = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector(Value(names), weight="B", config=SEARCH_CONFIG)
            + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        )
    Job.objects.filter(pk=job.pk).update(**updates)


def talent_index_refresh(*, profile: FreelancerProfile) -> TalentIndex:
    """Rebuild the talent search row of one profile from its current fields, skills and languages."""
    with transaction.atomic():
        skills = list(profile.skills.order_by("id").values_list("id", "name"))
        languages = sorted(profile.languages.values_list("code", flat=True))
        row, _ = TalentIndex.objects.update_or_create(
            profile=profile,
            defaults={
                "skill_ids": [pk for pk, _ in skills],
                "language_codes": languages,
                "hourly_rate_cents": profile.hourly_rate_cents,
                "job_success_score": profile.job_success_score,
                "country": str(profile.country or ""),
                "work_utc_start_minute": profile.work_utc_start_minute,
                "work_minutes": profile.work_minutes,
                "profile_updated_at": profile.updated_at,
            },
        )
        if connection.vendor == "postgresql":
            names = " ".join(name for _pk, name in skills)
            TalentIndex.objects.filter(pk=row.pk).update(
                search_vector=SearchVector(Value(profile.headline), weight="A", config=SEARCH_CONFIG)
                + SearchVector(Value(names), weight="B", config=SEARCH_CONFIG)
                + SearchVector(Value(profile.overview), weight="C", config=SEARCH_CONFIG)
            )
        return row


def talent_index_refresh_stale(*, limit: int = 1000) -> int:
    """Refresh the rows of profiles changed since their row was built (and index new profiles); returns how many."""
    stale = FreelancerProfile.objects.filter(
        Q(talent_index__isnull=True) | Q(updated_at__gt=F("talent_index__profile_updated_at"))
    ).order_by("updated_at")[:limit]
    count = 0
    for profile in stale:
        talent_index_refresh(profile=profile)
        count += 1
    return count
