"""Disputes: the money involved is held at once, the other party has DISPUTE_RESPONSE_DAYS to answer, the two may
settle on a split at any time, and otherwise staff decide in the admin. Each resolution is one ledger entry.

The money path (payments' saga): opening reserves a hold on the contract's escrow for the disputed amount
(`saga.hold`, reference the disputed work, cause the dispute); resolving settles that hold (`saga.settle`) in one
journal entry split between the freelancer (less the service fee) and the client. When the client gets a part, it
goes back to the card first: the dispute is `settling` until the gateway confirms, then the entry is posted and
`_settled` (registered with the saga for Kind.DISPUTE) finishes it; a refused refund leaves the money held and hands
the dispute back to staff. A hold is reserved once per dispute and a dispute exists once per milestone (a database
constraint), so a resolved dispute can never hold the same escrow again, whatever happens to the contract after.

Hourly work: a client's dispute of a timesheet's hours in its review period (contracts.services.timesheets) is the
same `_open` with the subject `ref(Kind.TIMESHEET, id)` and the disputed hours' amount. The undisputed rest is
released when the review ends; the resolution counts the freelancer's part in the week's released amount and the
week is paid once both are done (whichever comes last).

Locks: the contract row, then the milestone, then the dispute (the order milestone funding and contract_end use), so
a dispute cannot open while the contract ends, and two resolutions racing settle once.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm, has_org_perm
from contracts.models import (
    Contract,
    Dispute,
    DisputeEvidence,
    EvidenceFile,
    Milestone,
    Party,
    SettlementOffer,
    Timesheet,
)
from contracts.services import score
from contracts.services._common import notify_client, require_contract_client
from kernel import audit
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.refs import Kind, pk_of, ref
from kernel.transitions import lock, transition
from kernel.uploads import check_upload
from messaging.services import notify
from payments.models import GatewayOperation, OperationKind
from payments.services import saga
from payments.services.ledger import Owner

S = Dispute.Status
M = Milestone.Status
RESOLVE_PERMISSION = "contracts.resolve_dispute"
# A milestone's money is in escrow and not yet settled in exactly these states: it may be disputed.
DISPUTABLE = (M.FUNDED, M.SUBMITTED, M.CHANGES_REQUESTED, M.REFUND_REQUESTED)
MAX_TEXT = 5000


def _text(value: str, *, field: str, required: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field}_required", required, errors={field: [required]})
    if len(value) > MAX_TEXT or "\x00" in value:
        message = f"Keep it under {MAX_TEXT} characters of plain text."
        raise InvalidInput(f"{field}_invalid", message, errors={field: [message]})
    return value


def _checked_files(files: Sequence) -> list:
    if len(files) > settings.DISPUTE_MAX_FILES:
        raise InvalidInput(
            "too_many_files",
            f"Attach at most {settings.DISPUTE_MAX_FILES} files.",
            errors={"files": [f"Attach at most {settings.DISPUTE_MAX_FILES} files."]},
        )
    return [(uploaded, check_upload(uploaded)) for uploaded in files]


def side_of(*, user, contract: Contract, perm: OrgPerm = OrgPerm.APPROVE_PAYMENTS) -> str:
    """The side `user` acts for: the freelancer, or a client member with `perm` (those who approve and refund
    payments). Not a party (a removed member included) → 404; a member without the role → 403."""
    if contract.freelancer_id == user.pk:
        return Party.FREELANCER
    require_contract_client(user=user, contract=contract, perm=perm)
    return Party.CLIENT


def _other(side: str) -> str:
    return Party.CLIENT if side == Party.FREELANCER else Party.FREELANCER


def dispute_url(dispute: Dispute) -> str:
    return reverse("contracts:dispute_detail", args=[dispute.pk])


def _tell(dispute: Dispute, *, side: str, kind: str, title: str, body: str = "") -> None:
    """Tell one side: the freelancer, or the client members who approve payments."""
    contract = dispute.contract
    url, reference = dispute_url(dispute), ref(Kind.DISPUTE, dispute.pk)
    if side == Party.FREELANCER:
        notify(user=contract.freelancer, kind=kind, title=title, body=body, url=url, reference=reference)
    else:
        notify_client(
            organization_id=contract.organization_id,
            perm=OrgPerm.APPROVE_PAYMENTS,
            kind=kind,
            title=title,
            body=body,
            url=url,
            reference=reference,
        )


def _tell_both(dispute: Dispute, *, kind: str, title: str, body: str = "") -> None:
    for side in Party.values:
        _tell(dispute, side=side, kind=kind, title=title, body=body)


def _add_evidence(dispute: Dispute, *, actor, side: str, text: str, checked_files) -> DisputeEvidence:
    evidence = DisputeEvidence.objects.create(dispute=dispute, author=actor, side=side, text=text)
    for uploaded, content_type in checked_files:
        EvidenceFile.objects.create(
            evidence=evidence, file=uploaded, name=uploaded.name[:200], content_type=content_type, size=uploaded.size
        )
    return evidence


# --- Opening ---


@transaction.atomic
def dispute_open_milestone(
    *,
    actor,
    milestone_id: int,
    reason: str,
    evidence: str = "",
    files: Sequence = (),
    request_key: str = "",
    now: dt.datetime | None = None,
) -> Dispute:
    """Either party disputes a funded or submitted milestone: its whole amount is held in escrow at once.

    `request_key` (a rendered form's key, or the API's scoped Idempotency-Key) makes a replay of the same request
    answer with the dispute it opened. Refused: a milestone whose money is not in escrow (pending, released,
    refunded: "milestone_not_disputable"), a second dispute on it ("dispute_exists"), a refund already being paid
    out ("refund_in_progress").
    """
    now = now or timezone.now()
    contract_id = Milestone.objects.filter(pk=milestone_id).values_list("contract_id", flat=True).first()
    contract = lock(Contract.objects.select_related("organization", "freelancer"), pk=contract_id or 0)
    milestone = lock(Milestone.objects.all(), pk=milestone_id)
    side = side_of(user=actor, contract=contract)
    reason = _text(reason, field="reason", required="Say what the dispute is about.")
    evidence = evidence.strip()
    checked = _checked_files(files)
    existing = Dispute.objects.filter(milestone=milestone).first()
    if existing is not None and request_key and existing.open_request_key == request_key:
        return existing
    if existing is not None:
        raise DomainError("dispute_exists", "This milestone is already disputed: add to that dispute instead.")
    if milestone.status not in DISPUTABLE:
        raise DomainError(
            "milestone_not_disputable",
            f"This milestone is {milestone.get_status_display().lower()}: only money in escrow can be disputed.",
        )
    subject = ref(Kind.MILESTONE, milestone.pk)
    if saga.in_flight(references=[subject]):
        raise DomainError("payment_in_progress", "A payment or refund of this milestone is being processed.")
    dispute = _open(
        contract=contract,
        actor=actor,
        side=side,
        subject=subject,
        milestone=milestone,
        amount_cents=milestone.amount_cents,
        currency=milestone.currency,
        reason=reason,
        now=now,
        request_key=request_key,
    )
    transition(milestone, M.DISPUTED, actor=actor, note=reason)
    _add_evidence(dispute, actor=actor, side=side, text=evidence or reason, checked_files=checked)
    return dispute


def dispute_open_hours(*, actor, contract: Contract, timesheet: Timesheet, reason: str, now: dt.datetime) -> Dispute:
    """The client's dispute of a week's hours (contracts.services.timesheets, under the contract and timesheet
    locks, the timesheet already moved to disputed): the disputed amount is held at once, the freelancer told."""
    dispute = _open(
        contract=contract,
        actor=actor,
        side=Party.CLIENT,
        subject=ref(Kind.TIMESHEET, timesheet.pk),
        milestone=None,
        amount_cents=timesheet.disputed_cents,
        currency=timesheet.currency,
        reason=reason,
        now=now,
    )
    _add_evidence(dispute, actor=actor, side=Party.CLIENT, text=reason, checked_files=[])
    return dispute


def _open(
    *, contract, actor, side, subject, milestone, amount_cents, currency, reason, now, request_key="", tell=True
) -> Dispute:
    dispute = Dispute.objects.create(
        contract=contract,
        milestone=milestone,
        subject_reference=subject,
        opened_by=actor,
        opened_by_side=side,
        reason=reason,
        amount_cents=amount_cents,
        currency=currency,
        opened_at=now,
        respond_by=now + dt.timedelta(days=settings.DISPUTE_RESPONSE_DAYS),
        hold_key=f"{subject}:dispute-hold",
        open_request_key=request_key[:255],
    )
    dispute.events.create(to_status=dispute.status, actor=actor, note=reason)
    dispute.hold = saga.hold(
        escrow_reference=contract.escrow_reference,
        amount_cents=amount_cents,
        currency=currency,
        reference=subject,
        cause=ref(Kind.DISPUTE, dispute.pk),
        idempotency_key=dispute.hold_key,
    )
    dispute.save(update_fields=["hold"])
    if not tell:
        return dispute
    days = settings.DISPUTE_RESPONSE_DAYS
    _tell(
        dispute,
        side=_other(side),
        kind="dispute_opened",
        title=f"{actor.display_name} opened a dispute on “{contract.title}”: please respond within {days} days",
        body=f"{reason}\n\nThe money involved is held until the dispute is resolved. If there is no agreement within "
        f"{days} days, our staff decide.",
    )
    return dispute


# --- Responding, evidence, settlement ---


def _dispute_for_update(dispute_id: int) -> Dispute:
    """The dispute, its contract locked first (the order every contracts service takes)."""
    contract_id = Dispute.objects.filter(pk=dispute_id).values_list("contract_id", flat=True).first()
    lock(Contract.objects.all(), pk=contract_id or 0)
    return lock(Dispute.objects.select_related("contract", "contract__freelancer", "milestone"), pk=dispute_id)


def _require_unresolved(dispute: Dispute) -> None:
    if dispute.status == S.SETTLING:
        raise DomainError("dispute_settling", "This dispute is decided; its money is being paid out.")
    if not dispute.is_open:
        raise DomainError("dispute_resolved", "This dispute is resolved.")


@transaction.atomic
def dispute_add_evidence(*, actor, dispute_id: int, text: str, files: Sequence = ()) -> DisputeEvidence:
    """Either party adds a statement and files. The other party's first statement is its response: it stops the
    reminder, though the DISPUTE_RESPONSE_DAYS clock still brings in staff if the two do not settle."""
    dispute = _dispute_for_update(dispute_id)
    side = side_of(user=actor, contract=dispute.contract)
    text = _text(text, field="text", required="Write your statement.")
    checked = _checked_files(files)
    _require_unresolved(dispute)
    evidence = _add_evidence(dispute, actor=actor, side=side, text=text, checked_files=checked)
    responding = side != dispute.opened_by_side
    if responding and dispute.status == S.OPEN:
        transition(dispute, S.RESPONDED, actor=actor, note=text, responded_at=timezone.now())
    _tell(
        dispute,
        side=_other(side),
        kind="dispute_responded",
        title=f"{actor.display_name} added to the dispute on “{dispute.contract.title}”",
        body=text,
    )
    return evidence


def _check_split(dispute: Dispute, freelancer_cents) -> int:
    if isinstance(freelancer_cents, bool) or not isinstance(freelancer_cents, int) or freelancer_cents < 0:
        message = "Give the freelancer's part as a whole number of cents, zero or more."
        raise InvalidInput("split_invalid", message, errors={"freelancer_cents": [message]})
    if freelancer_cents > dispute.amount_cents:
        message = "The split cannot be larger than the money held in the dispute."
        raise InvalidInput("settlement_too_large", message, errors={"freelancer_cents": [message]})
    return freelancer_cents


@transaction.atomic
def settlement_propose(*, actor, dispute_id: int, freelancer_cents: int, note: str = "") -> SettlementOffer:
    """A party proposes a split of the held amount (the freelancer's part; the client gets the rest). It replaces
    the proposer's own pending proposal."""
    dispute = _dispute_for_update(dispute_id)
    side = side_of(user=actor, contract=dispute.contract)
    _require_unresolved(dispute)
    freelancer_cents = _check_split(dispute, freelancer_cents)
    note = note.strip()[:2000]
    for pending in dispute.offers.select_for_update().filter(side=side, status=SettlementOffer.Status.PENDING):
        transition(pending, SettlementOffer.Status.WITHDRAWN, actor=actor)
    offer = SettlementOffer.objects.create(
        dispute=dispute,
        proposed_by=actor,
        side=side,
        freelancer_cents=freelancer_cents,
        client_cents=dispute.amount_cents - freelancer_cents,
        note=note,
    )
    dispute.events.create(
        from_status=dispute.status, to_status=dispute.status, actor=actor, note=f"Settlement proposed. {note}".strip()
    )
    _tell(
        dispute,
        side=_other(side),
        kind="dispute_settlement_proposed",
        title=f"{actor.display_name} proposes a settlement of the dispute on “{dispute.contract.title}”",
        body=note,
    )
    return offer


def _offer_for_answer(*, actor, dispute_id: int, offer_id: int) -> tuple[Dispute, SettlementOffer, str]:
    dispute = _dispute_for_update(dispute_id)
    side = side_of(user=actor, contract=dispute.contract)
    offer = lock(dispute.offers.all(), pk=offer_id)
    _require_unresolved(dispute)
    if offer.side == side:
        raise DomainError("own_settlement", "The other party answers your proposal.")
    if offer.status != SettlementOffer.Status.PENDING:
        raise DomainError("settlement_not_pending", "This proposal was replaced, declined or already answered.")
    return dispute, offer, side


def settlement_accept(*, actor, dispute_id: int, offer_id: int) -> Dispute:
    """The other party accepts a pending proposal: the dispute is resolved by agreement, in one ledger entry.
    Accepting the same proposal again (a replayed request) answers with the dispute and moves nothing. Not one
    transaction: the client's part goes back to the card after the decision commits (see the module docstring)."""
    return _execute(_settlement_accept(actor=actor, dispute_id=dispute_id, offer_id=offer_id))


@transaction.atomic
def _settlement_accept(*, actor, dispute_id: int, offer_id: int) -> tuple[Dispute, GatewayOperation | None]:
    dispute = _dispute_for_update(dispute_id)
    side_of(user=actor, contract=dispute.contract)
    accepted = dispute.offers.filter(pk=offer_id, status=SettlementOffer.Status.ACCEPTED, answered_by=actor)
    if accepted.exists():
        return dispute, None
    dispute, offer, _side = _offer_for_answer(actor=actor, dispute_id=dispute_id, offer_id=offer_id)
    transition(offer, SettlementOffer.Status.ACCEPTED, answered_by=actor, answered_at=timezone.now())
    for other in dispute.offers.select_for_update().filter(status=SettlementOffer.Status.PENDING):
        transition(other, SettlementOffer.Status.WITHDRAWN)
    return _resolve(
        dispute,
        actor=actor,
        resolution=Dispute.Resolution.AGREED,
        freelancer_cents=offer.freelancer_cents,
        reason=f"Settled by agreement: {actor.display_name} accepted the proposal of "
        f"{offer.proposed_by.display_name if offer.proposed_by else 'the other party'}.",
    )


@transaction.atomic
def settlement_decline(*, actor, dispute_id: int, offer_id: int) -> SettlementOffer:
    dispute, offer, side = _offer_for_answer(actor=actor, dispute_id=dispute_id, offer_id=offer_id)
    transition(offer, SettlementOffer.Status.DECLINED, answered_by=actor, answered_at=timezone.now())
    _tell(
        dispute,
        side=_other(side),
        kind="dispute_responded",
        title=f"{actor.display_name} declined your settlement proposal on “{dispute.contract.title}”",
    )
    return offer


# --- Staff ---


def may_resolve(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm(RESOLVE_PERMISSION)


def dispute_resolve(
    *, staff, dispute_id: int, resolution: str, reason: str, freelancer_cents: int | None = None
) -> Dispute:
    """Staff with the resolve permission decide: release all to the freelancer, refund all to the client, or split
    by amounts, with a written reason both parties see. Refused for staff who are a party to the contract. Not one
    transaction: the client's part goes back to the card after the decision commits."""
    return _execute(
        _dispute_resolve(
            staff=staff, dispute_id=dispute_id, resolution=resolution, reason=reason, freelancer_cents=freelancer_cents
        )
    )


@transaction.atomic
def _dispute_resolve(*, staff, dispute_id: int, resolution: str, reason: str, freelancer_cents: int | None):
    if not may_resolve(staff):
        raise PermissionDenied("Resolving disputes needs the payments staff permission.")
    dispute = _dispute_for_update(dispute_id)
    contract = dispute.contract
    if contract.freelancer_id == staff.pk or has_org_perm(staff, contract.organization_id, OrgPerm.VIEW):
        raise DomainError("staff_is_party", "You are a party to this contract: another staff member must decide.")
    reason = _text(reason, field="reason", required="Write the reason both parties will read.")
    _require_unresolved(dispute)
    amounts: dict[str, int | None] = {
        Dispute.Resolution.RELEASED: dispute.amount_cents,
        Dispute.Resolution.REFUNDED: 0,
        Dispute.Resolution.SPLIT: freelancer_cents,
    }
    if resolution not in amounts:
        raise InvalidInput("resolution_invalid", "Choose release, refund or split.", errors={"resolution": ["?"]})
    for pending in dispute.offers.select_for_update().filter(status=SettlementOffer.Status.PENDING):
        transition(pending, SettlementOffer.Status.WITHDRAWN)
    to_freelancer = _check_split(dispute, amounts[resolution])
    audit.record(
        actor=staff,
        action="dispute_resolve",
        target=ref(Kind.DISPUTE, dispute.pk),
        reason=reason,
        data={"resolution": resolution, "freelancer_cents": to_freelancer, "amount_cents": dispute.amount_cents},
    )
    return _resolve(
        dispute,
        actor=staff,
        resolution=resolution,
        freelancer_cents=to_freelancer,
        reason=reason,
    )


def _resolve(
    dispute: Dispute, *, actor, resolution: str, freelancer_cents: int, reason: str
) -> tuple[Dispute, GatewayOperation | None]:
    """Record the decision and settle the hold in one entry: at once when nothing goes back to the client, else
    when the gateway confirms the refund the returned operation makes (the caller executes it after commit). The
    caller holds the contract and dispute locks and has checked who may do it."""
    if dispute.hold_id is None:
        raise DomainError("dispute_not_held", "This dispute holds no money to settle.")
    contract = dispute.contract
    client_cents = dispute.amount_cents - freelancer_cents
    attempt = saga.attempts(reference=ref(Kind.DISPUTE, dispute.pk), kind=OperationKind.REFUND)
    op = saga.settle(
        hold_id=dispute.hold_id,
        payee=Owner.of_user(contract.freelancer),
        payee_cents=freelancer_cents,
        payer_cents=client_cents,
        idempotency_key=f"{dispute.hold_key}:settle:{attempt}",
        actor=actor,
        description=f"{contract.title}: dispute resolution"[:255],
    )
    transition(
        dispute,
        S.SETTLING,
        actor=actor,
        note=reason,
        resolution=resolution,
        freelancer_cents=freelancer_cents,
        client_cents=client_cents,
        resolution_reason=reason,
        resolved_by=actor,
    )
    if op is None:
        _settled(dispute)
    return dispute, op


def _settled(dispute: Dispute) -> None:
    """The settlement entry is posted: the dispute is resolved, the milestone takes its final state, both parties
    are told, and the freelancer's score is recomputed after commit. Under the dispute's lock."""
    now = timezone.now()
    actor = dispute.resolved_by
    transition(dispute, S.RESOLVED, actor=actor, note="The money was paid out as decided.", resolved_at=now)
    if dispute.milestone_id:
        milestone = lock(Milestone.objects.all(), pk=dispute.milestone_id)
        if dispute.freelancer_cents:
            transition(milestone, M.APPROVED, actor=actor, note=dispute.resolution_reason, approved_at=now)
        else:
            transition(milestone, M.REFUNDED, actor=actor, note=dispute.resolution_reason, refunded_at=now)
    else:
        _settle_hours(dispute, now=now)
    freelancer_id = dispute.contract.freelancer_id
    transaction.on_commit(lambda: score.job_success_refresh(freelancer_id=freelancer_id))
    agreed = dispute.resolution == Dispute.Resolution.AGREED
    _tell_both(
        dispute,
        kind="dispute_settled" if agreed else "dispute_resolved",
        title=f"The dispute on “{dispute.contract.title}” is resolved: {dispute.get_resolution_display().lower()}",
        body=dispute.resolution_reason,
    )


def _settle_hours(dispute: Dispute, *, now: dt.datetime) -> None:
    """A timesheet's dispute is settled: the freelancer's part counts as released, and the week is paid if its
    undisputed rest was released already (else the release at the end of the review finishes it)."""
    timesheet = lock(Timesheet.objects.all(), pk=pk_of(dispute.subject_reference, Kind.TIMESHEET))
    timesheet.released_cents += dispute.freelancer_cents or 0  # set by every resolution; None only before one
    timesheet.save(update_fields=["released_cents", "updated_at"])
    if timesheet.released_at is not None:
        transition(timesheet, Timesheet.Status.PAID, actor=dispute.resolved_by, note=dispute.resolution_reason)


def _execute(decided: tuple[Dispute, GatewayOperation | None]) -> Dispute:
    """After the decision committed: send the client's part back to the card (the saga settles it and calls
    `_payment_settled`), and answer with the dispute as it is now."""
    dispute, op = decided
    if op is not None:
        saga.execute(op)
        dispute.refresh_from_db()
    return dispute


def _payment_settled(settled: saga.Settlement) -> None:
    """The saga's callback for Kind.DISPUTE: the refund part of a settlement succeeded (the entry is posted) or
    failed (nothing moved; the money stays held and staff decide again)."""
    dispute = _dispute_for_update(pk_of(settled.op.reference, Kind.DISPUTE))
    if dispute.status != S.SETTLING:
        return
    if settled.succeeded:
        _settled(dispute)
        return
    transition(
        dispute,
        S.ESCALATED,
        note=f"The refund to the client failed ({settled.error_detail}): the money stays held for a new decision.",
        resolution="",
        freelancer_cents=None,
        client_cents=None,
        resolution_reason="",
        resolved_by=None,
    )
    _tell_both(
        dispute,
        kind="dispute_responded",
        title=f"Paying out the dispute on “{dispute.contract.title}” failed: our staff will decide again",
    )


saga.register(Kind.DISPUTE, on_settled=_payment_settled)


# --- The clock ---


def _staff_who_resolve():
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    return [user for user in users if user.has_perm(RESOLVE_PERMISSION)]


def disputes_clock(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """The beat task: remind the other party DISPUTE_REMINDER_HOURS before its time runs out, then hand every
    dispute not settled in time to staff. Returns (reminded, escalated); each dispute in its own transaction,
    re-checked under its lock, so running twice changes nothing more."""
    now = now or timezone.now()
    remind_from = now + dt.timedelta(hours=settings.DISPUTE_REMINDER_HOURS)
    due_reminder = Dispute.objects.filter(status=S.OPEN, reminded_at__isnull=True, respond_by__lte=remind_from)
    reminded = sum(_remind(dispute_id=pk, now=now) for pk in due_reminder.values_list("pk", flat=True))
    overdue = Dispute.objects.filter(status__in=(S.OPEN, S.RESPONDED), respond_by__lte=now)
    escalated = sum(_escalate(dispute_id=pk, now=now) for pk in overdue.values_list("pk", flat=True))
    return reminded, escalated


@transaction.atomic
def _remind(*, dispute_id: int, now: dt.datetime) -> bool:
    dispute = _dispute_for_update(dispute_id)
    if dispute.status != S.OPEN or dispute.reminded_at is not None or dispute.respond_by <= now:
        return False
    dispute.reminded_at = now
    dispute.save(update_fields=["reminded_at"])
    _tell(
        dispute,
        side=_other(dispute.opened_by_side),
        kind="dispute_opened",
        title=f"Reminder: respond to the dispute on “{dispute.contract.title}” by "
        f"{dispute.respond_by:%d %b %Y %H:%M} UTC, or staff will decide without your side",
    )
    return True


@transaction.atomic
def _escalate(*, dispute_id: int, now: dt.datetime) -> bool:
    dispute = _dispute_for_update(dispute_id)
    if dispute.status not in (S.OPEN, S.RESPONDED) or dispute.respond_by > now:
        return False
    days = settings.DISPUTE_RESPONSE_DAYS
    transition(dispute, S.ESCALATED, note=f"No agreement within {days} days: staff decide.", escalated_at=now)
    title = f"The dispute on “{dispute.contract.title}” is now with our staff to decide"
    _tell_both(dispute, kind="dispute_responded", title=title)
    admin_url = reverse("admin:contracts_dispute_change", args=[dispute.pk])
    for user in _staff_who_resolve():
        notify(
            user=user,
            kind="dispute_opened",
            title=f"Dispute #{dispute.pk} needs a decision (no agreement in {days} days)",
            url=admin_url,
            reference=ref(Kind.DISPUTE, dispute.pk),
        )
    return True


# --- Refund rejected: the dispute the refund request turns into ---


def dispute_from_rejected_refund(*, actor, milestone: Milestone, reason: str) -> Dispute:
    """The freelancer rejected the client's refund request (contracts.services.milestones, under the contract and
    milestone locks): open the dispute it becomes, held like any other; the client's request is its reason."""
    request = milestone.events.filter(to_status=M.REFUND_REQUESTED).order_by("-created_at", "-id").first()
    client_reason = request.note if request and request.note else "The client asked for a refund."
    contract = milestone.contract
    dispute = _open(
        contract=contract,
        actor=actor,
        side=Party.FREELANCER,
        subject=ref(Kind.MILESTONE, milestone.pk),
        milestone=milestone,
        amount_cents=milestone.amount_cents,
        currency=milestone.currency,
        reason=f"Refund requested by the client and rejected by the freelancer. {client_reason}",
        now=timezone.now(),
        tell=False,  # the milestone service tells the client the refund was rejected
    )
    client_author = request.actor if request else None
    DisputeEvidence.objects.create(dispute=dispute, author=client_author, side=Party.CLIENT, text=client_reason)
    DisputeEvidence.objects.create(dispute=dispute, author=actor, side=Party.FREELANCER, text=reason)
    # Both sides have spoken already: the clock runs on for a settlement, then staff decide.
    transition(dispute, S.RESPONDED, actor=actor, note=reason, responded_at=dispute.opened_at)
    return dispute
