"""Fixed-price milestones: add, fund, submit, approve (release), request changes, refund by agreement, and the
automatic approval of work the client leaves alone.

Every transition locks the milestone row, moves it with `kernel.transitions.transition` (which writes its
MilestoneEvent) and tells the other side. Money moves through the payment saga (`payments.services.saga`): funding
and an agreed refund begin an operation for the milestone's reference under its row lock and execute it after
commit; whichever of the gateway's answer, the webhook or reconcile settles it, `_payment_settled` (registered
with the saga for milestones) makes the milestone funded or refunded and tells both sides. The milestone keeps no
in-flight state of its own: the saga's operation is it. Releases are keyed by what they settle
(`milestone:12:release`), so two approvals racing release once: the second waits for the first's lock, then finds
the milestone approved and is refused.

The contract's freelancer never acts for the client on their own milestones (fund, approve, request changes or a
refund), whatever role they hold in the client organization.
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

from accounts.permissions import OrgPerm, role_allows, role_in
from contracts import selectors
from contracts.models import Contract, Milestone, MilestoneEvent, MilestoneSubmission, SubmissionFile
from contracts.services import disputes
from contracts.services._common import notify_client, require_contract_client, require_freelancer
from contracts.services.offers import MilestoneTerms, milestone_terms_clean
from kernel.errors import DomainError, PermissionDenied
from kernel.money import format_money
from kernel.refs import Kind, pk_of, ref
from kernel.transitions import lock, register_actors, transition
from kernel.uploads import check_upload
from messaging.services import notify
from payments.models import OperationKind, OperationStatus
from payments.services import saga
from payments.services.ledger import Owner

S = Milestone.Status
logger = logging.getLogger(__name__)

# Stable codes for the refusals callers most often meet; anything else is "invalid_transition".
_NOT_FUNDED = ("milestone_not_funded", "This milestone is not funded yet: the client funds it before work starts.")
_NOT_SUBMITTED = ("milestone_not_submitted", "The freelancer has not submitted work for this milestone.")
_NO_REFUND_REQUESTED = ("no_refund_requested", "The client has not asked for a refund of this milestone.")

# What each client-side move needs of the actor's role in the client organization.
_CLIENT_MOVES = {
    S.FUNDED: OrgPerm.FUND,
    S.APPROVED: OrgPerm.APPROVE_PAYMENTS,
    S.CHANGES_REQUESTED: OrgPerm.APPROVE_PAYMENTS,
    S.REFUND_REQUESTED: OrgPerm.APPROVE_PAYMENTS,
    S.DISPUTED: OrgPerm.APPROVE_PAYMENTS,  # opening a dispute (contracts.services.disputes)
}
_FREELANCER_MOVES = frozenset({S.SUBMITTED, S.REFUNDED, S.DISPUTED})


def _role(user, organization_id: int) -> str | None:
    """The user's role in the organization, asked once per request and organization (a page asks per milestone)."""
    roles = user.__dict__.setdefault("_milestone_roles", {})
    if organization_id not in roles:
        roles[organization_id] = role_in(user, organization_id)
    return roles[organization_id]


def milestone_actors(milestone: Milestone, user) -> set[str]:
    """The milestone moves `user` may make (the rule registered for `allowed_transitions`): the freelancer
    submits and answers refund requests; client members fund, review and ask for refunds as their role allows;
    the contract's freelancer never acts for the client, whatever role they hold there."""
    contract = milestone.contract
    if not user.is_authenticated or contract.status != Contract.Status.ACTIVE:
        return set()
    if milestone.status == S.DISPUTED:  # its dispute decides the next move, nobody on the milestone itself
        return set()
    if contract.freelancer_id == user.pk:
        return set(_FREELANCER_MOVES)
    role = _role(user, contract.organization_id)
    if role is None:
        return set()
    return {move for move, perm in _CLIENT_MOVES.items() if role_allows(role, perm)}


register_actors(Milestone, milestone_actors)


def _require_client(*, user, contract: Contract, perm: OrgPerm) -> None:
    """`user` acts for the client with `perm`: not a party → 404, a party without the role → 403, and the
    contract's own freelancer → 403 even as an owner of the client organization."""
    require_contract_client(user=user, contract=contract, perm=perm)
    if contract.freelancer_id == user.pk:
        raise PermissionDenied("You are this contract's freelancer: someone else in the organization does that.")


