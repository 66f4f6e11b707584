"""The payment saga: every charge, refund and transfer, every hold and settlement of escrow, in one place.

How a caller (contracts for milestones, timesheets and bonuses; disputes) uses it
--------------------------------------------------------------------------------
1. Register once, at import time of the module that owns the reference kind (an AppConfig.ready() imports it),
   what finishes the business side when money settles, and what escrow each of your references should hold::

       saga.register(Kind.MILESTONE, on_settled=_milestone_payment_settled, expected_escrow=_milestone_escrow)

   `on_settled(settled)` runs inside the transaction that settles an operation, whichever of the gateway's
   answer, the webhook or reconcile comes first, exactly once per settlement. It is told a `Settlement`: the
   outcome (`settled.succeeded`, `settled.status` succeeded / failed, `settled.error_detail` of a failure) and
   `settled.op`, the GatewayOperation as its row still is (`op.kind` charge / refund / transfer, `op.reference`,
   `op.actor`, `op.amount_cents`, `op.idempotency_key`; its status is not yet the outcome: the row moves after the
   callback returns; `settled.locked` is what your `lock_first` returned). Lock your row (or take it from
   `settled.locked`), move its status, notify people. Raise DomainError to refuse money that is
   no longer wanted (the milestone was funded meanwhile by another charge): the saga then refunds that charge
   automatically and alerts staff.
   `expected_escrow()` yields (reference, cents) for every reference of the kind; `ledger_check` compares it with
   the escrow postings of each reference.

2. Begin inside your own transaction, under your own row lock, and execute after it commits::

       with transaction.atomic():
           milestone = lock(Milestone.objects, pk=milestone_id)
           op = saga.begin_charge(payer=org, escrow_reference=contract.escrow_reference, amount_cents=...,
                                  currency="USD", reference=ref(Kind.MILESTONE, milestone.pk),
                                  idempotency_key=key, actor=user)
           if op.fresh and milestone.status != PENDING:
               raise DomainError(...)          # refusing rolls the new operation back
       saga.execute(op)                         # outside any transaction: calls the gateway, settles

   The same key returns the operation it began (`op.fresh` is False) and `execute` then answers as the first
   request did: the succeeded operation, the failure's DomainError, or 409 `operation_in_progress` while the
   gateway has not answered. A second key for a reference with a charge (or refund) still in flight is refused
   with 409 `operation_in_progress`; let that error end your transaction (it leaves it unusable). Use one key per
   attempt (`timesheet:40:charge:2`): a failed attempt's key replays its failure. Settling runs `on_settled`
   before it touches the operation's row, so beginning under the same row lock `on_settled` takes is safe.
   `execute` raises the gateway's refusal as DomainError (after `on_settled` saw the failure), and 503
   `gateway_unavailable` when the outcome is unknown (the operation stays pending; reconcile finishes it).
   A refund the gateway has accepted but not finished comes back pending: in progress until confirmed.

3. Money that does not touch the card network is one call inside your transaction, no execute:
   `release` (escrow → a payee's pending balance less the freelancer fee, then the security hold), `hold`
   (reserve part of an escrow for a cause, e.g. a dispute), `hold_void`, and `settle` (split a hold between payee
   and payer in one journal entry; when the payer gets a part, it returns a refund operation to `execute`, and the
   one entry is posted when the gateway confirms that refund: until then the money stays held).

Recipes: a timesheet is `begin_charge` (reference timesheet:N) and, after its review period, `release` of the
undisputed part with `hold` of the disputed one; a bonus is `begin_charge` (reference bonus:N) whose `on_settled`
calls `release` for the same reference in the settling transaction; a dispute resolution is `settle` of its hold.

Idempotency keys are the caller's (scope them by who and what: `kernel.idempotency`); references are built by
`kernel.refs.ref`. Escrow is named by `escrow_reference` ("contract:7"); a payee is a `ledger.Owner`
(`Owner.of_user(freelancer)`, later `Owner.of_organization(agency)`).
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, Sum

from accounts.models import Organization, User
from kernel.errors import DomainError, InvalidInput
from kernel.refs import Kind, parse_ref, ref
from kernel.transitions import lock, transition
from payments import fees
from payments.gateway.base import GatewayError, GatewayPending, GatewayUnavailable, get_gateway
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayCustomer,
    GatewayOperation,
    Hold,
    HoldLot,
    HoldStatus,
    JournalEntry,
    LedgerAccount,
    OperationKind,
    OperationStatus,
    PaymentMethod,
    Posting,
)
from payments.services import ledger
from payments.services.ledger import Owner
from payments.services.payment_methods import customer_for

logger = logging.getLogger(__name__)

OK, FAILED, PENDING = OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.PENDING

# --- what callers register ---


@dataclass(frozen=True)
class Settlement:
    """How an operation settled, as `on_settled` is told it: `op` is the row before it moves (see `register`)."""

    op: GatewayOperation
    status: str  # OperationStatus.SUCCEEDED or FAILED
    error_code: str = ""
    error_detail: str = ""
    # What the kind's `lock_first` returned (its row, locked already), or None: no need to lock it again.
    locked: object = None

    @property
    def succeeded(self) -> bool:
        return self.status == OK


SettledCallback = Callable[[Settlement], None]
EscrowExpectation = Callable[[], Iterable[tuple[str, int]]]


@dataclass(frozen=True)
class _Registration:
    on_settled: SettledCallback
    expected_escrow: EscrowExpectation | None
    lock_first: Callable[[str], object] | None


_registry: dict[Kind, _Registration] = {}


def register(
    kind: Kind,
    *,
    on_settled: SettledCallback,
    expected_escrow: EscrowExpectation | None = None,
    lock_first: Callable[[str], object] | None = None,
) -> None:
    """Finish the business side of `kind`'s references with `on_settled(settlement)` when one of their
    operations settles; `expected_escrow()` yields (reference, cents) for the ledger check.
    `lock_first(reference)` locks the caller's row: settlement takes it before the operation's and the accounts',
    the order in which a caller begins an operation under that lock, so a settlement and a new request on the
    same row cannot deadlock. One registration per kind."""
    _registry[Kind(kind)] = _Registration(on_settled, expected_escrow, lock_first)


def escrow_expectations() -> dict[Kind, EscrowExpectation]:
    """For the ledger check: each registered kind's expected escrow per reference."""
    return {kind: r.expected_escrow for kind, r in _registry.items() if r.expected_escrow is not None}


