"""Milestones: every transition, every refusal, and the money each one moves."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from contracts.models import Milestone, MilestoneEvent
from contracts.services import milestones as services
from contracts.services.offers import MilestoneTerms
from kernel.errors import DomainError, NotFound, PermissionDenied
from kernel.transitions import allowed_transitions
from messaging.models import Notification
from payments import fees
from payments.gateway.base import GatewayPending, GatewayUnavailable
from payments.gateway.sandbox import SandboxGateway
from payments.models import GatewayOperation, JournalEntry, SandboxRecord
from payments.selectors import ledger_problems, wallet_for
from payments.services import saga
from payments.services.reconcile import reconcile_pending
from payments.services.saga import escrow_balance
from tests.factories import ContractFactory, MembershipFactory, MilestoneFactory, PaymentMethodFactory

S = Milestone.Status


def escrow_of(contract) -> int:
    return escrow_balance(escrow_reference=f"contract:{contract.pk}")


def refreshed(milestone) -> Milestone:
    milestone.refresh_from_db()
    return milestone


# --- Funding ---


def test_funding_charges_amount_plus_client_fee_into_escrow(fund, milestone, contract, freelancer):
    fund(milestone)
    assert refreshed(milestone).status == S.FUNDED
    assert milestone.funded_at is not None
    assert escrow_of(contract) == 10_000
    charge = SandboxRecord.objects.get(kind="charge")
    assert charge.amount_cents == fees.charge_total(10_000)[0] == 10_500
    event = milestone.events.get()
    assert (event.from_status, event.to_status) == (S.PENDING, S.FUNDED)
    assert Notification.objects.filter(user=freelancer, kind="milestone_funded").exists()
    assert ledger_problems() == []


def test_funding_twice_with_one_key_makes_one_entry(owner, card, milestone, contract):
    first = services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="same-click")
    second = services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="same-click")
    assert first.pk == second.pk and second.status == S.FUNDED
    assert JournalEntry.objects.count() == 1
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert milestone.events.count() == 1
    assert escrow_of(contract) == 10_000


def test_funding_a_funded_milestone_with_a_new_key_is_refused(fund, owner, milestone):
    fund(milestone)
    with pytest.raises(DomainError) as exc:
        services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="another")
    assert exc.value.code == "milestone_already_funded"
    assert JournalEntry.objects.count() == 1


def test_a_declined_card_leaves_the_milestone_unfunded_and_free_to_retry(organization, owner, milestone, contract):
    declining = PaymentMethodFactory(organization=organization, card_number="4000000000000341")
    with pytest.raises(DomainError) as exc:
        services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="try-1")
    assert exc.value.code == "card_declined"
    assert refreshed(milestone).status == S.PENDING
    assert escrow_of(contract) == 0
    assert not milestone.events.exists()

    declining.delete()
    PaymentMethodFactory(organization=organization)
    services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="try-2")
    assert refreshed(milestone).status == S.FUNDED


def test_funding_without_a_card_asks_for_one(owner, milestone):
    with pytest.raises(DomainError) as exc:
        services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="k")
    assert exc.value.code == "payment_method_required"
    assert refreshed(milestone).status == S.PENDING


def test_funding_someone_elses_contract_is_not_found(card, milestone):
    stranger = MembershipFactory(role=Role.OWNER).user
    PaymentMethodFactory(organization=stranger.memberships.get().organization)
    with pytest.raises(NotFound):
        services.milestone_fund(actor=stranger, milestone_id=milestone.pk, request_key="k")
    assert refreshed(milestone).status == S.PENDING


@pytest.mark.parametrize("role", [Role.HIRING_MANAGER, Role.MEMBER])
def test_members_without_fund_and_the_freelancer_cannot_fund(members, freelancer, card, milestone, role):
    for actor in (members[role], freelancer):
        with pytest.raises(PermissionDenied):
            services.milestone_fund(actor=actor, milestone_id=milestone.pk, request_key="k")


def test_finance_may_fund(members, card, milestone):
    services.milestone_fund(actor=members[Role.FINANCE], milestone_id=milestone.pk, request_key="k")
    assert refreshed(milestone).status == S.FUNDED


def test_a_charge_in_flight_refuses_another_key_and_reconcile_funds_the_milestone(
    owner, freelancer, card, milestone, contract, monkeypatch
):
    """The gateway charged, then the answer was lost: the milestone waits (another key is refused while the
    charge is in flight), and reconcile settling the charge makes it funded and tells both sides."""
    real = SandboxGateway.charge

    def charge_then_lose_answer(self, **kwargs):
        real(self, **kwargs)
        raise GatewayUnavailable("connection reset")

    monkeypatch.setattr(SandboxGateway, "charge", charge_then_lose_answer)
    with pytest.raises(DomainError) as exc:
        services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="lost")
    assert exc.value.code == "gateway_unavailable"
    monkeypatch.undo()
    assert refreshed(milestone).status == S.PENDING
    with pytest.raises(DomainError) as exc:
        services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="other")
    assert exc.value.code == "operation_in_progress"

    assert reconcile_pending(older_than=dt.timedelta(0)) == 1
    assert refreshed(milestone).status == S.FUNDED
    assert milestone.events.get().actor == owner
    assert Notification.objects.filter(user=freelancer, kind="milestone_funded").exists()
    assert Notification.objects.filter(user=owner, kind="milestone_funded").exists()
    assert SandboxRecord.objects.filter(kind="charge").count() == 1
    assert escrow_of(contract) == 10_000
    assert ledger_problems() == []


def charge_marked_failed(owner, milestone):
    """A charge for the milestone that reconcile failed because the gateway said it had none."""
    contract = milestone.contract
    with transaction.atomic():
        op = saga.begin_charge(
            payer=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=milestone.amount_cents,
            currency="USD",
            reference=f"milestone:{milestone.pk}",
            idempotency_key="lost",
            actor=owner,
        )
    return saga.operation_failed(operation_id=op.pk, code="payment_failed", detail="The gateway has no record of it.")


def test_a_late_success_of_a_failed_charge_funds_the_milestone(owner, freelancer, card, milestone, contract):
    """Reconcile marked a charge failed (the gateway said it had none); Stripe's payment_intent.succeeded then
    arrives: the charge reopens and the milestone is funded, not refused forever."""
    op = charge_marked_failed(owner, milestone)
    assert refreshed(milestone).status == S.PENDING
    saga.operation_succeeded(operation_id=op.pk, gateway_id="pi_late")
    assert refreshed(milestone).status == S.FUNDED
    assert escrow_of(contract) == 10_000
    assert ledger_problems() == []


def test_a_late_success_for_a_milestone_funded_meanwhile_is_refunded(
    owner, card, milestone, contract, django_capture_on_commit_callbacks
):
    op = charge_marked_failed(owner, milestone)
    services.milestone_fund(actor=owner, milestone_id=milestone.pk, request_key="retry")
    assert refreshed(milestone).status == S.FUNDED
    # The gateway did capture the first charge after all: nobody wants it, so it goes back to the card.
    SandboxRecord.objects.create(kind="charge", object_id="sb_ch_late", idempotency_key="lost", amount_cents=10_500)
    with django_capture_on_commit_callbacks(execute=True):
        saga.operation_succeeded(operation_id=op.pk, gateway_id="sb_ch_late")
    assert refreshed(milestone).status == S.FUNDED
    refund = GatewayOperation.objects.get(kind="refund")
    assert (refund.status, refund.parent_id, refund.amount_cents) == ("succeeded", op.pk, 10_500)
    assert escrow_of(contract) == 10_000
    assert ledger_problems() == []


# --- Submitting ---


def test_the_freelancer_cannot_submit_an_unfunded_milestone(submit, milestone):
    with pytest.raises(DomainError) as exc:
        submit(milestone)
    assert exc.value.code == "milestone_not_funded"
    assert refreshed(milestone).status == S.PENDING


def test_submitting_records_message_and_files_checked_by_content(fund, freelancer, milestone, members):
    fund(milestone)
    pdf = SimpleUploadedFile("design.pdf", b"%PDF-1.4 tiny", content_type="application/pdf")
    submission = services.milestone_submit(
        actor=freelancer, milestone_id=milestone.pk, message="Here it is.", files=[pdf]
    )
    assert refreshed(milestone).status == S.SUBMITTED
    assert milestone.submitted_at is not None
    assert [(f.name, f.content_type) for f in submission.files.all()] == [("design.pdf", "application/pdf")]
    told = set(Notification.objects.filter(kind="milestone_submitted").values_list("user_id", flat=True))
    assert told == {members[Role.OWNER].pk, members[Role.FINANCE].pk}


def test_a_disguised_file_is_refused_and_nothing_changes(fund, freelancer, milestone):
    fund(milestone)
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03\x00binary", content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        services.milestone_submit(actor=freelancer, milestone_id=milestone.pk, message="x", files=[fake])
    assert exc.value.code == "upload_type"
    assert refreshed(milestone).status == S.FUNDED


def test_only_the_freelancer_submits_and_a_message_is_required(fund, owner, freelancer, milestone):
    fund(milestone)
    with pytest.raises(PermissionDenied):
        services.milestone_submit(actor=owner, milestone_id=milestone.pk, message="x")
    with pytest.raises(DomainError) as exc:
        services.milestone_submit(actor=freelancer, milestone_id=milestone.pk, message="   ")
    assert exc.value.code == "submission_message_required"


def test_too_many_files_are_refused(fund, freelancer, milestone):
    fund(milestone)
    files = [SimpleUploadedFile(f"n{i}.txt", b"notes") for i in range(settings.MAX_SUBMISSION_FILES + 1)]
    with pytest.raises(DomainError) as exc:
        services.milestone_submit(actor=freelancer, milestone_id=milestone.pk, message="x", files=files)
    assert exc.value.code == "too_many_files"


# --- Approving and requesting changes ---


def test_approving_an_unfunded_milestone_is_refused(owner, milestone):
    with pytest.raises(DomainError) as exc:
        services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    assert exc.value.code == "milestone_not_funded"


def test_approving_funded_but_unsubmitted_work_is_refused(fund, owner, milestone):
    fund(milestone)
    with pytest.raises(DomainError) as exc:
        services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    assert exc.value.code == "milestone_not_submitted"


def test_approval_releases_the_amount_less_the_freelancer_fee_to_pending(
    fund, submit, owner, freelancer, milestone, contract
):
    fund(milestone)
    submit(milestone)
    services.milestone_approve(actor=owner, milestone_id=milestone.pk, note="Lovely work.")
    assert refreshed(milestone).status == S.APPROVED
    assert escrow_of(contract) == 0
    net, fee = fees.split_release(10_000)
    assert wallet_for(freelancer).pending_cents == net == 9_000
    assert Notification.objects.filter(user=freelancer, kind="milestone_approved").exists()
    assert list(milestone.events.values_list("to_status", flat=True)) == [S.FUNDED, S.SUBMITTED, S.APPROVED]
    with pytest.raises(DomainError):
        services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    assert JournalEntry.objects.filter(kind="escrow_release").count() == 1
    assert ledger_problems() == []


@pytest.mark.parametrize("role", [Role.HIRING_MANAGER, Role.MEMBER])
def test_roles_without_approve_payments_and_the_freelancer_cannot_approve(
    fund, submit, members, freelancer, milestone, role
):
    fund(milestone)
    submit(milestone)
    for actor in (members[role], freelancer):
        with pytest.raises(PermissionDenied):
            services.milestone_approve(actor=actor, milestone_id=milestone.pk)


def test_changes_requested_go_back_to_the_freelancer_who_submits_again(fund, submit, owner, freelancer, milestone):
    fund(milestone)
    submit(milestone)
    with pytest.raises(DomainError) as exc:
        services.milestone_request_changes(actor=owner, milestone_id=milestone.pk, note=" ")
    assert exc.value.code == "note_required"
    services.milestone_request_changes(actor=owner, milestone_id=milestone.pk, note="Bigger logo, please.")
    assert refreshed(milestone).status == S.CHANGES_REQUESTED
    assert Notification.objects.get(user=freelancer, kind="milestone_changes_requested").body == "Bigger logo, please."
    submit(milestone, message="Logo is bigger now.")
    assert refreshed(milestone).status == S.SUBMITTED
    assert milestone.submissions.count() == 2
    services.milestone_approve(actor=owner, milestone_id=milestone.pk)
    assert refreshed(milestone).status == S.APPROVED


# --- Automatic approval ---


def test_work_left_unreviewed_is_approved_after_the_setting(fund, submit, milestone, freelancer, owner):
    fund(milestone)
    submit(milestone)
    submitted_at = refreshed(milestone).submitted_at
    almost = submitted_at + dt.timedelta(days=settings.AUTO_APPROVE_DAYS) - dt.timedelta(minutes=1)
    assert services.milestones_auto_approve_due(now=almost) == 0
    later = submitted_at + dt.timedelta(days=settings.AUTO_APPROVE_DAYS, minutes=1)
    assert services.milestones_auto_approve_due(now=later) == 1
    assert services.milestones_auto_approve_due(now=later) == 0
    assert refreshed(milestone).status == S.APPROVED
    event = milestone.events.get(to_status=S.APPROVED)
    assert event.actor is None
    assert wallet_for(freelancer).pending_cents == 9_000
    assert Notification.objects.filter(user=owner, kind="milestone_approved").exists()


def test_the_beat_task_auto_approves(fund, submit, milestone):
    from contracts import tasks

    fund(milestone)
    submit(milestone)
    long_ago = timezone.now() - dt.timedelta(days=settings.AUTO_APPROVE_DAYS + 1)
    Milestone.objects.filter(pk=milestone.pk).update(submitted_at=long_ago)
    assert tasks.milestones_auto_approve_due.apply().get() == 1
    assert "contracts-milestones-auto-approve" in settings.CELERY_BEAT_SCHEDULE


# --- Refund by agreement, and the dispute when it is rejected ---


def test_an_agreed_refund_returns_the_escrow_to_the_client(fund, owner, freelancer, milestone, contract):
    fund(milestone)
    services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="Project cancelled.")
    assert refreshed(milestone).status == S.REFUND_REQUESTED
    assert Notification.objects.filter(user=freelancer, kind="milestone_refund_requested").exists()
    services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk)
    assert refreshed(milestone).status == S.REFUNDED
    assert milestone.refunded_at is not None
    assert escrow_of(contract) == 0
    refund = SandboxRecord.objects.get(kind="refund")
    assert refund.amount_cents == 10_500  # the client fee charged on it comes back too
    assert Notification.objects.filter(user=owner, kind="milestone_refunded").exists()
    assert ledger_problems() == []
    with pytest.raises(DomainError) as exc:
        services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk)
    assert exc.value.code == "no_refund_requested"
    assert SandboxRecord.objects.filter(kind="refund").count() == 1


def test_a_rejected_refund_becomes_a_dispute_and_the_money_stays(fund, owner, freelancer, milestone, contract):
    fund(milestone)
    services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="Not needed.")
    services.milestone_reject_refund(actor=freelancer, milestone_id=milestone.pk, reason="I already did the work.")
    assert refreshed(milestone).status == S.DISPUTED
    assert escrow_of(contract) == 10_000
    assert Notification.objects.filter(user=owner, kind="milestone_disputed").exists()
    for call in (services.milestone_agree_refund, services.milestone_submit):
        with pytest.raises(DomainError):
            call(
                actor=freelancer,
                milestone_id=milestone.pk,
                **({"message": "x"} if call is services.milestone_submit else {}),
            )


def test_refunds_are_only_before_submission_and_only_the_client_asks(fund, submit, owner, freelancer, milestone):
    with pytest.raises(DomainError) as exc:
        services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="x")
    assert exc.value.code == "milestone_not_funded"
    fund(milestone)
    with pytest.raises(PermissionDenied):
        services.milestone_request_refund(actor=freelancer, milestone_id=milestone.pk, reason="x")
    submit(milestone)
    with pytest.raises(DomainError) as exc:
        services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="x")
    assert exc.value.code == "milestone_submitted"
    with pytest.raises(DomainError) as exc:
        services.milestone_reject_refund(actor=freelancer, milestone_id=milestone.pk, reason="x")
    assert exc.value.code == "no_refund_requested"


def test_after_changes_are_requested_a_refund_may_be_asked_again(fund, submit, owner, freelancer, milestone):
    fund(milestone)
    submit(milestone)
    services.milestone_request_changes(actor=owner, milestone_id=milestone.pk, note="Not what we need.")
    services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="Let's stop here.")
    services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk)
    assert refreshed(milestone).status == S.REFUNDED


# --- Adding milestones ---


def test_the_client_adds_a_milestone_to_an_active_fixed_contract(owner, freelancer, contract, milestone):
    added = services.milestone_add(
        actor=owner, contract_id=contract.pk, milestone=MilestoneTerms(title="Extra page", amount_cents=5_000)
    )
    assert added.status == S.PENDING and added.position == milestone.position + 1
    assert added.currency == contract.currency
    assert MilestoneEvent.objects.get(milestone=added).to_status == S.PENDING
    assert Notification.objects.filter(user=freelancer, kind="milestone_added").exists()


def test_adding_milestones_is_refused_to_the_freelancer_to_hourly_and_to_bad_input(owner, freelancer, contract):
    terms = MilestoneTerms(title="Extra", amount_cents=5_000)
    with pytest.raises(PermissionDenied):
        services.milestone_add(actor=freelancer, contract_id=contract.pk, milestone=terms)
    with pytest.raises(DomainError) as exc:
        services.milestone_add(actor=owner, contract_id=contract.pk, milestone=MilestoneTerms(title="", amount_cents=5))
    assert exc.value.status == 400
    hourly = ContractFactory(
        offer__organization=contract.organization,
        offer__contract_type="hourly",
        offer__total_cents=None,
        offer__hourly_rate_cents=5000,
        offer__weekly_limit_hours=10,
        contract_type="hourly",
        hourly_rate_cents=5000,
        weekly_limit_hours=10,
    )
    with pytest.raises(DomainError) as exc:
        services.milestone_add(actor=owner, contract_id=hourly.pk, milestone=terms)
    assert exc.value.code == "contract_not_fixed"


def test_a_second_milestone_funds_on_its_own(fund, milestone, second_milestone, contract):
    fund(milestone)
    fund(second_milestone)
    assert escrow_of(contract) == 30_000
    assert MilestoneFactory._meta.model.objects.filter(status=S.FUNDED).count() == 2


# --- Separation of duties ---


@pytest.mark.parametrize("role", [Role.OWNER, Role.FINANCE])
def test_the_contracts_freelancer_never_acts_for_the_client_whatever_their_role(
    organization, freelancer, card, milestone, submit, role
):
    """Issue 14 item 7: a freelancer who is also an owner or finance member of the client organization still
    cannot fund, approve, ask for changes or ask for a refund on their own contract's milestones."""
    MembershipFactory(organization=organization, user=freelancer, role=role)
    assert allowed_transitions(milestone, freelancer) == set()  # pending: only the client may fund it
    with pytest.raises(PermissionDenied):
        services.milestone_fund(actor=freelancer, milestone_id=milestone.pk, request_key="self")
    assert not SandboxRecord.objects.filter(kind="charge").exists()

    services.milestone_fund(
        actor=MembershipFactory(organization=organization, role=Role.FINANCE).user,
        milestone_id=milestone.pk,
        request_key="client",
    )
    milestone.refresh_from_db()
    # Disputing is the freelancer's own side's move, not the client's.
    assert allowed_transitions(milestone, freelancer) == {S.SUBMITTED, S.DISPUTED}
    with pytest.raises(PermissionDenied):
        services.milestone_request_refund(actor=freelancer, milestone_id=milestone.pk, reason="Mine.")
    submit(milestone)
    for call, extra in (
        (services.milestone_approve, {}),
        (services.milestone_request_changes, {"note": "More."}),
    ):
        with pytest.raises(PermissionDenied):
            call(actor=freelancer, milestone_id=milestone.pk, **extra)
    assert refreshed(milestone).status == S.SUBMITTED
    assert wallet_for(freelancer).pending_cents == 0