def _milestone_for_update(milestone_id: int) -> Milestone:
    """The milestone locked for this transaction, with its contract (not locked) for checks and messages."""
    return lock(
        Milestone.objects.select_related("contract", "contract__organization", "contract__freelancer"),
        pk=milestone_id,
    )


def _require_active(contract: Contract) -> None:
    if contract.status != Contract.Status.ACTIVE:
        raise DomainError("contract_not_active", f"This contract is {contract.get_status_display().lower()}.")


def _reference(milestone: Milestone) -> str:
    return ref(Kind.MILESTONE, milestone.pk)


def _url(milestone: Milestone) -> str:
    return reverse("contracts:contract_detail", args=[milestone.contract_id]) + f"#milestone-{milestone.pk}"


def _tell_freelancer(milestone: Milestone, *, kind: str, title: str, body: str = "") -> None:
    notify(
        user=milestone.contract.freelancer,
        kind=kind,
        title=title,
        body=body,
        url=_url(milestone),
        reference=_reference(milestone),
    )


def _tell_client(milestone: Milestone, *, perm: OrgPerm, kind: str, title: str, body: str = "") -> None:
    notify_client(
        organization_id=milestone.contract.organization_id,
        perm=perm,
        kind=kind,
        title=title,
        body=body,
        url=_url(milestone),
        reference=_reference(milestone),
    )


def _amount(milestone: Milestone) -> str:
    return format_money(milestone.amount_cents, milestone.currency)


def _money_label(milestone: Milestone) -> str:
    """How the ledger entry reads on wallets, statements and receipts."""
    return f"{milestone.contract.title}: {milestone.title}"[:255]


@transaction.atomic
def milestone_add(*, actor, contract_id: int, milestone: MilestoneTerms) -> Milestone:
    """The client (OrgPerm.HIRE) adds a milestone to an active fixed-price contract; it starts unfunded."""
    contract = lock(Contract.objects, pk=contract_id)
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
        title=f"New milestone on “{contract.title}”: {created.title} ({_amount(created)})",
    )
    return created


def milestone_fund(*, actor, milestone_id: int, request_key: str) -> Milestone:
    """Charge the organization's default card the amount plus the client fee into the contract's escrow.

    `request_key` identifies the funding request (a form's key or an Idempotency-Key header, scoped to the user):
    replaying it returns the milestone as it is and charges nothing; the same key for another milestone is
    `idempotency_conflict`; a new key on a funded milestone is refused, and one while a charge for it is still at
    the gateway is `operation_in_progress`. A declined card raises the payments DomainError ("card_declined") and
    leaves the milestone pending. The milestone becomes funded when the charge settles (`_payment_settled`).
    """
    request_key = request_key.strip()
    if not request_key or len(request_key) > 230:
        raise DomainError("idempotency_key_required", "A funding request needs an idempotency key.", status=400)
    with transaction.atomic():
        # The contract row is locked before the milestone (the order contract_end uses too), so a contract cannot
        # end while a charge for one of its milestones is being begun.
        contract = lock(Contract.objects.select_related("organization"), milestones__pk=milestone_id)
        _require_client(user=actor, contract=contract, perm=OrgPerm.FUND)
        milestone = _milestone_for_update(milestone_id)
        op = saga.begin_charge(
            payer=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=milestone.amount_cents,
            currency=milestone.currency,
            reference=_reference(milestone),
            idempotency_key=request_key,
            actor=actor,
            description=_money_label(milestone),
            escrow_label=contract.title,
        )
        if op.fresh:
            # Refusing here rolls the new operation back with the rest.
            _require_active(contract)
            if milestone.status != S.PENDING:
                raise DomainError("milestone_already_funded", "This milestone is already funded.")
    saga.execute(op)
    milestone.refresh_from_db()
    return milestone