def _registration(reference: str) -> _Registration | None:
    parsed = parse_ref(reference)
    return _registry.get(parsed[0]) if parsed else None


# --- beginning an operation ---


def _require_atomic(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} runs inside the caller's transaction.atomic()")


def _create_operation(*, idempotency_key: str, request_hash: str, **fields) -> GatewayOperation:
    """Insert the new operation. Two requests racing with one key, or a second operation of its kind for a
    reference still in flight, meet the unique indexes: the loser is told it is in progress (409), and the
    caller's transaction, which this error leaves unusable, must end with it (let it propagate)."""
    try:
        op = GatewayOperation.objects.create(idempotency_key=idempotency_key, request_hash=request_hash, **fields)
    except IntegrityError as exc:
        raise DomainError(
            "operation_in_progress", "A payment for this is already being processed. Try again in a minute."
        ) from exc
    op.fresh = True
    return op


def begin_charge(
    *,
    payer: Organization,
    escrow_reference: str,
    amount_cents: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    actor: User | None = None,
    description: str = "",
    escrow_label: str = "",
) -> GatewayOperation:
    """Record a charge of the payer's default card for `amount_cents` plus the client fee, into the escrow of
    `escrow_reference` (created on first use, named `escrow_label`), for `reference`. Call inside your
    transaction, then `execute(op)` after it commits. Refuses a bad amount, key or reference (400), an
    organization without a card (`payment_method_required`), a second charge in flight for `reference`."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    ledger.check_reference(reference)
    ledger.check_reference(escrow_reference)
    _require_atomic("begin_charge")
    rhash = ledger.request_hash(
        op="charge",
        payer=payer.pk,
        escrow=escrow_reference,
        amount=amount_cents,
        currency=currency,
        reference=reference,
    )
    op = ledger.keyed_find(GatewayOperation, idempotency_key=idempotency_key, request_hash=rhash)
    if op is not None:
        return op
    gateway = get_gateway()
    method = (
        PaymentMethod.objects.filter(organization=payer, is_default=True, gateway=gateway.name)
        .annotate(
            customer=Subquery(
                GatewayCustomer.objects.filter(organization=OuterRef("organization"), gateway=gateway.name).values(
                    "customer_id"
                )
            )
        )
        .first()
    )
    if method is None:
        raise DomainError("payment_method_required", "Add a payment method before paying into escrow.")
    escrow = ledger.escrow_account(
        escrow_reference=escrow_reference, currency=currency, organization=payer, label=escrow_label[:200]
    )
    total, fee = fees.charge_total(amount_cents)
    return _create_operation(
        idempotency_key=idempotency_key,
        request_hash=rhash,
        kind=OperationKind.CHARGE,
        amount_cents=total,
        fee_cents=fee,
        currency=currency,
        organization=payer,
        actor=actor,
        escrow_account=escrow,
        reference=reference,
        description=description[:255],
        payment_method=method,
        gateway_customer=method.customer or customer_for(organization=payer, gateway=gateway),
        gateway_source=method.token,
    )


def begin_refund(
    *,
    escrow_reference: str,
    amount_cents: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    actor: User | None = None,
    description: str = "",
) -> GatewayOperation:
    """Record a refund of `amount_cents` of what was funded for `reference` back to the card that paid it, with
    the client fee charged on that part. The money is held at once (nothing can release it meanwhile) and leaves
    escrow in one entry when the gateway confirms; a refused refund frees it again. Call inside your
    transaction, then `execute(op)`; `on_settled` of `reference`'s kind sees the refund succeed or fail."""
    return _refund(
        escrow_reference=escrow_reference,
        amount_cents=amount_cents,
        currency=currency,
        reference=reference,
        cause=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        description=description,
    )


