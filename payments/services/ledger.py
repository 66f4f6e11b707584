"""The only code that writes journal entries and postings.

Rules held here (and again by the database on PostgreSQL): an entry's postings sum to zero, no posting is zero,
escrow / pending / available balances never go below zero nor below what holds reserve of them, each such
account's cached balance moves in the same statement as its postings, and an idempotency key names one entry
forever. The platform's accounts (clearing, fee revenue, chargebacks) cache nothing: every payment posts to them,
and a cached balance there would be one row every payment in the system waits for.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization, User
from kernel.errors import DomainError, InvalidInput
from payments.models import (
    NON_NEGATIVE_KINDS,
    AccountKind,
    GatewayOperation,
    Hold,
    JournalEntry,
    LedgerAccount,
    Payout,
    Posting,
)

PLATFORM = "platform"

_SHORTFALL_CODES: dict[str, tuple[str, str]] = {
    AccountKind.ESCROW: ("insufficient_escrow", "There is not enough money in escrow for that."),
    AccountKind.FREELANCER_PENDING: ("insufficient_pending", "There is not enough pending money for that."),
    AccountKind.FREELANCER_AVAILABLE: ("insufficient_funds", "That is more than the available balance."),
}


@dataclass(frozen=True)
class Owner:
    """Whose money an account is: a user (a freelancer) or an organization (later: an agency). A payee is an
    Owner, so a release can pay either."""

    key: str
    user: User | None = None
    organization: Organization | None = None

    @classmethod
    def of_user(cls, user: User) -> "Owner":
        return cls(f"user:{user.pk}", user=user)

    @classmethod
    def of_organization(cls, organization: Organization) -> "Owner":
        return cls(f"org:{organization.pk}", organization=organization)


def request_hash(**fields) -> str:
    """A fingerprint of what was asked, stored beside the idempotency key to tell a retry from a reuse."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def check_money(*, amount_cents: int, currency: str) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise InvalidInput("invalid_amount", "The amount must be a positive whole number of cents.")
    if amount_cents > settings.MAX_PAYMENT_CENTS:
        raise InvalidInput("invalid_amount", "That amount is above the largest payment we accept.")
    if currency not in settings.PAYMENT_CURRENCIES:
        raise InvalidInput("invalid_currency", f"Payments are in {', '.join(settings.PAYMENT_CURRENCIES)}.")


def check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > 255:
        raise InvalidInput("idempotency_key_invalid", "An idempotency key of 1 to 255 characters is required.")


def check_reference(reference: str) -> None:
    if not reference or len(reference) > 120:
        raise InvalidInput("reference_invalid", "A reference of 1 to 120 characters is required.")


def _account(kind: str, owner_key: str, currency: str, **owner) -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(kind=kind, owner_key=owner_key, currency=currency, defaults=owner)
    return account


def platform_accounts(currency: str, *kinds: str) -> list[LedgerAccount]:
    """The platform's accounts of `kinds` in `currency`, in that order: one query (plus one per missing one)."""
    found = {a.kind: a for a in LedgerAccount.objects.filter(owner_key=PLATFORM, currency=currency, kind__in=kinds)}
    return [found.get(kind) or _account(kind, PLATFORM, currency) for kind in kinds]


def platform_account(kind: str, currency: str) -> LedgerAccount:
    return platform_accounts(currency, kind)[0]


def owner_account(kind: str, owner: Owner, currency: str) -> LedgerAccount:
    return _account(kind, owner.key, currency, user=owner.user, organization=owner.organization)


def sibling_account(account: LedgerAccount, kind: str) -> LedgerAccount:
    """The same owner's account of another kind in the same currency (pending → available)."""
    return _account(
        kind, account.owner_key, account.currency, user_id=account.user_id, organization_id=account.organization_id
    )


def user_account(kind: str, user: User, currency: str) -> LedgerAccount:
    return owner_account(kind, Owner.of_user(user), currency)


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


Keyed = TypeVar("Keyed", JournalEntry, GatewayOperation, Hold, Payout)


def keyed_find(model: type[Keyed], *, idempotency_key: str, request_hash: str) -> Keyed | None:
    """The one idempotency lookup: the row (entry, operation, hold, payout) already made under this key, if any;
    a different request under the same key is refused."""
    row = model.objects.filter(idempotency_key=idempotency_key).first()
    if row is not None and row.request_hash != request_hash:
        raise DomainError("idempotency_conflict", "That idempotency key was already used for a different request.")
    return row


def shortfall(account: LedgerAccount) -> DomainError:
    code, detail = _SHORTFALL_CODES.get(account.kind, ("insufficient_funds", "There is not enough money for that."))
    return DomainError(code, detail)