def _payment_settled(settled: saga.Settlement) -> None:
    """The saga settled a payment for a milestone (registered for Kind.MILESTONE): finish our side, in the
    settling transaction, however the settlement arrived (the gateway's answer, the webhook, reconcile)."""
    op, succeeded = settled.op, settled.succeeded
    milestone = settled.locked  # locked by _lock_for_settling before the operation
    if not isinstance(milestone, Milestone):
        raise TypeError(f"settling {op.reference} without its milestone locked first")
    if op.kind == OperationKind.CHARGE and succeeded:
        if milestone.status != S.PENDING or milestone.contract.status != Contract.Status.ACTIVE:
            # Funded meanwhile by another charge, or the contract ended: the saga gives this money back.
            raise DomainError("milestone_not_awaiting_funding", f"Milestone {milestone.pk} is {milestone.status}.")
        transition(milestone, S.FUNDED, actor=op.actor, funded_at=timezone.now())
        _tell_freelancer(
            milestone,
            kind="milestone_funded",
            title=f"“{milestone.title}” is funded: you can start work on “{milestone.contract.title}”",
        )
        _tell_client(
            milestone,
            perm=OrgPerm.FUND,
            kind="milestone_funded",
            title=f"{_amount(milestone)} for “{milestone.title}” is in escrow",
            body="It waits there until you approve the work.",
        )
    elif op.kind == OperationKind.REFUND and succeeded:
        transition(milestone, S.REFUNDED, actor=op.actor, refunded_at=timezone.now())
        _tell_client(
            milestone,
            perm=OrgPerm.APPROVE_PAYMENTS,
            kind="milestone_refunded",
            title=f"{milestone.contract.freelancer.display_name} agreed to refund “{milestone.title}”",
            body=f"{_amount(milestone)} is on its way back to your payment method.",
        )
        _tell_freelancer(milestone, kind="milestone_refunded", title=f"“{milestone.title}” was refunded to the client")
    elif op.kind == OperationKind.REFUND:
        # Nothing left escrow: the request stands, and the freelancer can agree again.
        body = f"{settled.error_detail} The money stays in escrow; agree to the refund again to retry."
        _tell_freelancer(
            milestone, kind="milestone_refund_failed", title=f"The refund of “{milestone.title}” failed", body=body
        )
        _tell_client(
            milestone,
            perm=OrgPerm.APPROVE_PAYMENTS,
            kind="milestone_refund_failed",
            title=f"The refund of “{milestone.title}” failed",
            body=body,
        )


def _escrow_expected():
    """What each milestone should hold in escrow, for the ledger check: its amount while funded and not yet
    released or refunded."""
    rows = Milestone.objects.values_list("pk", "status", "amount_cents").order_by("pk")
    for pk, status, amount in rows.iterator(chunk_size=2000):
        yield ref(Kind.MILESTONE, pk), amount if status in Milestone.IN_ESCROW else 0


def _lock_for_settling(reference: str) -> Milestone:
    return _milestone_for_update(pk_of(reference, Kind.MILESTONE))


