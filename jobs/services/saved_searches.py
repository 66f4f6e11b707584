"""Saved job searches and the check that tells their owner about new matching jobs."""

import dataclasses

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile
from jobs.models import (
    SavedSearch,
)
from jobs.search.params import parse_job_query
from jobs.search.query import job_search
from kernel.errors import DomainError, InvalidInput, NotFound
from messaging.services import notify


@transaction.atomic
def saved_search_create(*, user, name: str, query: str) -> SavedSearch:
    if not user.is_authenticated or not FreelancerProfile.objects.filter(user=user).exists():
        raise DomainError("freelancer_required", "Only freelancers can save job searches.")
    name = name.strip() or "My search"
    # Stored in the one canonical form (cents), so the worker reads exactly the filters that were asked for.
    canonical = parse_job_query(query, strict=True).to_query()
    if len(canonical) > 1000:
        raise InvalidInput("query_too_long", errors={"query": "This search has too many filters to save."})
    return SavedSearch.objects.create(user=user, name=name[:120], query=canonical, checked_until=timezone.now())


@transaction.atomic
def saved_search_delete(*, user, saved_search_id: int) -> None:
    deleted, _ = SavedSearch.objects.filter(pk=saved_search_id, user=user).delete()
    if not deleted:
        raise NotFound()


def saved_search_check(*, saved_search_id: int) -> int:
    """Notify the owner of jobs published since the last check that match the search; returns how many.

    Locks the saved search (skipping one another worker holds) so the beat run and a publish-triggered run never
    notify the same job twice.
    """
    with transaction.atomic():
        saved = (
            SavedSearch.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=saved_search_id)
            .first()
        )
        if saved is None:
            return 0
        cutoff = timezone.now()
        params = dataclasses.replace(
            parse_job_query(saved.query), sort="newest", page=1, published_after=saved.checked_until
        )
        page = job_search(params=params, user=saved.user, page_size=settings.SAVED_SEARCH_MAX_NOTIFIED)
        new_jobs = [hit.job for hit in page.results if hit.job.published_at <= cutoff]
        if new_jobs:
            titles = "\n".join(f"• {job.title}" for job in new_jobs)
            more = " and more" if page.has_more else ""
            notify(
                user=saved.user,
                kind="saved_search_match",
                title=f"{len(new_jobs)} new job{'s' if len(new_jobs) != 1 else ''}{more} for “{saved.name}”",
                body=titles,
                url=f"{reverse('jobs:search')}?{saved.query}",
                reference=f"saved_search:{saved.pk}",
            )
        saved.checked_until = cutoff
        saved.save(update_fields=["checked_until"])
        return len(new_jobs)