def _refund(
    *,
    escrow_reference: str,
    amount_cents: int,
    currency: str,
    reference: str,
    cause: str,
    idempotency_key: str,
    actor: User | None,
    description: str,
) -> GatewayOperation:
    """Hold `amount_cents` of `reference` for `cause` and settle all of it to the payer: the refund to execute."""
    held = hold(
        escrow_reference=escrow_reference,
        amount_cents=amount_cents,
        currency=currency,
        reference=reference,
        cause=cause,
        idempotency_key=f"{idempotency_key}:hold",
    )
    refund = settle(
        hold_id=held.pk,
        payee=None,
        payee_cents=0,
        payer_cents=amount_cents,
        idempotency_key=idempotency_key,
        actor=actor,
        description=description,
    )
    return _present(refund, "the refund of a settlement with a payer part")


_T = TypeVar("_T")


def _present(value: _T | None, what: str) -> _T:
    """A row the operation's kind guarantees (a refund's hold, a charge's escrow): its absence is a bug, not input."""
    if value is None:
        raise RuntimeError(f"{what} is missing")
    return value


def begin_transfer(
    *,
    source: LedgerAccount,
    destination: str,
    amount_cents: int,
    reference: str,
    idempotency_key: str,
    request_hash: str,
    actor: User | None = None,
    description: str = "",
) -> GatewayOperation:
    """Record a transfer of `amount_cents` out of `source` (a payee's available account) to the payout
    `destination`, taking the money out at once (entry `payout`: source −x, clearing +x) so it can never be spent
    twice. Call inside your transaction, having looked your key up (the payout does: its key is this one); then
    `execute(op)`. A refused transfer puts the money back through the `on_settled` of `reference`'s kind."""
    _require_atomic("begin_transfer")
    [clearing] = ledger.platform_accounts(source.currency, AccountKind.GATEWAY_CLEARING)
    entry = ledger.entry_post(
        kind=EntryKind.PAYOUT,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        currency=source.currency,
        memo=description,
        user_id=source.user_id,
        organization_id=source.organization_id,
        created_by=actor,
        lines=[(source, -amount_cents), (clearing, amount_cents)],
    )
    return _create_operation(
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        kind=OperationKind.TRANSFER,
        amount_cents=amount_cents,
        currency=source.currency,
        user_id=source.user_id,
        organization_id=source.organization_id,
        actor=actor,
        reference=reference,
        description=description[:255],
        gateway_source=destination,
        entry=entry,
    )


# --- executing and settling ---


