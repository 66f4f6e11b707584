"""Periodic work for offers, milestones and hourly billing: thin tasks that call the services (safe to run twice)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from contracts.services import billing, disputes, feedback, milestones, offers, score


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def offers_expire_due() -> int:
    return offers.offers_expire_due()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def milestones_auto_approve_due() -> int:
    return milestones.milestones_auto_approve_due()


# --- The hourly billing cycle: one beat task fans out one task per contract, so any number of workers share it ---


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def billing_cycle_fan_out(now: str | None = None) -> int:
    """Queue one `billing_contract_run` per contract with a step due (read in batches, no locks held)."""
    instant = dt.datetime.fromisoformat(now) if now else timezone.now()
    queued = 0
    for contract_id in billing.due_contract_ids(now=instant):
        billing_contract_run.delay(contract_id=contract_id, now=now)
        queued += 1
    return queued


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def billing_contract_run(contract_id: int, now: str | None = None) -> dict:
    """Every billing step due for one contract; safe to run twice (each step re-checks under its lock)."""
    instant = dt.datetime.fromisoformat(now) if now else timezone.now()
    outcome = billing.contract_billing_run(contract_id=contract_id, now=instant)
    return {
        "closed": outcome.closed,
        "charged": outcome.charged,
        "failed": outcome.failed,
        "released": outcome.released,
    }


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def feedback_reveal_due() -> int:
    return feedback.feedback_reveal_due()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def job_success_refresh_all() -> int:
    return score.job_success_refresh_all()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def disputes_clock() -> list[int]:
    return list(disputes.disputes_clock())
