"""The billing cycle on a real Celery worker over Redis: the beat task is sent by name as beat sends it, fans out
one task per contract, and the worker closes, charges and later releases each week in the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from contracts.models import Timesheet
from contracts.services import time_entries
from marketplace.celery import app
from payments.models import GatewayOperation
from tests.contracts.hourly_fixtures import at, hourly_contract, ledger_ok, pending
from tests.factories import PaymentMethodFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker process on this test database and the suite's Redis database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "REDIS_URL": settings.REDIS_URL,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    app.control.purge()
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool=solo", "--loglevel=WARNING",
         "--hostname=hourly-worker@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield process
    process.terminate()
    process.wait(timeout=30)


def until(check, deadline_s: float = 60):
    """Poll the database until `check()` holds (the worker commits in its own process)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_runs_the_weekly_cycle_for_every_contract(worker, organization, freelancer):
    PaymentMethodFactory(organization=organization)
    contracts = [hourly_contract(organization, freelancer) for _ in range(3)]
    with time_machine.travel(at("2026-12-04 18:00"), tick=False):
        for hour, contract in zip((8, 11, 14), contracts, strict=True):
            time_entries.entry_add(
                actor=freelancer,
                contract_id=contract.pk,
                started_at=at(f"2026-12-01 {hour:02d}:00"),
                ended_at=at(f"2026-12-01 {hour + 2:02d}:00"),
            )

    app.send_task("contracts.tasks.billing_cycle_fan_out", kwargs={"now": "2026-12-07T00:15:00+00:00"})
    assert until(lambda: Timesheet.objects.filter(status="in_review").count() == 3)
    ledger_ok()
    app.send_task("contracts.tasks.billing_cycle_fan_out", kwargs={"now": "2026-12-07T00:30:00+00:00"})
    app.send_task("contracts.tasks.billing_cycle_fan_out", kwargs={"now": "2026-12-12T00:10:00+00:00"})
    assert until(lambda: Timesheet.objects.filter(status="paid").count() == 3)
    assert pending(freelancer) == 3 * 7_200  # 2 h × $40 less the 10% fee, per contract
    assert GatewayOperation.objects.filter(kind="charge").count() == 3
    ledger_ok()