def execute(op: GatewayOperation) -> GatewayOperation:
    """Make the gateway call of an operation begun in a transaction that has committed, and settle it.

    Returns the operation succeeded (or pending, when the gateway accepted and will confirm later). Raises the
    gateway's refusal as DomainError, 503 `gateway_unavailable` when the outcome is unknown. For an operation
    that was not fresh (a repeated key) no call is made: succeeded is returned, a failure raised again, and one
    still in flight is 409 `operation_in_progress`."""
    if not op.fresh:
        return _replay(op)
    op.fresh = False
    try:
        gateway_id = _call_gateway(op)
    except GatewayError as exc:
        failed = operation_failed(operation_id=op.pk, code=exc.code, detail=exc.detail, reference=op.reference)
        raise _failure_error(failed) from exc
    except GatewayPending as accepted:
        GatewayOperation.objects.filter(pk=op.pk, gateway_id="").update(gateway_id=accepted.gateway_id)
        op.gateway_id = accepted.gateway_id
        return op
    except GatewayUnavailable as exc:
        raise DomainError(
            "gateway_unavailable", "The payment processor did not answer; we will check and finish it.", status=503
        ) from exc
    return operation_succeeded(operation_id=op.pk, gateway_id=gateway_id, reference=op.reference)


def _call_gateway(op: GatewayOperation) -> str:
    gateway = get_gateway()
    metadata = {"operation": str(op.pk), "reference": op.reference}
    if op.kind == OperationKind.CHARGE:
        return gateway.charge(
            customer_id=op.gateway_customer,
            token=op.gateway_source,
            amount_cents=op.amount_cents,
            currency=op.currency,
            idempotency_key=op.idempotency_key,
            metadata=metadata,
        )
    if op.kind == OperationKind.REFUND:
        return gateway.refund(
            charge_id=op.gateway_source,
            amount_cents=op.amount_cents,
            idempotency_key=op.idempotency_key,
            metadata=metadata,
        )
    return gateway.transfer(
        destination=op.gateway_source,
        amount_cents=op.amount_cents,
        currency=op.currency,
        idempotency_key=op.idempotency_key,
        metadata=metadata,
    )


def _replay(op: GatewayOperation) -> GatewayOperation:
    if op.status == OK:
        return op
    if op.status == FAILED:
        raise _failure_error(op)
    raise DomainError("operation_in_progress", "That payment is still being processed. Try again in a minute.")


def _failure_error(op: GatewayOperation) -> DomainError:
    detail = op.error_detail or "The payment failed."
    if op.kind == OperationKind.CHARGE and op.error_code == "card_declined" and op.payment_method_id:
        method = PaymentMethod.objects.filter(pk=op.payment_method_id).first()
        detail = (
            f"{detail} Nothing was charged to {method or 'the card'}. To pay with another card, make it the "
            "default on the payment methods page, then try again."
        )
    return DomainError(op.error_code or "payment_failed", detail)


def _locked_operation(operation_id: int, reference: str | None) -> tuple[GatewayOperation, object]:
    """The operation locked for settling, after its caller's row (see `register`), and what `lock_first`
    returned. `reference` is the operation's when the caller has it in hand (it never changes), else it is read."""
    if reference is None:
        reference = GatewayOperation.objects.filter(pk=operation_id).values_list("reference", flat=True).first() or ""
    registration = _registration(reference)
    locked = None
    if registration is not None and registration.lock_first is not None:
        locked = registration.lock_first(reference)
    operations = GatewayOperation.objects.select_related("escrow_account", "hold__account", "actor")
    return lock(operations, pk=operation_id), locked


def operation_succeeded(*, operation_id: int, gateway_id: str, reference: str | None = None) -> GatewayOperation:
    """The gateway did it: post the money (once) and finish the business side. Also for a charge already marked
    failed that the gateway captured after all: it is reopened, and refunded if nobody wants it any more.
    `reference`: the operation's, when the caller holds it (`execute` does), to skip reading it."""
    with transaction.atomic():
        op, locked = _locked_operation(operation_id, reference)
        if op.status == OK:
            return op
        if op.status == FAILED and op.kind != OperationKind.CHARGE:
            logger.error("STAFF: %s #%s was failed, then the gateway reported it succeeded", op, op.pk)
            return op
        reopened = op.status == FAILED
        entry_id = op.entry_id  # a transfer's entry was posted when it began
        if op.kind == OperationKind.CHARGE:
            entry_id = _post_charge(op).pk
        elif op.kind == OperationKind.REFUND:
            held = _present(op.hold, "a refund's hold")
            entry_id = _post_settlement(
                held, idempotency_key=op.idempotency_key, request_hash=op.request_hash, refund=op, actor=op.actor
            ).pk
        refusal = _finish(Settlement(op, OK, locked=locked))
        transition(op, OK, gateway_id=gateway_id or op.gateway_id, error_code="", error_detail="", entry_id=entry_id)
        if reopened:
            logger.error("STAFF: charge #%s (%s) was captured after it was marked failed", op.pk, op.reference)
        if refusal is not None and op.kind == OperationKind.CHARGE:
            logger.error("STAFF: charge #%s for %s is not wanted (%s): refunding it", op.pk, op.reference, refusal)
            _refund_unwanted(op, reason=refusal)
    return op


