"""Fixed-price milestones: add, fund, submit, approve (release), request changes, refund by agreement, and the
automatic approval of work the client leaves alone.

Every transition locks the milestone row (`select_for_update`), checks `Milestone.ALLOWED`, writes one
MilestoneEvent and tells the other side. Money moves through `payments.services.escrow` with idempotency keys
derived from what is settled (`milestone:{id}:release`), so two approvals racing release once: the second waits for
the first's lock, then finds the milestone approved and is refused.
"""

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts import selectors
from contracts.models import Contract, Milestone, MilestoneEvent, MilestoneSubmission, SubmissionFile
from contracts.services._common import (
    check_transition,
    notify_client,
    require_contract_client,
    require_freelancer,
)
from contracts.services.offers import MilestoneTerms, milestone_terms_clean
from kernel.errors import DomainError, NotFound
from kernel.uploads import check_upload
from messaging.services import notify
from payments.models import GatewayOperation, OperationStatus
from payments.services import escrow

S = Milestone.Status
logger = logging.getLogger(__name__)

# Stable codes for the refusals callers most often meet; anything else is "invalid_transition".
_NOT_FUNDED = ("milestone_not_funded", "This milestone is not funded yet: the client funds it before work starts.")
_NOT_SUBMITTED = ("milestone_not_submitted", "The freelancer has not submitted work for this milestone.")


def _milestone_for_update(milestone_id: int) -> Milestone:
    """The milestone locked for this transaction, with its contract (not locked) for checks and messages."""
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__organization", "contract__freelancer")
        .filter(pk=milestone_id)
        .first()
    )
    if milestone is None:
        raise NotFound()
    return milestone


def _require_active(contract: Contract) -> None:
    if contract.status != Contract.Status.ACTIVE:
        raise DomainError("contract_not_active", f"This contract is {contract.get_status_display().lower()}.")


def _move(milestone: Milestone, to: str, *, actor, note: str = "", refusal: tuple[str, str] | None = None) -> str:
    """Check and apply `milestone.status → to`, with its history row; the caller holds the row lock."""
    if to not in Milestone.ALLOWED[milestone.status]:
        if refusal is None and milestone.status == S.PENDING:
            refusal = _NOT_FUNDED
        code, detail = refusal or ("invalid_transition", "")
        check_transition(milestone, to, code=code, detail=detail)
    from_status = milestone.status
    milestone.status = to
    MilestoneEvent.objects.create(
        milestone=milestone, from_status=from_status, to_status=to, actor=actor, note=note[:5000]
    )
    return from_status


def _url(milestone: Milestone) -> str:
    return reverse("contracts:contract_detail", args=[milestone.contract_id]) + f"#milestone-{milestone.pk}"


def _tell_freelancer(milestone: Milestone, *, kind: str, title: str, body: str = "") -> None:
    notify(
        user=milestone.contract.freelancer,
        kind=kind,
        title=title,
        body=body,
        url=_url(milestone),
        reference=f"milestone:{milestone.pk}",
    )


def _tell_client(milestone: Milestone, *, perm: OrgPerm, kind: str, title: str, body: str = "") -> None:
    notify_client(
        organization_id=milestone.contract.organization_id,
        perm=perm,
        kind=kind,
        title=title,
        body=body,
        url=_url(milestone),
        reference=f"milestone:{milestone.pk}",
    )


def fund_idempotency_key(*, milestone_id: int, request_key: str) -> str:
    """The ledger key of a funding request: the page's form key or the API's Idempotency-Key, per milestone."""
    return f"milestone:{milestone_id}:fund:{request_key}"


@transaction.atomic
def milestone_add(*, actor, contract_id: int, milestone: MilestoneTerms) -> Milestone:
    """The client (OrgPerm.HIRE) adds a milestone to an active fixed-price contract; it starts unfunded."""
    contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.HIRE)
    if not contract.is_fixed:
        raise DomainError("contract_not_fixed", "Milestones belong to fixed-price contracts.")
    _require_active(contract)
    try:
        milestone_terms_clean(milestone)
    except ValidationError as exc:
        raise DomainError("milestone_invalid", " ".join(exc.messages), status=400) from exc
    position = (contract.milestones.aggregate(last=Max("position"))["last"] or 0) + 1
    created = Milestone.objects.create(
        contract=contract,
        position=position,
        title=milestone.title.strip()[:200],
        description=milestone.description.strip(),
        amount_cents=milestone.amount_cents,
        currency=contract.currency,
        due_date=milestone.due_date,
    )
    MilestoneEvent.objects.create(milestone=created, to_status=created.status, actor=actor, note="Milestone added.")
    _tell_freelancer(
        created,
        kind="milestone_added",
        title=f"New milestone on “{contract.title}”: {created.title} (${created.amount_cents / 100:,.2f})",
    )
    return created


