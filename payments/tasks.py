"""Periodic money jobs: thin, idempotent, safe to run twice or side by side (each lot and each operation is
settled under its own row lock, once)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from payments.services.holds import holds_release_matured
from payments.services.reconcile import reconcile_pending


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def release_matured_holds() -> int:
    return holds_release_matured()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def reconcile_pending_operations() -> int:
    return reconcile_pending(older_than=timedelta(minutes=settings.RECONCILE_AFTER_MINUTES))
