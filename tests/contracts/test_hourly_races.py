"""The billing cycle under concurrency and at size: two workers on one contract charge once; due contracts are
read in batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.services import billing, time_entries
from payments.models import GatewayOperation
from tests.concurrency.helpers import race
from tests.contracts.hourly_fixtures import at, hourly_contract, ledger_ok, pending


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_contract_charge_and_release_once(organization, freelancer, members, card, clock):
    contract = hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    time_entries.entry_add(
        actor=freelancer, contract_id=contract.pk, started_at=at("2026-12-01 09:00"), ended_at=at("2026-12-01 19:00")
    )
    monday = clock("2026-12-07 00:15")
    race(*[lambda: billing.contract_billing_run(contract_id=contract.pk, now=monday)] * 3)
    assert GatewayOperation.objects.filter(kind="charge").count() == 1
    saturday = clock("2026-12-12 00:10")
    race(*[lambda: billing.contract_billing_run(contract_id=contract.pk, now=saturday)] * 3)
    assert pending(freelancer) == 28_800
    ledger_ok()


@pytest.mark.django_db
def test_due_contracts_are_read_in_batches_of_constant_cost(organization, freelancer, members, clock):
    contracts = [hourly_contract(organization, freelancer) for _ in range(7)]
    clock("2026-12-04 18:00")
    for hour, contract in enumerate(contracts):
        time_entries.entry_add(
            actor=freelancer,
            contract_id=contract.pk,
            started_at=at(f"2026-12-01 {hour + 8:02d}:00"),
            ended_at=at(f"2026-12-01 {hour + 8:02d}:30"),
        )
    monday = clock("2026-12-07 00:15")
    with CaptureQueriesContext(connection) as queries:
        ids = list(billing.due_contract_ids(now=monday, batch_size=3))
    assert ids == sorted(c.pk for c in contracts)
    assert len(queries) == 3  # ceil(7 / 3) keyset pages, each one query
