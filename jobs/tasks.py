"""Jobs' background work: thin, idempotent tasks that call services."""

from celery import shared_task
from django.db import OperationalError

from jobs import selectors, services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def saved_searches_notify() -> int:
    """Check every saved search for jobs published since its last check (beat, and after each publish)."""
    return sum(services.saved_search_check(saved_search_id=pk) for pk in selectors.saved_search_ids())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def talent_index_refresh_stale() -> int:
    return services.talent_index_refresh_stale()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def job_windows_refresh() -> int:
    return services.job_windows_refresh()
