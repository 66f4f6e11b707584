"""Reads for payments, scoped to who asks; each runs a fixed number of queries whatever the number of rows."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organization, User
from accounts.permissions import OrgPerm, organization_ids_with, require_org_perm
from kernel.errors import NotFound
from payments.models import (
    NON_NEGATIVE_KINDS,
    AccountKind,
    Chargeback,
    ChargebackStatus,
    EntryKind,
    GatewayOperation,
    Hold,
    HoldLot,
    HoldStatus,
    JournalEntry,
    LedgerAccount,
    OperationKind,
    OperationStatus,
    PaymentMethod,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Posting,
)
from payments.services.saga import escrow_expectations

FREELANCER_KINDS = (AccountKind.FREELANCER_PENDING, AccountKind.FREELANCER_AVAILABLE)
# The largest id a bigint key holds: a larger one from a URL names no row, and must not reach the database.
MAX_ID = 2**63 - 1


def names_a_row(pk) -> bool:
    """An id from a request that a bigint key could hold (anything else is simply not found)."""
    return isinstance(pk, int) and 0 < pk <= MAX_ID


@dataclass
class Wallet:
    currency: str
    pending_cents: int = 0
    available_cents: int = 0
    withdrawn_cents: int = 0
    lots: list[HoldLot] = field(default_factory=list)


def wallet_for(user: User, currency: str = settings.DEFAULT_CURRENCY) -> Wallet:
    """Pending (in security hold), available and withdrawn money, with the lots still on hold: 3 queries."""
    balances = dict(
        LedgerAccount.objects.filter(user=user, currency=currency, kind__in=FREELANCER_KINDS).values_list(
            "kind", "balance_cents"
        )
    )
    withdrawn = Payout.objects.filter(user=user, currency=currency, status=PayoutStatus.PAID).aggregate(
        s=Sum("amount_cents")
    )["s"]
    lots = list(
        HoldLot.objects.filter(
            account__user=user,
            account__kind=AccountKind.FREELANCER_PENDING,
            currency=currency,
            matured_entry__isnull=True,
        ).order_by("available_at", "pk")
    )
    return Wallet(
        currency=currency,
        pending_cents=balances.get(AccountKind.FREELANCER_PENDING, 0),
        available_cents=balances.get(AccountKind.FREELANCER_AVAILABLE, 0),
        withdrawn_cents=withdrawn or 0,
        lots=lots,
    )


def transactions_for(user: User) -> QuerySet[Posting]:
    """Every movement of the user's own money (pending and available), newest first: one row per posting."""
    return (
        Posting.objects.filter(account__user=user, account__kind__in=FREELANCER_KINDS)
        .select_related("entry", "account")
        .order_by("-entry__created_at", "-entry_id", "-id")
    )


def organizations_with_money_view(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=organization_ids_with(user, OrgPerm.VIEW)).order_by("name", "pk")


def organization_for(user: User, organization_id: int, perm: OrgPerm = OrgPerm.VIEW) -> Organization:
    """The organization if `user` may `perm` in it. The one permission rule: a non-member gets NotFound (it looks
    like a missing page), a member whose role lacks `perm` PermissionDenied."""
    organization = Organization.objects.filter(pk=organization_id).first() if names_a_row(organization_id) else None
    if organization is None:
        raise NotFound()
    require_org_perm(user, organization.pk, perm)
    return organization


def organization_transactions(organization: Organization) -> QuerySet[JournalEntry]:
    """Charges, refunds and chargebacks of an organization, with `client_amount_cents` (what the card was charged
    (+) or given back (−)) and `escrow_amount_cents` (what went into (+) or out of (−) escrow): one query."""
    return (
        JournalEntry.objects.filter(organization=organization)
        .filter(
            kind__in=[
                EntryKind.ESCROW_FUND,
                EntryKind.ESCROW_REFUND,
                EntryKind.ESCROW_SETTLEMENT,
                EntryKind.CHARGEBACK,
                EntryKind.CHARGEBACK_WON,
            ]
        )
        .annotate(
            client_amount_cents=-Coalesce(
                Sum("postings__amount_cents", filter=Q(postings__account__kind=AccountKind.GATEWAY_CLEARING)), 0
            ),
            escrow_amount_cents=Coalesce(
                Sum("postings__amount_cents", filter=Q(postings__account__kind=AccountKind.ESCROW)), 0
            ),
        )
        .order_by("-created_at", "-id")
    )