def milestone_fund(*, actor, milestone_id: int, request_key: str) -> Milestone:
    """Charge the organization's default card the amount plus the client fee into the contract's escrow.

    `request_key` identifies the funding request (a form's key or an Idempotency-Key header): replaying the same
    key returns the milestone as it is and charges nothing; a different key on a funded milestone is refused.
    A declined card raises the payments DomainError ("card_declined") and leaves the milestone pending.

    Not one transaction: payments commits a gateway charge on its own, outside any open transaction. So the
    request first claims the milestone under its row lock (a second request with another key is refused while
    the charge runs), then charges, then records the funding under the lock again.
    """
    request_key = request_key.strip()
    if not request_key or len(request_key) > 230:
        raise DomainError("idempotency_key_required", "A funding request needs an idempotency key.", status=400)
    key = fund_idempotency_key(milestone_id=milestone_id, request_key=request_key)
    milestone = _fund_claim(actor=actor, milestone_id=milestone_id, key=key, request_key=request_key)
    if milestone.status != S.PENDING:
        return milestone
    contract = milestone.contract
    try:
        escrow.escrow_fund(
            organization=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=milestone.amount_cents,
            currency=milestone.currency,
            idempotency_key=key,
            reference=f"milestone:{milestone.pk}",
            description=_money_label(milestone),
            escrow_label=contract.title,
        )
    except DomainError:
        _fund_unclaim(milestone_id=milestone_id, key=key)
        raise
    return _fund_record(actor=actor, milestone_id=milestone_id, key=key)


def _charge_status(key: str) -> str | None:
    return GatewayOperation.objects.filter(idempotency_key=key).values_list("status", flat=True).first()


def _key_funds_another_milestone(*, organization_id: int, milestone_id: int, request_key: str) -> bool:
    """The same request key already funded (or is funding) another of the organization's milestones: it was
    another request's key. (Keys reach services scoped to the user who sent them.)"""
    candidates = (
        Milestone.objects.filter(
            contract__organization_id=organization_id, fund_idempotency_key__endswith=f":fund:{request_key}"
        )
        .exclude(pk=milestone_id)
        .values_list("pk", "fund_idempotency_key")
    )
    return any(stored == fund_idempotency_key(milestone_id=pk, request_key=request_key) for pk, stored in candidates)


@transaction.atomic
def _fund_claim(*, actor, milestone_id: int, key: str, request_key: str) -> Milestone:
    """Lock and check, then mark the milestone as being funded by `key`. Returns it; a status other than pending
    means there is nothing left to charge (a replay of a finished request)."""
    # The contract row is locked before the milestone (the order contract_end uses too), so a contract cannot
    # end while one of its milestones is being claimed.
    contract_id = Milestone.objects.filter(pk=milestone_id).values_list("contract_id", flat=True).first()
    if contract_id is None:
        raise NotFound()
    contract = Contract.objects.select_for_update().get(pk=contract_id)
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.FUND)
    milestone = _milestone_for_update(milestone_id)
    if milestone.status != S.PENDING and milestone.fund_idempotency_key == key:
        return milestone
    if _key_funds_another_milestone(
        organization_id=contract.organization_id, milestone_id=milestone_id, request_key=request_key
    ):
        raise DomainError("idempotency_conflict", "That idempotency key was already used for a different request.")
    _require_active(contract)
    if milestone.status == S.PENDING and milestone.fund_idempotency_key not in ("", key):
        earlier = milestone.fund_idempotency_key
        status = _charge_status(earlier)
        if status == OperationStatus.SUCCEEDED:
            # An earlier request charged and then died before recording it: record it now, charge nothing more.
            _fund_apply(milestone, actor=None, note="Recorded a funding payment that was interrupted.")
            return milestone
        stale = milestone.funding_started_at < timezone.now() - dt.timedelta(
            seconds=settings.MILESTONE_FUNDING_TIMEOUT_SECONDS
        )
        if status == OperationStatus.PENDING or (status is None and not stale):
            raise DomainError("funding_in_progress", "A payment for this milestone is being processed. Try again soon.")
    if S.FUNDED not in Milestone.ALLOWED[milestone.status]:
        raise DomainError("milestone_already_funded", "This milestone is already funded.")
    milestone.fund_idempotency_key = key
    milestone.funding_started_at = timezone.now()
    milestone.save(update_fields=["fund_idempotency_key", "funding_started_at"])
    return milestone


