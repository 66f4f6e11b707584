"""Shared pieces of the hourly tests: an hourly contract started on Monday 30 Nov 2026 (week 2026-W49) at
$40.00 an hour with an 8-hour weekly limit, UTC instants, and the ledger check after a cycle."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from payments.models import AccountKind
from payments.services import ledger
from tests.factories import ContractFactory

W49 = dt.date(2026, 11, 30)


def at(text: str) -> dt.datetime:
    """ "2026-12-02 10:00" → that instant in UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def hourly_contract(organization, freelancer, **terms):
    terms = {"hourly_rate_cents": 4000, "weekly_limit_hours": 8, **terms}
    return ContractFactory(
        offer__organization=organization,
        offer__freelancer=freelancer,
        offer__contract_type="hourly",
        offer__total_cents=None,
        offer__start_date=W49,
        offer__hourly_rate_cents=terms["hourly_rate_cents"],
        offer__weekly_limit_hours=terms["weekly_limit_hours"],
        contract_type="hourly",
        total_cents=None,
        hourly_rate_cents=terms["hourly_rate_cents"],
        weekly_limit_hours=terms["weekly_limit_hours"],
        start_date=W49,
    )


def balance(kind, user, currency="USD") -> int:
    account = ledger.user_account(kind, user, currency)
    account.refresh_from_db()
    return account.balance_cents


def pending(user) -> int:
    return balance(AccountKind.FREELANCER_PENDING, user)


def available(user) -> int:
    return balance(AccountKind.FREELANCER_AVAILABLE, user)


def ledger_ok() -> None:
    """`manage.py ledger_check` passes (it raises CommandError on any problem)."""
    call_command("ledger_check")


@pytest.fixture
def clock():
    """Move the clock: `clock("2026-12-02 10:00")` (UTC); the travel ends with the test."""
    travellers = []

    def _travel(text: str) -> dt.datetime:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(at(text), tick=False)
        traveller.start()
        travellers.append(traveller)
        return at(text)

    yield _travel
    for traveller in travellers:
        traveller.stop()
