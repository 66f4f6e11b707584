"""The billing cycle of hourly contracts with the clock at chosen instants, the ledger checked after each run."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership, Role
from contracts.models import BillingDocument, Contract, Dispute, Timesheet
from contracts.services import billing, time_entries
from contracts.services import disputes as dispute_services
from contracts.services.timesheets import timesheet_dispute
from kernel.errors import DomainError, NotFound, PermissionDenied
from kernel.refs import Kind, ref
from messaging.models import Notification
from payments import fees
from payments.models import GatewayOperation, Hold, JournalEntry, OperationStatus
from payments.services import saga
from payments.services.holds import holds_release_matured
from tests.contracts.hourly_fixtures import at, available, hourly_contract, ledger_ok, pending
from tests.factories import PaymentMethodFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def hourly(organization, freelancer, members, card):
    return hourly_contract(organization, freelancer)


def log(contract, start: str, end: str, memo="Work"):
    return time_entries.entry_add(
        actor=contract.freelancer, contract_id=contract.pk, started_at=at(start), ended_at=at(end), memo=memo
    )


def ten_hours(contract, clock):
    clock("2026-12-02 18:00")
    log(contract, "2026-11-30 09:00", "2026-11-30 14:00")
    log(contract, "2026-12-01 09:00", "2026-12-01 14:00")


def test_worked_example_ten_hours_against_eight_bills_320_plus_16_and_pays_288_after_review_and_hold(hourly, clock):
    ten_hours(hourly, clock)
    sheet = Timesheet.objects.get(contract=hourly)
    assert (sheet.total_minutes, sheet.billable_minutes) == (600, 480)

    clock("2026-12-07 00:15")  # Monday: the week closes and the client is charged
    assert billing.billing_run().charged == 1
    sheet.refresh_from_db()
    assert (sheet.status, sheet.amount_cents, sheet.client_fee_cents) == ("in_review", 32_000, 1_600)
    charge = GatewayOperation.objects.get(reference=f"timesheet:{sheet.pk}")
    assert (charge.amount_cents, charge.fee_cents, charge.status) == (33_600, 1_600, OperationStatus.SUCCEEDED)
    invoice = BillingDocument.objects.get(timesheet=sheet, kind="invoice")
    statement = BillingDocument.objects.get(timesheet=sheet, kind="statement")
    assert (invoice.total_cents, statement.total_cents) == (33_600, 28_800)
    assert pending(hourly.freelancer) == 0
    ledger_ok()

    clock("2026-12-11 23:50")  # Friday: still in review, nothing released
    assert billing.billing_run().released == 0
    assert pending(hourly.freelancer) == 0

    clock("2026-12-12 00:10")  # Saturday: the review is over
    assert billing.billing_run().released == 1
    sheet.refresh_from_db()
    assert sheet.status == "paid"
    assert (pending(hourly.freelancer), available(hourly.freelancer)) == (28_800, 0)
    ledger_ok()

    clock("2026-12-16 23:00")  # the hold is not over yet
    holds_release_matured()
    assert available(hourly.freelancer) == 0
    clock("2026-12-17 00:20")  # Wednesday night: available
    holds_release_matured()
    assert (pending(hourly.freelancer), available(hourly.freelancer)) == (0, 28_800)
    ledger_ok()


def test_the_cycle_run_twice_charges_once_and_releases_once(hourly, clock):
    ten_hours(hourly, clock)
    clock("2026-12-07 00:15")
    first, second = billing.billing_run(), billing.billing_run()
    assert (first.charged, second.charged) == (1, 0)
    assert GatewayOperation.objects.filter(kind="charge").count() == 1
    clock("2026-12-12 00:10")
    assert [billing.billing_run().released, billing.billing_run().released] == [1, 0]
    assert pending(hourly.freelancer) == 28_800
    assert BillingDocument.objects.count() == 2
    ledger_ok()


def test_a_week_with_no_time_is_neither_invoiced_nor_charged(hourly, clock):
    clock("2026-12-07 00:15")
    outcome = billing.billing_run()
    assert (outcome.closed, outcome.charged) == (0, 0)
    assert not GatewayOperation.objects.exists() and not BillingDocument.objects.exists()


def test_a_weekly_limit_of_zero_records_time_and_bills_nothing(organization, freelancer, members, card, clock):
    contract = hourly_contract(organization, freelancer)
    clock("2026-11-30 12:00")
    from contracts.services.contracts import contract_terms_change

    contract_terms_change(actor=members["owner"], contract_id=contract.pk, hourly_rate_cents=4000, weekly_limit_hours=0)
    clock("2026-12-08 12:00")  # the new terms hold from the next Monday
    log(contract, "2026-12-08 09:00", "2026-12-08 11:00")
    sheet = Timesheet.objects.get(contract=contract)
    assert (sheet.weekly_limit_hours, sheet.total_minutes, sheet.billable_minutes) == (0, 120, 0)
    clock("2026-12-14 00:15")
    billing.billing_run()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.amount_cents) == ("approved", 0)
    assert not GatewayOperation.objects.exists() and not BillingDocument.objects.exists()


def test_a_declined_card_pauses_the_contract_tells_both_and_retries_daily_with_a_fresh_key(
    organization, freelancer, members, clock
):
    PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    contract = hourly_contract(organization, freelancer)
    ten_hours(contract, clock)
    clock("2026-12-07 00:15")
    assert billing.billing_run().failed == 1
    sheet = Timesheet.objects.get(contract=contract)
    contract.refresh_from_db()
    assert (sheet.status, contract.status, contract.pause_reason) == ("payment_failed", "paused", "charge_failed")
    assert Notification.objects.filter(kind="charge_failed", user=freelancer).exists()
    assert Notification.objects.filter(kind="charge_failed", user=members["owner"]).exists()
    with pytest.raises(Exception) as refused:
        time_entries.timer_start(actor=freelancer, contract_id=contract.pk)
    assert refused.value.code == "contract_not_active"
    assert billing.billing_run().failed == 0  # not due again the same day
    ledger_ok()

    for day in ("2026-12-08 00:20", "2026-12-09 00:25", "2026-12-10 00:30"):
        clock(day)
        assert billing.billing_run().failed == 1
    clock("2026-12-11 00:35")  # three retries made: no more
    assert billing.billing_run().failed == 0
    keys = list(GatewayOperation.objects.order_by("pk").values_list("idempotency_key", flat=True))
    assert keys == [f"timesheet:{sheet.pk}:charge:{n}" for n in (1, 2, 3, 4)]
    assert set(GatewayOperation.objects.values_list("status", flat=True)) == {"failed"}
    ledger_ok()


def test_a_retry_that_succeeds_charges_and_resumes_the_contract(organization, freelancer, members, clock):
    declining = PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    contract = hourly_contract(organization, freelancer)
    ten_hours(contract, clock)
    clock("2026-12-07 00:15")
    billing.billing_run()
    declining.is_default = False
    declining.save()
    PaymentMethodFactory(organization=organization)  # the client adds a good card
    clock("2026-12-08 00:20")
    assert billing.billing_run().charged == 1
    contract.refresh_from_db()
    sheet = Timesheet.objects.get(contract=contract)
    assert (contract.status, sheet.status, sheet.charge_attempts) == ("active", "in_review", 2)
    assert contract.events.filter(to_status="active", actor=None).exists()
    ledger_ok()


def test_one_contracts_failure_does_not_stop_the_others(organization, freelancer, members, card, clock, monkeypatch):
    first, second = hourly_contract(organization, freelancer), hourly_contract(organization, freelancer)
    clock("2026-12-02 18:00")
    log(first, "2026-11-30 09:00", "2026-11-30 10:00")
    log(second, "2026-11-30 11:00", "2026-11-30 12:00")
    real_close = billing.timesheet_close

    def broken(*, timesheet_id, now):
        if Timesheet.objects.get(pk=timesheet_id).contract_id == first.pk:
            raise RuntimeError("boom")
        return real_close(timesheet_id=timesheet_id, now=now)

    monkeypatch.setattr(billing, "timesheet_close", broken)
    clock("2026-12-07 00:15")
    outcome = billing.billing_run()
    assert outcome.charged == 1 and len(outcome.errors) == 1
    assert Timesheet.objects.get(contract=second).status == "in_review"
    ledger_ok()


def test_disputed_hours_stay_in_escrow_and_the_rest_is_released(hourly, clock, members):
    ten_hours(hourly, clock)
    clock("2026-12-07 00:15")
    billing.billing_run()
    sheet = Timesheet.objects.get(contract=hourly)
    clock("2026-12-09 12:00")
    timesheet_dispute(actor=members["owner"], timesheet_id=sheet.pk, minutes=120, reason="Tuesday was not agreed.")
    clock("2026-12-12 00:10")
    billing.billing_run()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.disputed_cents, sheet.released_cents) == ("disputed", 8_000, 24_000)
    held = Hold.objects.get(reference=f"timesheet:{sheet.pk}")
    assert (held.amount_cents, held.status) == (8_000, "pending")
    assert pending(hourly.freelancer) == 21_600
    ledger_ok()


def test_the_command_runs_every_step_due_at_now(hourly, clock, capsys):
    ten_hours(hourly, clock)
    clock("2026-12-02 18:00")
    call_command("run_billing_cycle", "--now", "2026-12-07T00:15:00Z")
    assert Timesheet.objects.get(contract=hourly).status == "in_review"
    ledger_ok()
    assert "charged 1" in capsys.readouterr().out


def test_a_paused_contract_is_still_billed_for_its_week(hourly, clock, members):
    from contracts.services.contracts import contract_pause

    ten_hours(hourly, clock)
    contract_pause(actor=members["owner"], contract_id=hourly.pk, reason="Budget review")
    clock("2026-12-07 00:15")
    assert billing.billing_run().charged == 1
    assert Contract.objects.get(pk=hourly.pk).status == "paused"


def test_the_command_limits_itself_to_one_week_and_refuses_a_bad_one(hourly, clock):
    from django.core.management.base import CommandError

    ten_hours(hourly, clock)
    clock("2026-12-07 00:15")
    call_command("run_billing_cycle", "--week", "2026-W48")
    assert Timesheet.objects.get(contract=hourly).status == "open"
    call_command("run_billing_cycle", "--week", "2026-W49")
    assert Timesheet.objects.get(contract=hourly).status == "in_review"
    for bad in (["--week", "2026-W60"], ["--week", "last"], ["--now", "monday"], ["--now", "2026-12-07T00:15:00"]):
        with pytest.raises(CommandError):
            call_command("run_billing_cycle", *bad)


def test_now_alone_also_runs_fixed_price_auto_approval_and_maturing_holds(contract, milestone, fund, submit, clock):
    clock("2026-12-01 10:00")
    fund(milestone)
    submit(milestone)
    clock("2026-12-16 10:00")
    call_command("run_billing_cycle", "--now", "2026-12-16T10:00:00Z")  # 15 days later: auto-approved, released
    milestone.refresh_from_db()
    assert milestone.status == "approved"
    assert pending(contract.freelancer) == 9_000
    call_command("run_billing_cycle", "--now", "2026-12-21T10:00:00Z")  # the security hold is over
    assert available(contract.freelancer) == 9_000
    ledger_ok()


def test_a_bonus_long_after_the_end_is_refused(hourly, members, clock):
    from contracts.services import bonuses
    from contracts.services.contracts import contract_end

    clock("2026-12-02 10:00")
    contract_end(actor=members["owner"], contract_id=hourly.pk, outcome="completed", reason="Done")
    clock("2026-12-20 10:00")
    paid = bonuses.bonus_pay(
        actor=members["owner"], contract_id=hourly.pk, amount_cents=5_000, note="Thanks", idempotency_key="k1"
    )
    assert paid.status == "paid"
    clock("2027-01-05 10:00")
    with pytest.raises(DomainError) as refused:
        bonuses.bonus_pay(
            actor=members["owner"], contract_id=hourly.pk, amount_cents=5_000, note="Late", idempotency_key="k2"
        )
    assert refused.value.code == "contract_ended"
    ledger_ok()


def test_a_charge_whose_answer_was_lost_is_finished_by_reconcile_and_the_week_goes_to_review(
    hourly, clock, monkeypatch
):
    from datetime import timedelta

    from payments.gateway.base import GatewayUnavailable
    from payments.gateway.sandbox import SandboxGateway
    from payments.services.reconcile import reconcile_pending

    ten_hours(hourly, clock)
    real = SandboxGateway.charge

    def charge_then_lose_the_answer(self, **kwargs):
        real(self, **kwargs)
        raise GatewayUnavailable("connection reset")

    monkeypatch.setattr(SandboxGateway, "charge", charge_then_lose_the_answer)
    clock("2026-12-07 00:15")
    outcome = billing.billing_run()
    assert (outcome.charged, outcome.failed) == (0, 0)
    sheet = Timesheet.objects.get(contract=hourly)
    assert sheet.status == "open" and sheet.charge_key
    assert billing.billing_run().charged == 0  # the attempt at the gateway is not made again
    monkeypatch.undo()
    assert reconcile_pending(older_than=timedelta(0)) == 1
    sheet.refresh_from_db()
    assert (sheet.status, sheet.charge_key) == ("in_review", "")
    assert GatewayOperation.objects.filter(kind="charge").count() == 1
    assert BillingDocument.objects.filter(timesheet=sheet).count() == 2
    ledger_ok()


# --- Disputed hours: a real dispute, resolved like a milestone's ---


@pytest.fixture
def staff(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["resolve_dispute", "view_dispute"]))
    return user


def in_review(hourly, clock) -> Timesheet:
    ten_hours(hourly, clock)
    clock("2026-12-07 00:15")
    billing.billing_run()
    clock("2026-12-09 12:00")
    return Timesheet.objects.get(contract=hourly)


def dispute_hours(actor, sheet, minutes=120):
    return timesheet_dispute(actor=actor, timesheet_id=sheet.pk, minutes=minutes, reason="Tuesday was not agreed.")


def test_disputing_hours_opens_a_dispute_for_the_client_only_in_review_and_once(hourly, clock, members):
    sheet = in_review(hourly, clock)
    with pytest.raises((NotFound, PermissionDenied)):
        dispute_hours(hourly.freelancer, sheet)
    with pytest.raises(PermissionDenied):
        dispute_hours(members[Role.HIRING_MANAGER], sheet)
    finance = members[Role.FINANCE]
    Membership.objects.filter(user=finance).delete()  # removed from the organization
    with pytest.raises(NotFound):
        dispute_hours(finance, sheet)
    assert not Dispute.objects.exists()

    dispute_hours(members[Role.OWNER], sheet)
    dispute = Dispute.objects.get()
    assert (dispute.subject_reference, dispute.milestone, dispute.amount_cents) == (
        ref(Kind.TIMESHEET, sheet.pk),
        None,
        8_000,
    )
    assert (dispute.opened_by_side, dispute.status) == ("client", "open")
    assert dispute.respond_by == at("2026-12-09 12:00") + dt.timedelta(days=settings.DISPUTE_RESPONSE_DAYS)
    assert (dispute.hold.amount_cents, dispute.hold.cause) == (8_000, ref(Kind.DISPUTE, dispute.pk))
    assert Notification.objects.filter(user=hourly.freelancer, kind="dispute_opened").exists()
    with pytest.raises(DomainError) as exc:
        dispute_hours(members[Role.OWNER], sheet, minutes=60)
    assert exc.value.code == "not_in_review"
    assert Dispute.objects.count() == 1
    ledger_ok()


def test_hours_cannot_be_disputed_after_the_review(hourly, clock, members):
    in_review(hourly, clock)
    sheet = Timesheet.objects.get(contract=hourly)
    clock("2026-12-12 00:10")
    with pytest.raises(DomainError) as exc:
        dispute_hours(members[Role.OWNER], sheet)
    assert exc.value.code == "review_over"
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("resolution", "split", "to_freelancer"),
    [("released", None, 8_000), ("refunded", None, 0), ("split", 3_000, 3_000)],
)
def test_each_resolution_of_disputed_hours_is_one_entry_and_the_week_ends_paid(
    hourly, clock, members, staff, resolution, split, to_freelancer
):
    sheet = in_review(hourly, clock)
    dispute_hours(members[Role.OWNER], sheet)
    clock("2026-12-12 00:10")
    billing.billing_run()  # the undisputed 240 released; the disputed 80 stays held
    dispute = Dispute.objects.get()
    resolved = dispute_services.dispute_resolve(
        staff=staff, dispute_id=dispute.pk, resolution=resolution, freelancer_cents=split, reason="Per the logs."
    )
    assert (resolved.status, resolved.freelancer_cents, resolved.client_cents) == (
        "resolved",
        to_freelancer,
        8_000 - to_freelancer,
    )
    assert JournalEntry.objects.filter(hold__dispute=dispute).count() == 1
    sheet.refresh_from_db()
    assert (sheet.status, sheet.released_cents) == ("paid", 24_000 + to_freelancer)
    assert pending(hourly.freelancer) == 21_600 + to_freelancer - fees.freelancer_fee(to_freelancer)
    assert saga.escrow_balance(escrow_reference=hourly.escrow_reference) == 0
    ledger_ok()
    assert billing.billing_run().released == 0  # nothing left to release, nothing released twice
    ledger_ok()


def test_a_settlement_agreed_during_the_review_is_finished_by_the_release(hourly, clock, members):
    sheet = in_review(hourly, clock)
    dispute_hours(members[Role.OWNER], sheet)
    dispute = Dispute.objects.get()
    offer = dispute_services.settlement_propose(actor=hourly.freelancer, dispute_id=dispute.pk, freelancer_cents=4_000)
    dispute_services.settlement_accept(actor=members[Role.OWNER], dispute_id=dispute.pk, offer_id=offer.pk)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.released_cents, sheet.released_at) == ("disputed", 4_000, None)
    ledger_ok()
    clock("2026-12-12 00:10")
    assert billing.billing_run().released == 1
    sheet.refresh_from_db()
    assert (sheet.status, sheet.released_cents) == ("paid", 28_000)
    assert pending(hourly.freelancer) == 28_000 - fees.freelancer_fee(24_000) - fees.freelancer_fee(4_000)
    ledger_ok()


def test_the_dispute_pages_and_api_show_the_disputed_week(client, hourly, clock, members):
    sheet = in_review(hourly, clock)
    dispute_hours(members[Role.OWNER], sheet)
    dispute = Dispute.objects.get()
    for user in (members[Role.OWNER], hourly.freelancer):
        client.force_login(user)
        page = client.get(reverse("contracts:dispute_detail", args=[dispute.pk])).content.decode()
        assert "Hours of the week of 30 Nov 2026" in page and "Tuesday was not agreed." in page
        assert "hours of the week of 30 Nov 2026" in client.get(reverse("contracts:dispute_list")).content.decode()
        (row,) = client.get("/api/v1/disputes/").json()["results"]
        assert (row["week_start"], row["subject"], row["milestone"]) == (
            "2026-11-30",
            "Hours of the week of 30 Nov 2026",
            None,
        )
    client.force_login(UserFactory())
    assert client.get(reverse("contracts:dispute_detail", args=[dispute.pk])).status_code == 404
