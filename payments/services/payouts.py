"""Freelancers' payout methods and withdrawals.

A withdrawal is a saga transfer (payments.services.saga.begin_transfer): the money leaves available at once
(entry `payout`: available −x, clearing +x) with the pending operation, commits, then the gateway is asked. So two
withdrawals can never spend the same money, and a transfer the gateway refuses (now, later by webhook, or by
reconcile) puts the money back to available in its own `payout_failed` entry; a partial reversal returns just the
part reversed.
"""

import contextlib

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from kernel.errors import DomainError, NotFound
from kernel.money import format_money
from kernel.refs import Kind, ref
from kernel.transitions import lock, transition
from payments.gateway.base import GatewayError, GatewayUnavailable, get_gateway
from payments.models import (
    AccountKind,
    EntryKind,
    OperationStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
)
from payments.selectors import names_a_row
from payments.services import ledger, saga


def payout_method_add_sandbox_bank(*, user: User, holder_name: str, account_last4: str) -> PayoutMethod:
    """Sandbox bank account: verified at once (a bank account ending 0002 accepts payouts, then fails them)."""
    if get_gateway().name != "sandbox":
        raise DomainError("not_supported", "Connect a Stripe account to get paid.", status=400)
    if not (account_last4.isdigit() and len(account_last4) == 4):
        raise DomainError("invalid_account", "Enter the last four digits of the account.", status=400)
    return _payout_method_create(
        user=user,
        kind=PayoutMethod.Kind.SANDBOX_BANK,
        label=f"{holder_name.strip()[:50] or 'Bank account'} •••• {account_last4}",
        last4=account_last4,
        verified=True,
    )


def payout_method_add_stripe_account(*, user: User, account_id: str) -> PayoutMethod:
    """A Stripe connected account; usable once Stripe reports its payouts enabled."""
    gateway = get_gateway()
    if gateway.name != "stripe":
        raise DomainError("not_supported", "Stripe is not configured here.", status=400)
    if not account_id.startswith("acct_"):
        raise DomainError("invalid_account", "A Stripe account id starts with acct_.", status=400)
    try:
        enabled = gateway.payouts_enabled(account_id=account_id)
    except GatewayError as exc:
        raise DomainError(exc.code, exc.detail, status=400) from exc
    except GatewayUnavailable as exc:
        raise DomainError("gateway_unavailable", "Stripe did not answer. Try again.", status=503) from exc
    return _payout_method_create(
        user=user,
        kind=PayoutMethod.Kind.STRIPE_CONNECT,
        label=f"Stripe account {account_id[-6:]}",
        stripe_account_id=account_id,
        verified=enabled,
    )


@transaction.atomic
def _payout_method_create(*, user: User, **fields) -> PayoutMethod:
    User.objects.select_for_update().get(pk=user.pk)
    has_default = PayoutMethod.objects.filter(user=user, is_default=True).exists()
    return PayoutMethod.objects.create(user=user, is_default=not has_default, **fields)


@transaction.atomic
def payout_method_set_default(*, user: User, payout_method_id: int) -> PayoutMethod:
    User.objects.select_for_update().get(pk=user.pk)
    method = (
        PayoutMethod.objects.filter(pk=payout_method_id, user=user).first() if names_a_row(payout_method_id) else None
    )
    if method is None:
        raise NotFound()
    PayoutMethod.objects.filter(user=user, is_default=True).exclude(pk=method.pk).update(is_default=False)
    method.is_default = True
    method.save(update_fields=["is_default"])
    return method


@transaction.atomic
def payout_method_remove(*, user: User, payout_method_id: int) -> None:
    User.objects.select_for_update().get(pk=user.pk)
    method = (
        PayoutMethod.objects.filter(pk=payout_method_id, user=user).first() if names_a_row(payout_method_id) else None
    )
    if method is None:
        raise NotFound()
    was_default = method.is_default
    method.delete()
    if was_default:
        successor = PayoutMethod.objects.filter(user=user).order_by("-created_at", "-id").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


def _destination(method: PayoutMethod) -> str:
    if method.kind == PayoutMethod.Kind.STRIPE_CONNECT:
        return method.stripe_account_id
    return f"sandbox_bank:{method.pk}:{method.last4}"