def test_allowed_transitions_follow_the_role(members, freelancer, fund, milestone):
    fund(milestone)
    milestone.refresh_from_db()
    assert allowed_transitions(milestone, members[Role.OWNER]) == {S.REFUND_REQUESTED, S.DISPUTED}
    assert allowed_transitions(milestone, members[Role.HIRING_MANAGER]) == set()
    assert allowed_transitions(milestone, freelancer) == {S.SUBMITTED, S.DISPUTED}


# --- Refunds that the gateway does not finish at once ---


def test_a_pending_refund_is_in_progress_until_confirmed_and_a_failed_one_can_be_agreed_again(
    fund, owner, freelancer, milestone, contract, monkeypatch, client
):
    fund(milestone)
    services.milestone_request_refund(actor=owner, milestone_id=milestone.pk, reason="Cancelled.")
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayPending("re_1")))
    services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk, note="Fair enough.")
    # Not refunded yet: the card network has not confirmed it.
    assert refreshed(milestone).status == S.REFUND_REQUESTED
    assert Notification.objects.filter(user=owner, kind="milestone_refund_agreed", body="Fair enough.").exists()
    for call in (services.milestone_agree_refund, services.milestone_reject_refund):
        with pytest.raises(DomainError) as exc:
            call(
                actor=freelancer, milestone_id=milestone.pk, **({"reason": "No."} if "reject" in call.__name__ else {})
            )
        assert exc.value.code == "refund_in_progress"
    client.force_login(owner)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Refund in progress" in page

    # The card network refuses it: the money is back to spendable in escrow and the request stands.
    refund = GatewayOperation.objects.get(kind="refund")
    saga.operation_failed(operation_id=refund.pk, code="refund_failed", detail="The card was closed.")
    assert refreshed(milestone).status == S.REFUND_REQUESTED
    assert Notification.objects.filter(user=freelancer, kind="milestone_refund_failed").exists()
    assert escrow_of(contract) == 10_000
    assert ledger_problems() == []

    monkeypatch.undo()
    services.milestone_agree_refund(actor=freelancer, milestone_id=milestone.pk)
    assert refreshed(milestone).status == S.REFUNDED
    assert escrow_of(contract) == 0
    assert ledger_problems() == []


def test_the_ledger_check_sees_a_milestone_whose_escrow_disagrees_with_its_status(fund, milestone):
    fund(milestone)
    assert ledger_problems() == []
    Milestone.objects.filter(pk=milestone.pk).update(status=S.APPROVED)  # approved without its release
    assert ledger_problems() == [f"escrow_mismatch: milestone:{milestone.pk} should hold 0 in escrow, holds 10000"]