def operation_failed(*, operation_id: int, code: str, detail: str, reference: str | None = None) -> GatewayOperation:
    """The gateway refused it (or never received it): nothing is posted for a charge, a refund's hold is freed
    (or kept frozen for its dispute), and the business side hears of it. A settled operation is left alone.
    `reference` as for `operation_succeeded`."""
    with transaction.atomic():
        op, locked = _locked_operation(operation_id, reference)
        if op.status != PENDING:
            if op.status == OK:
                logger.error("STAFF: %s #%s succeeded, then the gateway reported it failed: %s", op, op.pk, detail)
            return op
        if op.kind == OperationKind.REFUND:
            _settlement_abandon(_present(op.hold, "a refund's hold"))
        failure = Settlement(op, FAILED, error_code=code[:64], error_detail=detail[:255], locked=locked)
        _finish(failure)
        transition(op, FAILED, error_code=failure.error_code, error_detail=failure.error_detail)
    return op


def _finish(settled: Settlement) -> str | None:
    """The business side, in the settling transaction, before the operation's row changes: the caller's row lock
    is taken first, so a caller beginning another operation under that lock never waits on this one. Returns the
    refusal's detail when `on_settled` refused the money."""
    op = settled.op
    registration = _registration(op.reference)
    if registration is None:
        return None
    try:
        with transaction.atomic():
            registration.on_settled(settled)
    except DomainError as exc:
        if not settled.succeeded or op.kind != OperationKind.CHARGE:
            logger.error("STAFF: %s #%s settled but %s refused it: %s", op, op.pk, op.reference, exc.detail)
        return exc.detail
    return None


def _post_charge(op: GatewayOperation) -> JournalEntry:
    clearing, revenue = ledger.platform_accounts(
        op.currency, AccountKind.GATEWAY_CLEARING, AccountKind.CLIENT_FEE_REVENUE
    )
    escrow = _present(op.escrow_account, "a charge's escrow")
    return ledger.entry_post(
        kind=EntryKind.ESCROW_FUND,
        idempotency_key=op.idempotency_key,
        request_hash=op.request_hash,
        currency=op.currency,
        reference=op.reference,
        memo=op.description or f"Escrow funded for {escrow.reference}",
        organization_id=op.organization_id,
        created_by_id=op.actor_id,
        lines=[
            (clearing, -op.amount_cents),
            (escrow, op.amount_cents - op.fee_cents),
            (revenue, op.fee_cents),
        ],
    )


def _refund_unwanted(charge: GatewayOperation, *, reason: str) -> None:
    """Give a charge nobody wants back to its card, after this transaction commits (reconcile finishes it if
    this process dies first)."""
    refund = _refund(
        escrow_reference=_present(charge.escrow_account, "a charge's escrow").reference,
        amount_cents=charge.amount_cents - charge.fee_cents,
        currency=charge.currency,
        reference=charge.reference,
        cause=ref(Kind.PAYMENT, charge.pk),
        idempotency_key=f"{charge.idempotency_key}:unwanted",
        actor=None,
        description=f"Automatic refund: {reason}",
    )
    transaction.on_commit(lambda: _execute_logged(refund))


def _execute_logged(op: GatewayOperation) -> None:
    try:
        execute(op)
    except DomainError as exc:
        logger.error("STAFF: automatic %s #%s did not go through: %s", op, op.pk, exc.detail)


# --- escrow that stays inside the ledger: release, hold, settle ---


def escrow_balance(*, escrow_reference: str, currency: str = settings.DEFAULT_CURRENCY) -> int:
    """What the escrow of `escrow_reference` holds (reserved parts included)."""
    account = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
    return account.balance_cents if account else 0


def in_flight(*, references: Iterable[str]) -> dict[str, str]:
    """reference → the kind of its operation the gateway has not settled yet ("charge", "refund"), for the
    references given that have one: a page shows "in progress" from it, a service refuses what would race it."""
    refs = list(references)
    if not refs:
        return {}
    return dict(GatewayOperation.objects.filter(status=PENDING, reference__in=refs).values_list("reference", "kind"))