def payout_request(*, user: User, amount_cents: int, currency: str = "USD", idempotency_key: str) -> Payout:
    """Withdraw `amount_cents` of available money to the user's default verified payout method.

    Refuses below settings.MIN_WITHDRAWAL_CENTS (`below_minimum`), beyond available (`insufficient_funds`),
    without a verified method (`payout_method_required`). The same key returns the first payout. A transfer the
    gateway refuses, now or later, comes back as a failed payout with the money returned to available."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    rhash = ledger.request_hash(op="payout", user=user.pk, amount=amount_cents, currency=currency)
    payout = ledger.keyed_find(Payout, idempotency_key=idempotency_key, request_hash=rhash)
    if payout is not None:
        return payout
    if amount_cents < settings.MIN_WITHDRAWAL_CENTS:
        raise DomainError("below_minimum", f"The smallest withdrawal is {format_money(settings.MIN_WITHDRAWAL_CENTS)}.")
    gateway = get_gateway()
    method = PayoutMethod.objects.filter(user=user, is_default=True, verified=True).first()
    expected_kind = PayoutMethod.Kind.STRIPE_CONNECT if gateway.name == "stripe" else PayoutMethod.Kind.SANDBOX_BANK
    if method is None or method.kind != expected_kind:
        raise DomainError("payout_method_required", "Add a verified payout method before withdrawing.")

    try:
        with transaction.atomic():
            payout = Payout.objects.create(
                user=user,
                payout_method=method,
                destination_label=method.label,
                amount_cents=amount_cents,
                currency=currency,
                idempotency_key=idempotency_key,
                request_hash=rhash,
            )
            op = saga.begin_transfer(
                source=ledger.user_account(AccountKind.FREELANCER_AVAILABLE, user, currency),
                destination=_destination(method),
                amount_cents=amount_cents,
                reference=ref(Kind.PAYOUT, payout.pk),
                idempotency_key=idempotency_key,
                request_hash=rhash,
                actor=user,
                description=f"Withdrawal to {method.label}",
            )
            payout.operation, payout.entry_id = op, op.entry_id
            payout.save(update_fields=["operation", "entry"])
    except IntegrityError:
        # The same key arrived at the same moment: the other request owns the payout.
        payout = ledger.keyed_find(Payout, idempotency_key=idempotency_key, request_hash=rhash)
        if payout is None:
            raise
        return payout
    with contextlib.suppress(DomainError):
        # A refusal fails the payout through _transfer_settled; an unknown outcome leaves it pending for
        # reconcile. Either way the payout as it is now is the answer.
        saga.execute(op)
    payout.refresh_from_db()
    return payout


def _transfer_settled(settled: saga.Settlement) -> None:
    """The saga settled a payout's transfer: the payout is paid, or failed with its money back to available."""
    payout = lock(Payout.objects.select_related("user"), operation=settled.op)
    if settled.succeeded:
        if payout.status == PayoutStatus.PENDING:
            transition(payout, PayoutStatus.PAID)
    else:
        _fail(payout, reason=settled.error_detail or "The payout failed.")


def payout_failed(*, payout_id: int, reason: str) -> Payout:
    """The gateway refused or later bounced the payout: the money goes back to available, in its own entry,
    once however many times this is reported."""
    payout = Payout.objects.filter(pk=payout_id).values_list("operation_id", "status").first()
    if payout is None:
        raise NotFound()
    operation_id, status = payout
    op = saga.operation_failed(operation_id=operation_id, code="payout_failed", detail=reason)
    if op.status == OperationStatus.SUCCEEDED and status != PayoutStatus.FAILED:
        # Paid, then bounced by the bank: the transfer stays done at the gateway, the payout fails here.
        with transaction.atomic():
            _fail(lock(Payout.objects.select_related("user"), pk=payout_id), reason=reason)
    return Payout.objects.get(pk=payout_id)


def payout_reversed(*, payout_id: int, reversed_cents: int, reason: str) -> Payout:
    """The gateway took back `reversed_cents` (in total so far) of a transfer: that much returns to available,
    once; reversing all of it fails the payout."""
    with transaction.atomic():
        payout = lock(Payout.objects.select_related("user"), pk=payout_id)
        reversed_cents = min(max(reversed_cents, 0), payout.amount_cents)
        if payout.status == PayoutStatus.FAILED or reversed_cents <= payout.reversed_cents:
            return payout
        if reversed_cents == payout.amount_cents:
            _fail(payout, reason=reason)
        else:
            _money_back(
                payout,
                reversed_cents - payout.reversed_cents,
                kind=EntryKind.PAYOUT_REVERSED,
                key=f"{payout.idempotency_key}:reversed:{reversed_cents}",
                reason=reason,
            )
        payout.reversed_cents = reversed_cents
        payout.save(update_fields=["reversed_cents", "updated_at"])
        return payout


def _money_back(payout: Payout, amount_cents: int, *, kind: str, key: str, reason: str):
    [clearing] = ledger.platform_accounts(payout.currency, AccountKind.GATEWAY_CLEARING)
    return ledger.entry_post(
        kind=kind,
        idempotency_key=key,
        request_hash=ledger.request_hash(op=kind, payout=payout.pk, amount=amount_cents),
        currency=payout.currency,
        memo=f"Payout failed: {reason}"[:255],
        user=payout.user,
        lines=[
            (clearing, -amount_cents),
            (ledger.user_account(AccountKind.FREELANCER_AVAILABLE, payout.user, payout.currency), amount_cents),
        ],
    )


def _fail(payout: Payout, *, reason: str) -> None:
    """Call holding the payout's lock: what is not yet back in available returns, and the payout fails."""
    if payout.status == PayoutStatus.FAILED:
        return
    entry = _money_back(
        payout,
        payout.amount_cents - payout.reversed_cents,
        kind=EntryKind.PAYOUT_FAILED,
        key=f"{payout.idempotency_key}:failed",
        reason=reason,
    )
    transition(payout, PayoutStatus.FAILED, failure_entry=entry, failure_reason=reason[:255])


saga.register(Kind.PAYOUT, on_settled=_transfer_settled)