@transaction.atomic
def _fund_unclaim(*, milestone_id: int, key: str) -> None:
    """The charge was refused: free the milestone for another attempt (unless the charge is still running)."""
    milestone = _milestone_for_update(milestone_id)
    unclaim = milestone.status == S.PENDING and milestone.fund_idempotency_key == key
    if unclaim and _charge_status(key) in (None, OperationStatus.FAILED):
        milestone.fund_idempotency_key = ""
        milestone.funding_started_at = None
        milestone.save(update_fields=["fund_idempotency_key", "funding_started_at"])


@transaction.atomic
def _fund_record(*, actor, milestone_id: int, key: str) -> Milestone:
    milestone = _milestone_for_update(milestone_id)
    if milestone.fund_idempotency_key != key:
        # Only after MILESTONE_FUNDING_TIMEOUT_SECONDS can another key take the claim over; the charge made here
        # is in escrow under this milestone's reference, where the ledger check shows it.
        logger.error("Milestone %s was charged under %s after its claim passed to another request", milestone_id, key)
        raise DomainError("funding_in_progress", "Another payment for this milestone was made meanwhile.")
    if milestone.status == S.PENDING:
        _fund_apply(milestone, actor=actor)
    return milestone


def _fund_apply(milestone: Milestone, *, actor, note: str = "") -> None:
    _move(milestone, S.FUNDED, actor=actor, note=note)
    milestone.funded_at = timezone.now()
    milestone.save(update_fields=["status", "funded_at"])
    _tell_freelancer(
        milestone,
        kind="milestone_funded",
        title=f"“{milestone.title}” is funded: you can start work on “{milestone.contract.title}”",
    )


@transaction.atomic
def milestone_submit(*, actor, milestone_id: int, message: str, files: Sequence = ()) -> MilestoneSubmission:
    """The freelancer hands in work (a message and up to MAX_SUBMISSION_FILES files checked by content)."""
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    require_freelancer(user=actor, contract=contract)
    message = message.strip()
    if not message:
        raise DomainError("submission_message_required", "Describe the work you are submitting.", status=400)
    if len(files) > settings.MAX_SUBMISSION_FILES:
        raise DomainError(
            "too_many_files", f"Attach at most {settings.MAX_SUBMISSION_FILES} files to a submission.", status=400
        )
    checked = [(uploaded, check_upload(uploaded)) for uploaded in files]
    _require_active(contract)
    _move(milestone, S.SUBMITTED, actor=actor, note=message)
    milestone.submitted_at = timezone.now()
    milestone.save(update_fields=["status", "submitted_at"])
    submission = MilestoneSubmission.objects.create(milestone=milestone, submitted_by=actor, message=message)
    for uploaded, content_type in checked:
        SubmissionFile.objects.create(
            submission=submission,
            file=uploaded,
            name=uploaded.name[:200],
            content_type=content_type,
            size=uploaded.size,
        )
    _tell_client(
        milestone,
        perm=OrgPerm.APPROVE_PAYMENTS,
        kind="milestone_submitted",
        title=f"{contract.freelancer.display_name} submitted “{milestone.title}” for review",
        body=f"{message}\n\nIf nobody reviews it in {settings.AUTO_APPROVE_DAYS} days, it is approved automatically.",
    )
    return submission


def _money_label(milestone: Milestone) -> str:
    """How the ledger entry reads on wallets, statements and receipts."""
    return f"{milestone.contract.title}: {milestone.title}"[:255]