def attempts(*, reference: str, kind: str, status: str | None = None) -> int:
    """How many operations of `kind` (in `status`, if given) were begun for `reference`: a caller numbering its
    attempts keys the next one after the failed ones."""
    operations = GatewayOperation.objects.filter(reference=reference, kind=kind)
    return (operations.filter(status=status) if status else operations).count()


def _reference_available(account: LedgerAccount, reference: str) -> int:
    """What `reference` has in `account` and no hold reserves: call after moving it, under the account's lock."""
    posted = Posting.objects.filter(account=account, entry__reference=reference).aggregate(s=Sum("amount_cents"))["s"]
    held = Hold.objects.filter(account=account, reference=reference, status=HoldStatus.PENDING).aggregate(
        s=Sum("amount_cents")
    )["s"]
    return (posted or 0) - (held or 0)


def _check_reference_covers(account: LedgerAccount, reference: str) -> None:
    if _reference_available(account, reference) < 0:
        raise DomainError("insufficient_escrow", f"Less than that was funded for {reference}.")


def release(
    *,
    escrow_reference: str,
    payee: Owner,
    amount_cents: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    actor: User | None = None,
    description: str = "",
) -> JournalEntry:
    """Move `amount_cents` of what was funded for `reference` from escrow to the payee's pending balance less the
    freelancer fee, in one entry; the net waits out settings.SECURITY_HOLD_DAYS in a hold lot. Inside your
    transaction (or its own). The same key returns the same entry; money a hold reserves cannot be released."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    ledger.check_reference(reference)
    rhash = ledger.request_hash(
        op="release",
        escrow=escrow_reference,
        payee=payee.key,
        amount=amount_cents,
        currency=currency,
        reference=reference,
    )
    with transaction.atomic():
        existing = ledger.keyed_find(JournalEntry, idempotency_key=idempotency_key, request_hash=rhash)
        if existing is not None:
            return existing
        escrow = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
        if escrow is None:
            raise DomainError("insufficient_escrow", "Nothing was funded into that escrow.")
        pending = ledger.owner_account(AccountKind.FREELANCER_PENDING, payee, currency)
        [revenue] = ledger.platform_accounts(currency, AccountKind.FREELANCER_FEE_REVENUE)
        net, fee = fees.split_release(amount_cents)
        try:
            with transaction.atomic():
                entry = ledger.entry_post(
                    kind=EntryKind.ESCROW_RELEASE,
                    idempotency_key=idempotency_key,
                    request_hash=rhash,
                    currency=currency,
                    reference=reference,
                    memo=description[:255] or f"Released from {escrow_reference}",
                    organization_id=escrow.organization_id,
                    user=payee.user,
                    created_by=actor,
                    lines=[(escrow, -amount_cents), (pending, net), (revenue, fee)],
                )
        except IntegrityError:
            existing = ledger.keyed_find(JournalEntry, idempotency_key=idempotency_key, request_hash=rhash)
            if existing is None:
                raise
            return existing
        _check_reference_covers(escrow, reference)
        _security_hold(pending, entry=entry, net_cents=net)
        return entry


def _security_hold(pending: LedgerAccount, *, entry: JournalEntry, net_cents: int) -> None:
    if net_cents > 0:
        HoldLot.objects.create(
            account=pending,
            currency=pending.currency,
            amount_cents=net_cents,
            release_entry=entry,
            available_at=entry.created_at + timedelta(days=settings.SECURITY_HOLD_DAYS),
        )


def hold(
    *,
    escrow_reference: str,
    amount_cents: int,
    currency: str,
    reference: str,
    cause: str,
    idempotency_key: str,
) -> Hold:
    """Reserve `amount_cents` of what was funded for `reference` in the escrow of `escrow_reference`, for `cause`
    ("dispute:3"): from now on nothing releases or refunds it but `settle` or `hold_void` of this hold. Inside
    your transaction (or its own); the same key returns the same hold."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    ledger.check_reference(reference)
    ledger.check_reference(cause)
    rhash = ledger.request_hash(
        op="hold", escrow=escrow_reference, amount=amount_cents, currency=currency, reference=reference, cause=cause
    )
    with transaction.atomic():
        existing = ledger.keyed_find(Hold, idempotency_key=idempotency_key, request_hash=rhash)
        if existing is not None:
            return existing
        escrow = ledger.escrow_account(escrow_reference=escrow_reference, currency=currency)
        if escrow is None:
            raise DomainError("insufficient_escrow", "Nothing was funded into that escrow.")
        try:
            with transaction.atomic():
                held = Hold.objects.create(
                    account=escrow,
                    amount_cents=amount_cents,
                    currency=currency,
                    reference=reference,
                    cause=cause,
                    idempotency_key=idempotency_key,
                    request_hash=rhash,
                )
        except IntegrityError:
            existing = ledger.keyed_find(Hold, idempotency_key=idempotency_key, request_hash=rhash)
            if existing is None:
                raise
            return existing
        ledger.balance_move(escrow, 0, held=amount_cents)
        _check_reference_covers(escrow, reference)
        return held


