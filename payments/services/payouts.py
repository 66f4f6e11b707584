"""Freelancers' payout methods and withdrawals.

A withdrawal takes the money out of available first (entry `payout`: available −x, clearing +x) together with
the pending gateway operation, commits, then asks the gateway for the transfer. So two withdrawals can never
spend the same money, and a transfer the gateway refuses (now, or later by webhook) puts the money back to
available in its own `payout_failed` entry.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from kernel.errors import DomainError, NotFound
from payments.gateway.base import GatewayError, GatewayUnavailable, get_gateway
from payments.models import (
    AccountKind,
    EntryKind,
    GatewayOperation,
    OperationKind,
    OperationStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
)
from payments.services import ledger


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
    method = PayoutMethod.objects.filter(pk=payout_method_id, user=user).first()
    if method is None:
        raise NotFound()
    PayoutMethod.objects.filter(user=user, is_default=True).exclude(pk=method.pk).update(is_default=False)
    method.is_default = True
    method.save(update_fields=["is_default"])
    return method


@transaction.atomic
def payout_method_remove(*, user: User, payout_method_id: int) -> None:
    User.objects.select_for_update().get(pk=user.pk)
    method = PayoutMethod.objects.filter(pk=payout_method_id, user=user).first()
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


def _existing(*, idempotency_key: str, request_hash: str) -> Payout | None:
    payout = Payout.objects.filter(idempotency_key=idempotency_key).first()
    if payout is not None and payout.request_hash != request_hash:
        raise DomainError("idempotency_conflict", "That idempotency key was already used for a different request.")
    return payout


def payout_request(*, user: User, amount_cents: int, currency: str = "USD", idempotency_key: str) -> Payout:
    """Withdraw `amount_cents` of available money to the user's default verified payout method.

    Refuses below settings.MIN_WITHDRAWAL_CENTS (`below_minimum`), beyond available (`insufficient_funds`),
    without a verified method (`payout_method_required`). The same key returns the first payout."""
    ledger.check_money(amount_cents=amount_cents, currency=currency)
    ledger.check_key(idempotency_key)
    rhash = ledger.request_hash(op="payout", user=user.pk, amount=amount_cents, currency=currency)
    payout = _existing(idempotency_key=idempotency_key, request_hash=rhash)
    if payout is not None:
        return payout
    if amount_cents < settings.MIN_WITHDRAWAL_CENTS:
        raise DomainError("below_minimum", f"The smallest withdrawal is ${settings.MIN_WITHDRAWAL_CENTS / 100:,.2f}.")
    gateway = get_gateway()
    method = PayoutMethod.objects.filter(user=user, is_default=True, verified=True).first()
    expected_kind = PayoutMethod.Kind.STRIPE_CONNECT if gateway.name == "stripe" else PayoutMethod.Kind.SANDBOX_BANK
    if method is None or method.kind != expected_kind:
        raise DomainError("payout_method_required", "Add a verified payout method before withdrawing.")

    try:
        with transaction.atomic():
            available = ledger.user_account(AccountKind.FREELANCER_AVAILABLE, user, currency)
            clearing = ledger.platform_account(AccountKind.GATEWAY_CLEARING, currency)
            locked = ledger.accounts_lock(available, clearing)
            # Under the lock on the balance: a concurrent request with this key has committed or not begun.
            payout = _existing(idempotency_key=idempotency_key, request_hash=rhash)
            if payout is not None:
                return payout
            if locked[available.pk].balance_cents < amount_cents:
                raise DomainError("insufficient_funds", "That is more than your available balance.")
            op = GatewayOperation.objects.create(
                kind=OperationKind.TRANSFER,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                amount_cents=amount_cents,
                currency=currency,
                user=user,
                gateway_source=_destination(method),
                description=f"Payout to {method.label}",
            )
            entry = ledger.entry_post(
                kind=EntryKind.PAYOUT,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                currency=currency,
                memo=f"Withdrawal to {method.label}",
                user=user,
                created_by=user,
                lines=[(available, -amount_cents), (clearing, amount_cents)],
            )
            op.entry = entry
            op.save(update_fields=["entry"])
            payout = Payout.objects.create(
                user=user,
                payout_method=method,
                destination_label=method.label,
                amount_cents=amount_cents,
                currency=currency,
                idempotency_key=idempotency_key,
                request_hash=rhash,
                operation=op,
                entry=entry,
            )
    except IntegrityError:
        return _existing(idempotency_key=idempotency_key, request_hash=rhash)

    try:
        gateway_id = gateway.transfer(
            destination=op.gateway_source,
            amount_cents=amount_cents,
            currency=currency,
            idempotency_key=idempotency_key,
            metadata={"operation": str(op.pk), "payout": str(payout.pk)},
        )
    except GatewayError as exc:
        return payout_failed(payout_id=payout.pk, reason=exc.detail)
    except GatewayUnavailable:
        # Unknown outcome: the money stays reserved and the reconcile job asks the gateway.
        return payout
    return payout_paid(payout_id=payout.pk, gateway_id=gateway_id)


@transaction.atomic
def payout_paid(*, payout_id: int, gateway_id: str) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.PENDING:
        return payout
    op = GatewayOperation.objects.select_for_update().get(pk=payout.operation_id)
    if op.status == OperationStatus.PENDING:
        ledger.save_transition(op, OperationStatus.SUCCEEDED, noun="operation", gateway_id=gateway_id)
    ledger.save_transition(payout, PayoutStatus.PAID, noun="payout")
    return payout


@transaction.atomic
def payout_failed(*, payout_id: int, reason: str) -> Payout:
    """The gateway refused or later bounced the payout: the money goes back to available, in its own entry,
    once however many times this is reported."""
    payout = Payout.objects.select_for_update(of=("self",)).select_related("user").get(pk=payout_id)
    if payout.status == PayoutStatus.FAILED:
        return payout
    entry = ledger.entry_post(
        kind=EntryKind.PAYOUT_FAILED,
        idempotency_key=f"{payout.idempotency_key}:failed",
        request_hash=ledger.request_hash(op="payout_failed", payout=payout.pk),
        currency=payout.currency,
        memo=f"Payout failed: {reason}"[:255],
        user=payout.user,
        lines=[
            (ledger.platform_account(AccountKind.GATEWAY_CLEARING, payout.currency), -payout.amount_cents),
            (ledger.user_account(AccountKind.FREELANCER_AVAILABLE, payout.user, payout.currency), payout.amount_cents),
        ],
    )
    op = GatewayOperation.objects.select_for_update().get(pk=payout.operation_id)
    if op.status == OperationStatus.PENDING:
        ledger.save_transition(
            op, OperationStatus.FAILED, noun="operation", error_code="payout_failed", error_detail=reason[:255]
        )
    ledger.save_transition(payout, PayoutStatus.FAILED, noun="payout", failure_entry=entry, failure_reason=reason[:255])
    return payout