def organization_escrows(organization: Organization) -> QuerySet[LedgerAccount]:
    """Escrow per contract (reference) with what was funded into it in total: one query."""
    return (
        LedgerAccount.objects.filter(organization=organization, kind=AccountKind.ESCROW)
        .annotate(
            funded_cents=Coalesce(
                Sum("postings__amount_cents", filter=Q(postings__entry__kind=EntryKind.ESCROW_FUND)), 0
            )
        )
        .order_by("reference", "currency")
    )


def receipt_for(organization: Organization, entry_id: int) -> tuple[JournalEntry, GatewayOperation]:
    if not names_a_row(entry_id):
        raise NotFound()
    op = (
        GatewayOperation.objects.filter(
            organization=organization, entry_id=entry_id, kind__in=[OperationKind.CHARGE, OperationKind.REFUND]
        )
        .select_related("entry", "payment_method", "organization")
        .first()
    )
    if op is None or op.entry is None:
        raise NotFound()
    return op.entry, op


def organization_payment_verified(organization_id: int) -> bool:
    """The "payment verified" badge: the organization has a default card on file."""
    return PaymentMethod.objects.filter(organization_id=organization_id, is_default=True).exists()


def default_payment_method(organization_id: int) -> PaymentMethod | None:
    """The card funding charges (the organization's default), for pages to name it before it is charged."""
    return PaymentMethod.objects.filter(organization_id=organization_id, is_default=True).first()


def payment_method_organization(user: User, payment_method_id: int, perm: OrgPerm) -> Organization:
    """The organization a saved card belongs to, if `user` may `perm` in it; otherwise NotFound."""
    method = PaymentMethod.objects.filter(pk=payment_method_id).first() if names_a_row(payment_method_id) else None
    return organization_for(user, method.organization_id if method else 0, perm)


def payment_methods_of(organization: Organization) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(organization=organization).order_by("-is_default", "-created_at", "-id")


def payout_methods_of(user: User) -> QuerySet[PayoutMethod]:
    return PayoutMethod.objects.filter(user=user).order_by("-is_default", "-created_at", "-id")


def payouts_of(user: User) -> QuerySet[Payout]:
    return Payout.objects.filter(user=user).order_by("-created_at", "-id")


def payout_of(user: User, payout_id: int) -> Payout:
    payout = Payout.objects.filter(user=user, pk=payout_id).first() if names_a_row(payout_id) else None
    if payout is None:
        raise NotFound()
    return payout


# --- the ledger check and the staff dashboard ---


def ledger_problems() -> list[str]:
    """Every way the ledger could be wrong, each problem named; an empty list means it is sound.

    Entries balance and have two postings or more; each cached balance equals the sum of its postings and its
    reserved part the sum of its pending holds; no escrow / pending / available balance is negative; per
    reference, escrow net is not negative (nothing was released or refunded beyond what was funded for it); and
    for each kind of reference whose owner registered what its escrow should be (milestones: the amount while
    funded and not yet released or refunded), the escrow equals it."""
    return [*_unbalanced_entries(), *_account_problems(), *_escrow_problems()]


def _unbalanced_entries() -> Iterator[str]:
    for row in (
        JournalEntry.objects.annotate(total=Coalesce(Sum("postings__amount_cents"), 0), n=Count("postings"))
        .filter(~Q(total=0) | Q(n__lt=2))
        .values("pk", "kind", "total", "n")
    ):
        yield f"unbalanced_entry: entry {row['pk']} ({row['kind']}) sums to {row['total']} over {row['n']} postings"