@transaction.atomic
def hold_void(*, hold_id: int) -> Hold:
    """Free a hold's money again (the cause went away). Refused while a settlement of it is at the gateway."""
    held = lock(Hold.objects.select_related("account"), pk=hold_id)
    if held.status == HoldStatus.VOIDED:
        return held
    if held.payer_cents and held.operations.filter(status=PENDING).exists():
        raise DomainError("settlement_in_progress", "A settlement of this money is being made.")
    _void(held)
    return held


def _void(held: Hold) -> None:
    transition(held, HoldStatus.VOIDED, refusal=("hold_settled", "That money was already settled."))
    ledger.balance_move(held.account, 0, held=-held.amount_cents)


def settle(
    *,
    hold_id: int,
    payee: Owner | None,
    payee_cents: int,
    payer_cents: int,
    idempotency_key: str,
    actor: User | None = None,
    description: str = "",
) -> GatewayOperation | None:
    """Split a hold between the payee (released to pending less the freelancer fee, then the security hold) and
    the payer (refunded to the card with the client fee charged on that part), in ONE journal entry. The parts
    must add up to the hold. Inside your transaction.

    Without a payer part the entry is posted now and None returned. With one, a refund operation is returned for
    you to `execute` after commit; the entry is posted when the gateway confirms the refund (the `on_settled` of
    the hold's cause hears of it) and until then the money stays held. If the gateway refuses, nothing is posted
    and the hold stays (for a refund of the reference itself, `begin_refund`, it is freed instead)."""
    ledger.check_key(idempotency_key)
    _require_atomic("settle")
    held = lock(Hold.objects.select_related("account"), pk=hold_id)
    rhash = ledger.request_hash(
        op="settle", hold=held.pk, payee=payee.key if payee else "", payee_cents=payee_cents, payer_cents=payer_cents
    )
    op = ledger.keyed_find(GatewayOperation, idempotency_key=idempotency_key, request_hash=rhash)
    if op is not None:
        return op
    if held.status == HoldStatus.POSTED and held.entry and held.entry.idempotency_key == idempotency_key:
        return None
    if held.status != HoldStatus.PENDING:
        raise DomainError("hold_settled", "That money was already settled or released back.")
    if min(payee_cents, payer_cents) < 0 or payee_cents + payer_cents != held.amount_cents:
        raise InvalidInput("settlement_invalid", "The parts of a settlement must add up to the money held.")
    held.payee_account = None
    if payee_cents:
        if payee is None:
            raise InvalidInput("payee_required", "Name who receives the payee's part.")
        held.payee_account = ledger.owner_account(AccountKind.FREELANCER_PENDING, payee, held.currency)
    held.payee_cents, held.payer_cents = payee_cents, payer_cents
    if not payer_cents:
        _post_settlement(held, idempotency_key=idempotency_key, request_hash=rhash, refund=None, actor=actor)
        return None
    charge, fee = _refundable_charge(
        escrow=held.account, reference=held.reference, amount_cents=payer_cents, only=_charge_of_cause(held.cause)
    )
    held.save(update_fields=["payee_account", "payee_cents", "payer_cents", "updated_at"])
    return _create_operation(
        idempotency_key=idempotency_key,
        request_hash=rhash,
        kind=OperationKind.REFUND,
        amount_cents=payer_cents + fee,
        fee_cents=fee,
        currency=held.currency,
        organization_id=held.account.organization_id,
        actor=actor,
        escrow_account=held.account,
        reference=held.cause,
        description=description[:255],
        parent=charge,
        hold=held,
        gateway_source=charge.gateway_id,
    )


