import datetime as dt

import time_machine

from accounts.demo import seed_accounts
from contracts.demo import seed_contracts, seed_hourly_contract
from contracts.models import BillingDocument, Contract, Milestone, Timesheet
from payments.selectors import ledger_problems
from tests.contracts.hourly_fixtures import W49, at, pending


def test_the_demo_step_makes_one_funded_fixed_contract_once(db):
    seed_accounts(log=lambda line: None)
    lines: list[str] = []
    seed_contracts(log=lines.append)
    seed_contracts(log=lines.append)
    contract = Contract.objects.get()
    assert contract.organization.memberships.filter(user__email="client@demo.test").exists()
    assert contract.freelancer.email == "freelancer@demo.test"
    assert list(contract.milestones.values_list("status", flat=True)) == [
        Milestone.Status.FUNDED,
        Milestone.Status.PENDING,
        Milestone.Status.PENDING,
    ]
    assert len(lines) == 2
    assert ledger_problems() == []


def test_the_hourly_demo_step_makes_a_paid_past_week_and_this_weeks_time_once(db):
    seed_accounts(log=lambda line: None)
    lines: list[str] = []
    with time_machine.travel(at("2026-12-03 15:05"), tick=False):  # a Thursday afternoon of week W49
        seed_hourly_contract(log=lines.append)
        seed_hourly_contract(log=lines.append)

    contract = Contract.objects.get(contract_type="hourly")
    assert contract.status == Contract.Status.ACTIVE
    assert contract.freelancer.email == "freelancer@demo.test"
    assert contract.organization.memberships.filter(user__email="client@demo.test").exists()
    paid_week = W49 - dt.timedelta(weeks=2)
    assert contract.start_date == paid_week
    weeks = dict(contract.timesheets.values_list("week_start", "status"))
    assert weeks == {paid_week: Timesheet.Status.PAID, W49: Timesheet.Status.OPEN}
    paid = contract.timesheets.get(week_start=paid_week)
    assert paid.entries.count() == 4 and paid.amount_cents > 0 and paid.released_cents == paid.amount_cents
    assert set(paid.documents.values_list("kind", flat=True)) == {BillingDocument.Kind.INVOICE, "statement"}
    # Monday to Wednesday so far; Thursday's 14:00–17:20 has not ended yet.
    this_week = contract.timesheets.get(week_start=W49)
    assert this_week.entries.count() == 3 and this_week.total_minutes == 210 + 180 + 90
    assert pending(contract.freelancer) > 0
    assert len(lines) == 2  # the card, then the contract: once
    assert ledger_problems() == []