def _account_problems() -> Iterator[str]:
    held = dict(
        Hold.objects.filter(status=HoldStatus.PENDING)
        .values("account_id")
        .annotate(s=Sum("amount_cents"))
        .values_list("account_id", "s")
    )
    accounts = LedgerAccount.objects.annotate(posted=Coalesce(Sum("postings__amount_cents"), 0)).values(
        "pk", "kind", "owner_key", "currency", "balance_cents", "held_cents", "posted"
    )
    for row in accounts:
        name = f"{row['kind']} {row['owner_key']} {row['currency']} (account {row['pk']})"
        cached = row["kind"] in NON_NEGATIVE_KINDS
        if cached and row["balance_cents"] != row["posted"]:
            yield f"cached_balance_mismatch: {name} caches {row['balance_cents']}, postings sum {row['posted']}"
        if row["held_cents"] != held.get(row["pk"], 0):
            yield f"held_mismatch: {name} reserves {row['held_cents']}, its holds {held.get(row['pk'], 0)}"
        if cached and row["posted"] < 0:
            yield f"negative_balance: {name} is {row['posted']}"


def _escrow_problems() -> Iterator[str]:
    escrow_by_reference: dict[str, int] = {}
    for row in (
        Posting.objects.filter(account__kind=AccountKind.ESCROW)
        .values("entry__reference", "account__currency")
        .annotate(net=Sum("amount_cents"))
    ):
        escrow_by_reference[row["entry__reference"]] = escrow_by_reference.get(row["entry__reference"], 0) + row["net"]
        if row["net"] < 0:
            yield (
                f"escrow_overdrawn: reference {row['entry__reference']!r} ({row['account__currency']}) "
                f"nets {row['net']}"
            )
    for kind, expected_escrow in escrow_expectations().items():
        expected = dict(expected_escrow())
        prefix = f"{kind}:"
        actual = {reference: net for reference, net in escrow_by_reference.items() if reference.startswith(prefix)}
        for reference in sorted(expected.keys() | actual.keys()):
            if expected.get(reference, 0) != actual.get(reference, 0):
                yield (
                    f"escrow_mismatch: {reference} should hold {expected.get(reference, 0)} in escrow, "
                    f"holds {actual.get(reference, 0)}"
                )


@dataclass
class StaffNumbers:
    gross_services_cents: dict[str, int]
    fees_earned_cents: dict[str, int]
    escrow_cents: dict[str, int]
    open_chargebacks: list[Chargeback]
    pending_operations: int
    problems: list[str]


def _by_currency(qs, value) -> dict[str, int]:
    return {row["currency"]: row["v"] or 0 for row in qs.values("currency").annotate(v=value).order_by("currency")}


def staff_numbers() -> StaffNumbers:
    """Gross services volume (what clients paid for work, net of refunds, fees excluded), fees earned, money in
    escrow, open chargebacks and the ledger check."""
    escrow_postings = Posting.objects.filter(account__kind=AccountKind.ESCROW)
    gross = {
        row["account__currency"]: row["v"]
        for row in escrow_postings.filter(
            entry__kind__in=[EntryKind.ESCROW_FUND, EntryKind.ESCROW_REFUND, EntryKind.ESCROW_SETTLEMENT]
        )
        .values("account__currency")
        .annotate(v=Sum("amount_cents"))
        .order_by("account__currency")
    }
    fees_earned = {
        row["account__currency"]: row["v"]
        for row in Posting.objects.filter(
            account__kind__in=[AccountKind.CLIENT_FEE_REVENUE, AccountKind.FREELANCER_FEE_REVENUE]
        )
        .values("account__currency")
        .annotate(v=Sum("amount_cents"))
        .order_by("account__currency")
    }
    return StaffNumbers(
        gross_services_cents=gross,
        fees_earned_cents=fees_earned,
        escrow_cents=_by_currency(LedgerAccount.objects.filter(kind=AccountKind.ESCROW), Sum("balance_cents")),
        open_chargebacks=list(
            Chargeback.objects.filter(status=ChargebackStatus.OPEN)
            .select_related("organization")
            .order_by("created_at")
        ),
        pending_operations=GatewayOperation.objects.filter(status=OperationStatus.PENDING).count(),
        problems=ledger_problems(),
    )
