"""Jobs' background work: thin, idempotent tasks that call services.

Services import this module at their top (to queue work after commit); tasks import services inside their body,
so the two never import each other at load time."""

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def saved_searches_notify() -> int:
    """Check every saved search for jobs published since its last check (beat, and after each publish)."""
    from jobs.selectors import saved_search_ids
    from jobs.services.saved_searches import saved_search_check

    return sum(saved_search_check(saved_search_id=pk) for pk in saved_search_ids())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def talent_index_refresh_stale() -> int:
    from jobs.search.index import talent_index_refresh_stale as refresh_stale

    return refresh_stale()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def job_windows_refresh() -> int:
    from jobs.services.jobs import job_windows_refresh as refresh

    return refresh()