def _release(milestone: Milestone, *, actor, note: str) -> Milestone:
    contract = milestone.contract
    _move(milestone, S.APPROVED, actor=actor, note=note, refusal=_refusal_for_review(milestone))
    escrow.escrow_release(
        escrow_reference=contract.escrow_reference,
        freelancer=contract.freelancer,
        amount_cents=milestone.amount_cents,
        currency=milestone.currency,
        idempotency_key=f"milestone:{milestone.pk}:release",
        reference=f"milestone:{milestone.pk}",
        description=_money_label(milestone),
    )
    milestone.approved_at = timezone.now()
    milestone.save(update_fields=["status", "approved_at"])
    _tell_freelancer(
        milestone,
        kind="milestone_approved",
        title=f"“{milestone.title}” was approved: ${milestone.amount_cents / 100:,.2f} released",
        body=f"After the {settings.FREELANCER_FEE_PERCENT}% service fee it is in your pending balance, available "
        f"after the {settings.SECURITY_HOLD_DAYS}-day security hold.",
    )
    return milestone


def _refusal_for_review(milestone: Milestone) -> tuple[str, str] | None:
    if milestone.status == S.PENDING:
        return _NOT_FUNDED
    if milestone.status in (S.FUNDED, S.CHANGES_REQUESTED, S.REFUND_REQUESTED):
        return _NOT_SUBMITTED
    return None


@transaction.atomic
def milestone_approve(*, actor, milestone_id: int, note: str = "") -> Milestone:
    """The client (OrgPerm.APPROVE_PAYMENTS) accepts submitted work: the escrow releases it to the freelancer."""
    milestone = _milestone_for_update(milestone_id)
    require_contract_client(user=actor, contract=milestone.contract, perm=OrgPerm.APPROVE_PAYMENTS)
    return _release(milestone, actor=actor, note=note.strip())


@transaction.atomic
def milestone_request_changes(*, actor, milestone_id: int, note: str) -> Milestone:
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.APPROVE_PAYMENTS)
    note = note.strip()
    if not note:
        raise DomainError("note_required", "Say what should change.", status=400)
    _move(milestone, S.CHANGES_REQUESTED, actor=actor, note=note, refusal=_refusal_for_review(milestone))
    milestone.save(update_fields=["status"])
    _tell_freelancer(
        milestone, kind="milestone_changes_requested", title=f"Changes requested on “{milestone.title}”", body=note
    )
    return milestone


@transaction.atomic
def milestone_request_refund(*, actor, milestone_id: int, reason: str) -> Milestone:
    """The client asks for the escrowed money back before the work is (re)submitted; the freelancer answers."""
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    require_contract_client(user=actor, contract=contract, perm=OrgPerm.APPROVE_PAYMENTS)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Say why you want a refund.", status=400)
    refusal = (
        ("milestone_submitted", "The work is submitted: approve it or request changes instead.")
        if milestone.status == S.SUBMITTED
        else None
    )
    _move(milestone, S.REFUND_REQUESTED, actor=actor, note=reason, refusal=refusal)
    milestone.save(update_fields=["status"])
    _tell_freelancer(
        milestone,
        kind="milestone_refund_requested",
        title=f"{contract.organization.name} asks for a refund of “{milestone.title}”",
        body=f"{reason}\n\nAgree to refund it, or reject the request: a rejected request becomes a dispute.",
    )
    return milestone


def milestone_agree_refund(*, actor, milestone_id: int, note: str = "") -> Milestone:
    """The freelancer agrees: the escrowed amount goes back to the client (with the client fee charged on it).

    Like funding, in three steps because payments commits a gateway refund on its own: claim under the row lock
    (the request can no longer be rejected), refund (keyed by the milestone, so a repeat refunds once), record.
    """
    _refund_claim(actor=actor, milestone_id=milestone_id)
    milestone = _milestone_with_contract(milestone_id)
    contract = milestone.contract
    key = f"milestone:{milestone.pk}:refund"
    try:
        escrow.escrow_refund(
            escrow_reference=contract.escrow_reference,
            organization=contract.organization,
            amount_cents=milestone.amount_cents,
            currency=milestone.currency,
            idempotency_key=key,
            reference=f"milestone:{milestone.pk}",
            description=_money_label(milestone),
        )
    except DomainError:
        _refund_unclaim(milestone_id=milestone_id, key=key)
        raise
    return _refund_record(actor=actor, milestone_id=milestone_id, note=note.strip())


