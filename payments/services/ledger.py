"""The only code that writes journal entries and postings.

Rules held here (and again by the database on PostgreSQL): an entry's postings sum to zero, no posting is zero,
escrow / pending / available balances never go below zero, each account's cached balance moves in the same
transaction as its postings, and an idempotency key names one entry forever.
"""

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from accounts.models import Organization, User
from kernel.errors import DomainError
from payments.models import NON_NEGATIVE_KINDS, AccountKind, JournalEntry, LedgerAccount, Posting

PLATFORM = "platform"

_SHORTFALL_CODES = {
    AccountKind.ESCROW: ("insufficient_escrow", "There is not enough money in escrow for that."),
    AccountKind.FREELANCER_PENDING: ("insufficient_pending", "There is not enough pending money for that."),
    AccountKind.FREELANCER_AVAILABLE: ("insufficient_funds", "That is more than the available balance."),
}


def request_hash(**fields) -> str:
    """A fingerprint of what was asked, stored beside the idempotency key to tell a retry from a reuse."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def save_transition(row, status: str, *, noun: str, **fields) -> None:
    """Move a locked row to `status` (checked against its model's ALLOWED map), set `fields` and save them."""
    if status not in row.ALLOWED[row.status]:
        raise DomainError("invalid_transition", f"A {row.status} {noun} cannot become {status}.")
    row.status = status
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=["status", "updated_at", *fields])


def check_money(*, amount_cents: int, currency: str) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise DomainError("invalid_amount", "The amount must be a positive whole number of cents.", status=400)
    if amount_cents > settings.MAX_PAYMENT_CENTS:
        raise DomainError("invalid_amount", "That amount is above the largest payment we accept.", status=400)
    if currency not in settings.PAYMENT_CURRENCIES:
        raise DomainError("invalid_currency", f"Payments are in {', '.join(settings.PAYMENT_CURRENCIES)}.", status=400)


def check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > 255:
        raise DomainError(
            "idempotency_key_invalid", "An idempotency key of 1 to 255 characters is required.", status=400
        )


def _account(kind: str, owner_key: str, currency: str, **owner) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, owner_key=owner_key, currency=currency, defaults=owner)
    return account


def platform_account(kind: str, currency: str) -> LedgerAccount:
    return _account(kind, PLATFORM, currency)


def user_account(kind: str, user: User, currency: str) -> LedgerAccount:
    return _account(kind, f"user:{user.pk}", currency, user=user)


def escrow_account(*, escrow_reference: str, currency: str, organization: Organization | None = None, label: str = ""):
    """The escrow account of `escrow_reference`; created (for `organization`, named `label`) only when an
    organization is given."""
    owner_key = f"escrow:{escrow_reference}"
    if organization is None:
        return LedgerAccount.objects.filter(kind=AccountKind.ESCROW, owner_key=owner_key, currency=currency).first()
    account = _account(
        AccountKind.ESCROW, owner_key, currency, organization=organization, reference=escrow_reference, label=label
    )
    if account.organization_id != organization.pk:
        raise DomainError("escrow_reference_taken", "That escrow belongs to another organization.")
    return account


def accounts_lock(*accounts: LedgerAccount) -> dict[int, LedgerAccount]:
    """SELECT ... FOR UPDATE the accounts, always in id order so two entries never wait on each other in a
    cycle. Returns fresh rows by id; call inside transaction.atomic()."""
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def entry_find(*, idempotency_key: str, request_hash: str) -> JournalEntry | None:
    """The entry already made under this key, if any; a different request under the same key is refused."""
    entry = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if entry is not None and entry.request_hash != request_hash:
        raise DomainError("idempotency_conflict", "That idempotency key was already used for a different request.")
    return entry


def entry_post(
    *,
    kind: str,
    idempotency_key: str,
    request_hash: str,
    currency: str,
    lines: list[tuple[LedgerAccount, int]],
    reference: str = "",
    memo: str = "",
    organization: Organization | None = None,
    user: User | None = None,
    created_by: User | None = None,
) -> JournalEntry:
    """Post one balanced entry, or return the one already posted under `idempotency_key`.

    Must run inside transaction.atomic(): it locks every account it touches (in id order), re-checks the key
    under those locks (so two requests with one key serialize and the second finds the first's entry), refuses
    a balance that would go negative where that is not allowed, and moves the cached balances.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entry_post must run inside transaction.atomic()")
    amounts: dict[int, int] = defaultdict(int)
    by_id: dict[int, LedgerAccount] = {}
    for account, amount in lines:
        amounts[account.pk] += amount
        by_id[account.pk] = account
    amounts = {pk: amount for pk, amount in amounts.items() if amount != 0}
    if sum(amounts.values()) != 0 or len(amounts) < 2:
        raise DomainError("unbalanced_entry", "A journal entry needs two or more postings that sum to zero.")
    if any(by_id[pk].currency != currency for pk in amounts):
        raise DomainError("currency_mismatch", "Every posting of an entry is in the entry's currency.")

    locked = accounts_lock(*(by_id[pk] for pk in amounts))
    existing = entry_find(idempotency_key=idempotency_key, request_hash=request_hash)
    if existing is not None:
        return existing
    for pk, amount in amounts.items():
        account = locked[pk]
        if account.kind in NON_NEGATIVE_KINDS and account.balance_cents + amount < 0:
            code, detail = _SHORTFALL_CODES[account.kind]
            raise DomainError(code, detail)

    entry = JournalEntry.objects.create(
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        kind=kind,
        currency=currency,
        reference=reference,
        memo=memo[:255],
        organization=organization,
        user=user,
        created_by=created_by,
    )
    Posting.objects.bulk_create(
        [Posting(entry=entry, account_id=pk, amount_cents=amount) for pk, amount in sorted(amounts.items())]
    )
    for pk, amount in amounts.items():
        account = locked[pk]
        account.balance_cents += amount
        account.save(update_fields=["balance_cents"])
    return entry
