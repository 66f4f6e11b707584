"""Periodic work for offers and milestones: thin tasks that call the services (which are safe to run twice)."""

from celery import shared_task
from django.db import OperationalError

from contracts.services import disputes, feedback, milestones, offers, score


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def offers_expire_due() -> int:
    return offers.offers_expire_due()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def milestones_auto_approve_due() -> int:
    return milestones.milestones_auto_approve_due()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def feedback_reveal_due() -> int:
    return feedback.feedback_reveal_due()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def job_success_refresh_all() -> int:
    return score.job_success_refresh_all()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def disputes_clock() -> list[int]:
    return list(disputes.disputes_clock())