def balance_move(account: LedgerAccount, amount: int, *, held: int = 0) -> None:
    """Move a cached balance by `amount` and its reserved part by `held` in one statement, refusing (shortfall)
    when what is left unreserved would go below zero. Platform accounts cache nothing: a no-op there."""
    if account.kind not in NON_NEGATIVE_KINDS:
        return
    rows = LedgerAccount.objects.filter(pk=account.pk)
    if amount - held < 0:
        rows = rows.filter(balance_cents__gte=F("held_cents") + held - amount)
    if not rows.update(balance_cents=F("balance_cents") + amount, held_cents=F("held_cents") + held):
        raise shortfall(account)


def entry_post(
    *,
    kind: str,
    idempotency_key: str,
    request_hash: str,
    currency: str,
    lines: list[tuple[LedgerAccount, int]],
    reference: str = "",
    memo: str = "",
    released: dict[int, int] | None = None,
    **who,
) -> JournalEntry:
    """Post one balanced entry. The caller has made sure the key is new (its operation's row lock, or a lookup
    under its own lock): a key used twice is an IntegrityError at the insert, before any balance moved.

    Must run inside transaction.atomic(). Cached balances move in id order (two entries never wait on each other
    in a cycle), each refused when what is left unreserved would go below zero. `released` maps account ids to
    the part of the posting that was reserved by a hold being posted: it leaves `held_cents` with the money.
    `who`: whose money it is about, for scoped reads (`organization`, `user`, `created_by`, or their `_id`s).
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

    released = released or {}
    # Only escrow / pending / available cache a balance; in id order, so two entries never wait in a cycle.
    moves = [(pk, amounts[pk], -released.get(pk, 0)) for pk in sorted(amounts) if by_id[pk].kind in NON_NEGATIVE_KINDS]
    entry = JournalEntry(
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        kind=kind,
        currency=currency,
        reference=reference,
        memo=memo[:255],
        **who,
    )
    postings = sorted(amounts.items())
    if transaction.get_connection().vendor == "postgresql":
        _post_in_one_statement(entry, postings, moves, by_id)
        return entry
    entry.save(force_insert=True)
    for pk, amount, held in moves:
        balance_move(by_id[pk], amount, held=held)
    Posting.objects.bulk_create([Posting(entry=entry, account_id=pk, amount_cents=amount) for pk, amount in postings])
    return entry


def _post_in_one_statement(
    entry: JournalEntry,
    postings: list[tuple[int, int]],
    moves: list[tuple[int, int, int]],
    by_id: dict[int, LedgerAccount],
) -> None:
    """PostgreSQL: the entry, its cached balance moves and its postings in one round trip, in the order the
    other path takes them. Each step waits for the one before (it reads its result), so the key is inserted
    before any account is locked and the accounts are locked in id order; a move stops the ones after it when it
    is refused, and the postings are written only when every move was made: an entry whose balance could not
    move has no postings, and the deferred trigger refuses it at commit even if a caller swallowed the error."""
    entry.created_at = timezone.now()
    fields = [f for f in JournalEntry._meta.concrete_fields if not f.primary_key]
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    params: list[object] = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    ctes = [
        f"entry AS (INSERT INTO {quote(JournalEntry._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id)"
    ]
    accounts = quote(LedgerAccount._meta.db_table)
    before = "(SELECT count(*) FROM entry)"
    for i, (pk, amount, held) in enumerate(moves):
        covered = ""
        if amount - held < 0:
            covered = " AND balance_cents >= held_cents + %s"
        ctes.append(
            f"m{i} AS (UPDATE {accounts} SET balance_cents = balance_cents + %s, held_cents = held_cents + %s "
            f"WHERE id = %s{covered} AND {before} = 1 RETURNING id)"
        )
        params += [amount, held, pk] + ([held - amount] if covered else [])
        before = f"(SELECT count(*) FROM m{i})"
    moved = [f"SELECT id FROM m{i}" for i in range(len(moves))] or ["SELECT NULL::bigint AS id WHERE false"]
    ctes.append(f"moved AS ({' UNION ALL '.join(moved)})")
    ctes.append(
        f"posted AS (INSERT INTO {quote(Posting._meta.db_table)} (entry_id, account_id, amount_cents) "
        "SELECT entry.id, p.account_id, p.amount FROM entry, unnest(%s::bigint[], %s::bigint[]) AS p(account_id, "
        "amount) WHERE (SELECT count(*) FROM moved) = %s)"
    )
    params += [[pk for pk, _ in postings], [amount for _, amount in postings], len(moves)]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT entry.id, ARRAY(SELECT id FROM moved) FROM entry", params)
        entry.pk, moved_ids = cursor.fetchone()
    entry._state.adding, entry._state.db = False, connection.alias
    for pk, _, _ in moves:
        if pk not in moved_ids:
            raise shortfall(by_id[pk])