def _milestone_with_contract(milestone_id: int) -> Milestone:
    return Milestone.objects.select_related("contract", "contract__organization", "contract__freelancer").get(
        pk=milestone_id
    )


@transaction.atomic
def _refund_claim(*, actor, milestone_id: int) -> None:
    milestone = _milestone_for_update(milestone_id)
    require_freelancer(user=actor, contract=milestone.contract)
    if S.REFUNDED not in Milestone.ALLOWED[milestone.status]:
        raise DomainError("no_refund_requested", "The client has not asked for a refund of this milestone.")
    if milestone.refund_started_at is None:
        milestone.refund_started_at = timezone.now()
        milestone.save(update_fields=["refund_started_at"])


@transaction.atomic
def _refund_unclaim(*, milestone_id: int, key: str) -> None:
    milestone = _milestone_for_update(milestone_id)
    if milestone.status == S.REFUND_REQUESTED and _charge_status(key) in (None, OperationStatus.FAILED):
        milestone.refund_started_at = None
        milestone.save(update_fields=["refund_started_at"])


@transaction.atomic
def _refund_record(*, actor, milestone_id: int, note: str) -> Milestone:
    milestone = _milestone_for_update(milestone_id)
    if milestone.status != S.REFUND_REQUESTED:
        return milestone  # a concurrent agreement recorded the same refund
    contract = milestone.contract
    _move(milestone, S.REFUNDED, actor=actor, note=note)
    milestone.refunded_at = timezone.now()
    milestone.save(update_fields=["status", "refunded_at"])
    _tell_client(
        milestone,
        perm=OrgPerm.APPROVE_PAYMENTS,
        kind="milestone_refunded",
        title=f"{contract.freelancer.display_name} agreed to refund “{milestone.title}”",
        body=f"${milestone.amount_cents / 100:,.2f} is on its way back to your payment method.",
    )
    return milestone


@transaction.atomic
def milestone_reject_refund(*, actor, milestone_id: int, reason: str) -> Milestone:
    """The freelancer rejects the refund: the milestone becomes disputed and its money stays frozen in escrow."""
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    require_freelancer(user=actor, contract=contract)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Say why you reject the refund.", status=400)
    if milestone.refund_started_at is not None:
        raise DomainError("refund_in_progress", "You agreed to this refund; it is being processed.")
    _move(
        milestone,
        S.DISPUTED,
        actor=actor,
        note=reason,
        refusal=("no_refund_requested", "The client has not asked for a refund of this milestone."),
    )
    milestone.save(update_fields=["status"])
    _tell_client(
        milestone,
        perm=OrgPerm.APPROVE_PAYMENTS,
        kind="milestone_disputed",
        title=f"{contract.freelancer.display_name} rejected the refund of “{milestone.title}”: it is now disputed",
        body=reason,
    )
    return milestone


def milestones_auto_approve_due(*, now: dt.datetime | None = None) -> int:
    """Approve every milestone submitted at least AUTO_APPROVE_DAYS ago; returns how many were approved.

    Each milestone settles in its own transaction and is re-checked under its lock, so a client approving at the
    same moment, or this task running twice, releases the money once.
    """
    now = now or timezone.now()
    before = now - dt.timedelta(days=settings.AUTO_APPROVE_DAYS)
    due = list(selectors.milestones_due_for_auto_approval(before=before).values_list("pk", flat=True))
    approved = 0
    for milestone_id in due:
        try:
            approved += _auto_approve(milestone_id=milestone_id, before=before)
        except DomainError:
            # One milestone the ledger refuses must not hold back the others; it stays submitted for staff to see.
            logger.exception("Auto-approval of milestone %s was refused", milestone_id)
    return approved


@transaction.atomic
def _auto_approve(*, milestone_id: int, before: dt.datetime) -> bool:
    milestone = _milestone_for_update(milestone_id)
    if milestone.status != S.SUBMITTED or milestone.submitted_at > before:
        return False
    _release(
        milestone,
        actor=None,
        note=f"Approved automatically: no review within {settings.AUTO_APPROVE_DAYS} days of submission.",
    )
    _tell_client(
        milestone,
        perm=OrgPerm.APPROVE_PAYMENTS,
        kind="milestone_approved",
        title=f"“{milestone.title}” was approved automatically after {settings.AUTO_APPROVE_DAYS} days",
    )
    return True
