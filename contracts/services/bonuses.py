"""Bonuses: an extra payment from the client on an active, paused or recently ended contract of either type.

Charged with the client fee into the contract's escrow through the payment saga and released, in the
transaction that settles the charge, to the freelancer's pending balance less the freelancer fee (the security
hold then applies as to any release). The caller's idempotency key names the bonus: the same request twice pays
once (and a failed one answers with its failure); the same key with another amount or note is refused. The bonus
row and the saga's charge are begun in one transaction; `_payment_settled` (registered for Kind.BONUS) finishes
it however the charge settles (the gateway's answer, the webhook, reconcile).
"""

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Bonus, Contract
from contracts.services._common import require_contract_client, require_party
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import check_bounds, format_money
from kernel.refs import Kind, pk_of, ref
from kernel.transitions import lock, transition
from messaging.services import notify
from payments import fees
from payments.models import OperationKind
from payments.services import saga
from payments.services.ledger import Owner

# How long after a contract ends a bonus may still be paid on it.
RECENT_END_DAYS = 30


def _clean(*, amount_cents: int, note: str) -> str:
    note = (note or "").strip()
    errors = {}
    if not note or len(note) > 2000 or "\x00" in note:
        errors["note"] = ["Say what the bonus is for (up to 2,000 characters)."]
    try:
        check_bounds(amount_cents)
    except InvalidInput as exc:
        errors["amount_cents"] = [exc.detail]
    if errors:
        raise InvalidInput("bonus_invalid", "Check the bonus.", errors=errors)
    return note


def bonus_pay(*, actor, contract_id: int, amount_cents: int, note: str, idempotency_key: str) -> Bonus:
    """A client member with OrgPerm.FUND pays a bonus. A declined card marks it failed and raises the card's
    DomainError; a repeat of a failed request raises it again."""
    note = _clean(amount_cents=amount_cents, note=note)
    with transaction.atomic():
        contract = lock(Contract.objects.select_related("organization"), pk=contract_id)
        require_contract_client(user=actor, contract=contract, perm=OrgPerm.FUND)
        bonus = Bonus.objects.filter(idempotency_key=idempotency_key).first()
        if bonus is not None:
            if (bonus.contract_id, bonus.amount_cents, bonus.note) != (contract.pk, amount_cents, note):
                raise DomainError("idempotency_conflict", "That idempotency key was already used for another bonus.")
            if bonus.status == Bonus.Status.FAILED:
                raise DomainError("payment_failed", bonus.failure_reason or "The bonus payment failed.")
            if bonus.status == Bonus.Status.PAID:
                return bonus
        else:
            if contract.freelancer_id == actor.pk:
                raise DomainError("self_payment", "You cannot pay a bonus to yourself.", status=403)
            if contract.ended_at and contract.ended_at < timezone.now() - dt.timedelta(days=RECENT_END_DAYS):
                raise DomainError(
                    "contract_ended", f"A bonus can be paid up to {RECENT_END_DAYS} days after a contract ends."
                )
            bonus = Bonus.objects.create(
                contract=contract,
                amount_cents=amount_cents,
                currency=contract.currency,
                note=note,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
        op = saga.begin_charge(
            payer=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=bonus.amount_cents,
            currency=bonus.currency,
            reference=ref(Kind.BONUS, bonus.pk),
            idempotency_key=f"{ref(Kind.BONUS, bonus.pk)}:charge",
            actor=actor,
            description=f"Bonus on {contract.title}",
            escrow_label=contract.title,
        )
    saga.execute(op)
    bonus.refresh_from_db()
    return bonus


def _payment_settled(settled: saga.Settlement) -> None:
    """The saga settled a bonus's charge (registered for Kind.BONUS): release it at once, or mark it failed."""
    op = settled.op
    if op.kind != OperationKind.CHARGE:
        return
    bonus = lock(Bonus.objects.select_related("contract__freelancer"), pk=pk_of(op.reference, Kind.BONUS))
    if bonus.status != Bonus.Status.PENDING:
        if settled.succeeded:
            raise DomainError("bonus_not_pending", f"Bonus {bonus.pk} is {bonus.status}.")
        return
    if not settled.succeeded:
        transition(bonus, Bonus.Status.FAILED, failure_reason=(settled.error_detail or "The payment failed.")[:255])
        return
    contract = bonus.contract
    reference = ref(Kind.BONUS, bonus.pk)
    saga.release(
        escrow_reference=contract.escrow_reference,
        payee=Owner.of_user(contract.freelancer),
        amount_cents=bonus.amount_cents,
        currency=bonus.currency,
        reference=reference,
        idempotency_key=f"{reference}:release",
        actor=op.actor,
        description=f"Bonus on {contract.title}",
    )
    transition(bonus, Bonus.Status.PAID)
    net, _ = fees.split_release(bonus.amount_cents)
    notify(
        user=contract.freelancer,
        kind="bonus_paid",
        title=f"Bonus of {format_money(net, bonus.currency)} on “{contract.title}”",
        body=bonus.note,
        url=reverse("contracts:contract_detail", args=[contract.pk]),
        reference=reference,
    )


def _escrow_expected():
    """A bonus is released in the transaction that settles its charge: its escrow is always back to zero."""
    for pk in Bonus.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        yield ref(Kind.BONUS, pk), 0


saga.register(Kind.BONUS, on_settled=_payment_settled, expected_escrow=_escrow_expected)


def bonuses_of(*, user, contract_id: int) -> QuerySet[Bonus]:
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    require_party(user=user, contract=contract)
    return Bonus.objects.filter(contract=contract).select_related("created_by")