def _post_settlement(
    held: Hold, *, idempotency_key: str, request_hash: str, refund: GatewayOperation | None, actor: User | None
) -> JournalEntry:
    """The one entry of a settlement: escrow −held; payee pending +net, freelancer fee +fee; clearing
    +(payer part + its client fee), client fee revenue −that fee. Posts the hold."""
    currency = held.currency
    clearing, client_fee, freelancer_fee = ledger.platform_accounts(
        currency, AccountKind.GATEWAY_CLEARING, AccountKind.CLIENT_FEE_REVENUE, AccountKind.FREELANCER_FEE_REVENUE
    )
    lines = [(held.account, -held.amount_cents)]
    payee_account, net = None, 0
    if held.payee_cents:
        payee_account = _present(held.payee_account, "a settlement's payee account")
        net, fee = fees.split_release(held.payee_cents)
        lines += [(payee_account, net), (freelancer_fee, fee)]
    if held.payer_cents:
        paid_back = _present(refund, "the refund of a settlement's payer part")
        lines += [(clearing, paid_back.amount_cents), (client_fee, -paid_back.fee_cents)]
    kind = EntryKind.ESCROW_SETTLEMENT
    if not held.payer_cents:
        kind = EntryKind.ESCROW_RELEASE
    elif not held.payee_cents:
        kind = EntryKind.ESCROW_REFUND
    entry = ledger.entry_post(
        kind=kind,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        currency=currency,
        reference=held.reference,
        memo=(refund.description if refund else "") or f"Settled for {held.cause}",
        organization_id=held.account.organization_id,
        user_id=payee_account.user_id if payee_account else None,
        created_by=actor,
        lines=lines,
        released={held.account.pk: held.amount_cents},
    )
    transition(
        held,
        HoldStatus.POSTED,
        entry=entry,
        payee_account=held.payee_account,
        payee_cents=held.payee_cents,
        payer_cents=held.payer_cents,
    )
    if payee_account is not None:
        _security_hold(payee_account, entry=entry, net_cents=net)
    return entry


def _settlement_abandon(held: Hold) -> None:
    """The refund of a settlement failed: the hold keeps its money (frozen for its cause), without the plan; a
    plain refund's own hold is freed."""
    held = lock(Hold.objects.select_related("account"), pk=held.pk)
    if held.status != HoldStatus.PENDING:
        return
    if held.cause == held.reference:
        _void(held)
        return
    held.payee_account, held.payee_cents, held.payer_cents = None, 0, 0
    held.save(update_fields=["payee_account", "payee_cents", "payer_cents", "updated_at"])


def _charge_of_cause(cause: str) -> int | None:
    """An automatic refund's hold names the charge it gives back ("payment:17")."""
    parsed = parse_ref(cause)
    return parsed[1] if parsed and parsed[0] == Kind.PAYMENT else None


def _refundable_charge(
    *, escrow: LedgerAccount, reference: str, amount_cents: int, only: int | None = None
) -> tuple[GatewayOperation, int]:
    """The succeeded charge into this escrow (the one `only` names, if given) that still has `amount_cents` of
    escrow money left to refund, preferring the one made for the same reference, and the client fee share to
    give back with it. Locks the charge rows so refunds of one charge serialize."""
    succeeded = GatewayOperation.objects.select_for_update(of=("self",)).filter(
        kind=OperationKind.CHARGE, status=OK, escrow_account=escrow
    )
    charges = list((succeeded.filter(pk=only) if only else succeeded).order_by("pk"))
    charges.sort(key=lambda c: (c.reference != reference, -c.pk))
    for charge in charges:
        refunded = charge.children.filter(kind=OperationKind.REFUND, status__in=[PENDING, OK]).aggregate(
            total=Sum("amount_cents"), fee=Sum("fee_cents")
        )
        refunded_escrow = (refunded["total"] or 0) - (refunded["fee"] or 0)
        charged_escrow = charge.amount_cents - charge.fee_cents
        if charged_escrow - refunded_escrow >= amount_cents:
            fee_after = fees.prorate(refunded_escrow + amount_cents, charged_escrow, charge.fee_cents)
            return charge, fee_after - (refunded["fee"] or 0)
    raise DomainError(
        "refund_exceeds_charge",
        "No single charge into this escrow has that much left to refund; refund it in parts per charge.",
    )