saga.register(
    Kind.MILESTONE, on_settled=_payment_settled, expected_escrow=_escrow_expected, lock_first=_lock_for_settling
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
    refusal = _NOT_FUNDED if milestone.status == S.PENDING else None
    transition(milestone, S.SUBMITTED, actor=actor, note=message, refusal=refusal, submitted_at=timezone.now())
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


def _release(milestone: Milestone, *, actor, note: str) -> Milestone:
    contract = milestone.contract
    if milestone.status == S.DISPUTED:
        raise DomainError("milestone_disputed", "This milestone is disputed: the dispute decides where its money goes.")
    transition(
        milestone,
        S.APPROVED,
        actor=actor,
        note=note,
        refusal=_refusal_for_review(milestone),
        approved_at=timezone.now(),
    )
    saga.release(
        escrow_reference=contract.escrow_reference,
        payee=Owner.of_user(contract.freelancer),
        amount_cents=milestone.amount_cents,
        currency=milestone.currency,
        reference=_reference(milestone),
        idempotency_key=f"{_reference(milestone)}:release",
        actor=actor,
        description=_money_label(milestone),
    )
    _tell_freelancer(
        milestone,
        kind="milestone_approved",
        title=f"“{milestone.title}” was approved: {_amount(milestone)} released",
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
    _require_client(user=actor, contract=milestone.contract, perm=OrgPerm.APPROVE_PAYMENTS)
    return _release(milestone, actor=actor, note=note.strip())


@transaction.atomic
def milestone_request_changes(*, actor, milestone_id: int, note: str) -> Milestone:
    milestone = _milestone_for_update(milestone_id)
    _require_client(user=actor, contract=milestone.contract, perm=OrgPerm.APPROVE_PAYMENTS)
    note = note.strip()
    if not note:
        raise DomainError("note_required", "Say what should change.", status=400)
    transition(milestone, S.CHANGES_REQUESTED, actor=actor, note=note, refusal=_refusal_for_review(milestone))
    _tell_freelancer(
        milestone, kind="milestone_changes_requested", title=f"Changes requested on “{milestone.title}”", body=note
    )
    return milestone


@transaction.atomic
def milestone_request_refund(*, actor, milestone_id: int, reason: str) -> Milestone:
    """The client asks for the escrowed money back before the work is (re)submitted; the freelancer answers."""
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    _require_client(user=actor, contract=contract, perm=OrgPerm.APPROVE_PAYMENTS)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Say why you want a refund.", status=400)
    refusal = _NOT_FUNDED if milestone.status == S.PENDING else None
    if milestone.status == S.SUBMITTED:
        refusal = ("milestone_submitted", "The work is submitted: approve it or request changes instead.")
    transition(milestone, S.REFUND_REQUESTED, actor=actor, note=reason, refusal=refusal)
    _tell_freelancer(
        milestone,
        kind="milestone_refund_requested",
        title=f"{contract.organization.name} asks for a refund of “{milestone.title}”",
        body=f"{reason}\n\nAgree to refund it, or reject the request: a rejected request becomes a dispute.",
    )
    return milestone


def milestone_agree_refund(*, actor, milestone_id: int, note: str = "") -> Milestone:
    """The freelancer agrees: the escrowed amount goes back to the client (with the client fee charged on it).

    The refund is a saga operation begun under the milestone's lock: the money is held at once, the milestone
    stays `refund_requested` (shown as in progress, 409 `refund_in_progress` to a repeat) until the gateway
    confirms, and becomes refunded then. A refund the gateway refuses leaves it `refund_requested` with its money
    in escrow, to agree again (each attempt its own key)."""
    with transaction.atomic():
        milestone = _milestone_for_update(milestone_id)
        contract = milestone.contract
        require_freelancer(user=actor, contract=contract)
        if milestone.status != S.REFUND_REQUESTED:  # a disputed milestone is refunded by its dispute
            raise DomainError(*_NO_REFUND_REQUESTED)
        reference = _reference(milestone)
        attempt = saga.attempts(reference=reference, kind=OperationKind.REFUND, status=OperationStatus.FAILED)
        op = saga.begin_refund(
            escrow_reference=contract.escrow_reference,
            amount_cents=milestone.amount_cents,
            currency=milestone.currency,
            reference=reference,
            idempotency_key=f"{reference}:refund:{attempt + 1}",
            actor=actor,
            description=_money_label(milestone),
        )
        if not op.fresh and op.status == OperationStatus.PENDING:
            raise DomainError("refund_in_progress", "You agreed to this refund; it is being processed.")
        if op.fresh and note.strip():
            _tell_client(
                milestone,
                perm=OrgPerm.APPROVE_PAYMENTS,
                kind="milestone_refund_agreed",
                title=f"{contract.freelancer.display_name} agreed to refund “{milestone.title}”",
                body=note.strip(),
            )
    saga.execute(op)
    milestone.refresh_from_db()
    return milestone


@transaction.atomic
def milestone_reject_refund(*, actor, milestone_id: int, reason: str) -> Milestone:
    """The freelancer rejects the refund: the milestone becomes disputed, a real dispute opens and holds its money."""
    milestone = _milestone_for_update(milestone_id)
    contract = milestone.contract
    require_freelancer(user=actor, contract=contract)
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Say why you reject the refund.", status=400)
    if saga.in_flight(references=[_reference(milestone)]):
        raise DomainError("refund_in_progress", "You agreed to this refund; it is being processed.")
    if milestone.status != S.REFUND_REQUESTED:  # a milestone may be disputed from other states, not rejected
        raise DomainError(*_NO_REFUND_REQUESTED)
    transition(milestone, S.DISPUTED, actor=actor, note=reason)
    disputes.dispute_from_rejected_refund(actor=actor, milestone=milestone, reason=reason)
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
    submitted_at = milestone.submitted_at
    if milestone.status != S.SUBMITTED or submitted_at is None or submitted_at > before:
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
