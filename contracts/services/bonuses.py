"""Bonuses: an extra payment from the client on an active, paused or recently ended contract of either type.

Charged with the client fee into the contract's escrow and released at once to the freelancer's pending balance
less the freelancer fee (the security hold then applies as to any release). The caller's idempotency key names
the bonus: the same request twice pays once; the same key with another amount or note is refused. Not one
transaction: the bonus row is claimed and committed first, then the charge and the release are made with keys
derived from it (`bonus:{id}:charge`, `bonus:{id}:release`), so a crash in between is finished by a retry.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm
from contracts.models import Bonus, Contract
from contracts.services._common import require_contract_client, require_party
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import check_bounds, format_money
from kernel.refs import Kind, ref
from kernel.transitions import lock
from messaging.services import notify
from payments import fees
from payments.services import escrow

# How long after a contract ends a bonus may still be paid on it.
RECENT_END_DAYS = 30


def _claim(*, actor, contract_id: int, amount_cents: int, note: str, idempotency_key: str) -> Bonus:
    with transaction.atomic():
        contract = lock(Contract.objects, pk=contract_id)
        require_contract_client(user=actor, contract=contract, perm=OrgPerm.FUND)
        existing = Bonus.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if (existing.contract_id, existing.amount_cents, existing.note) != (contract.pk, amount_cents, note):
                raise DomainError("idempotency_conflict", "That idempotency key was already used for another bonus.")
            return existing
        if contract.freelancer_id == actor.pk:
            raise DomainError("self_payment", "You cannot pay a bonus to yourself.", status=403)
        ended_long_ago = contract.ended_at and contract.ended_at < timezone.now() - dt.timedelta(days=RECENT_END_DAYS)
        if ended_long_ago:
            raise DomainError(
                "contract_ended", f"A bonus can be paid up to {RECENT_END_DAYS} days after a contract ends."
            )
        try:
            with transaction.atomic():
                return Bonus.objects.create(
                    contract=contract,
                    amount_cents=amount_cents,
                    currency=contract.currency,
                    note=note,
                    created_by=actor,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:
            raise DomainError("operation_in_progress", "That bonus is already being paid.") from None


def bonus_pay(*, actor, contract_id: int, amount_cents: int, note: str, idempotency_key: str) -> Bonus:
    """A client member with OrgPerm.FUND pays a bonus; a declined card marks it failed and raises."""
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
    bonus = _claim(
        actor=actor, contract_id=contract_id, amount_cents=amount_cents, note=note, idempotency_key=idempotency_key
    )
    if bonus.status != Bonus.Status.PENDING:
        return bonus
    contract = Contract.objects.select_related("organization", "freelancer").get(pk=bonus.contract_id)
    reference = ref(Kind.BONUS, bonus.pk)
    label = f"Bonus on {contract.title}"
    try:
        escrow.escrow_fund(
            organization=contract.organization,
            escrow_reference=contract.escrow_reference,
            amount_cents=bonus.amount_cents,
            currency=bonus.currency,
            idempotency_key=f"{reference}:charge",
            reference=reference,
            description=label,
            escrow_label=contract.title,
        )
    except DomainError as exc:
        if exc.status != 503 and exc.code != "operation_in_progress":
            _record(bonus_id=bonus.pk, status=Bonus.Status.FAILED, reason=exc.detail)
        raise
    escrow.escrow_release(
        escrow_reference=contract.escrow_reference,
        freelancer=contract.freelancer,
        amount_cents=bonus.amount_cents,
        currency=bonus.currency,
        idempotency_key=f"{reference}:release",
        reference=reference,
        description=label,
    )
    return _record(bonus_id=bonus.pk, status=Bonus.Status.PAID)


@transaction.atomic
def _record(*, bonus_id: int, status: str, reason: str = "") -> Bonus:
    bonus = lock(Bonus.objects.select_related("contract__freelancer"), pk=bonus_id)
    if bonus.status != Bonus.Status.PENDING:
        return bonus
    bonus.status = status
    bonus.failure_reason = reason[:255]
    bonus.save(update_fields=["status", "failure_reason", "updated_at"])
    if status == Bonus.Status.PAID:
        net, _ = fees.split_release(bonus.amount_cents)
        notify(
            user=bonus.contract.freelancer,
            kind="bonus_paid",
            title=f"Bonus of {format_money(net, bonus.currency)} on “{bonus.contract.title}”",
            body=bonus.note,
            url=reverse("contracts:contract_detail", args=[bonus.contract_id]),
            reference=ref(Kind.BONUS, bonus.pk),
        )
    return bonus


def bonuses_of(*, user, contract_id: int) -> QuerySet[Bonus]:
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    require_party(user=user, contract=contract)
    return Bonus.objects.filter(contract=contract).select_related("created_by")
