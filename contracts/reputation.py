"""Reads for reputation: work history on a freelancer's profile, a client's record on its job pages, the feedback
a viewer may read on a contract, and the money each contract moved (from the ledger, the one source of truth).

Hidden feedback (`revealed_at` null) never leaves this module except to its own author.
"""

import dataclasses
import datetime as dt

from django.db.models import Avg, Count, OuterRef, Q, Subquery, Sum

from contracts.models import Contract, Dispute, Feedback
from jobs.models import Job
from payments.models import AccountKind, Posting


@dataclasses.dataclass(frozen=True)
class ContractMoney:
    paid_in_cents: int = 0  # what the client paid into the contract's escrow
    earned_cents: int = 0  # what reached the freelancer (after the service fee)
    released_cents: int = 0  # what left escrow for the freelancer, before the fee (the client's spend on work)


def _escrow_of_entry():
    return Posting.objects.filter(entry_id=OuterRef("entry_id"), account__kind=AccountKind.ESCROW).values(
        "account__reference"
    )[:1]


def contract_money(contracts) -> dict[int, ContractMoney]:
    """Per contract id, the money its escrow took in and released: three grouped queries whatever the count."""
    by_reference = {contract.escrow_reference: contract.pk for contract in contracts}
    if not by_reference:
        return {}
    paid_in = dict(
        Posting.objects.filter(
            account__kind=AccountKind.ESCROW, account__reference__in=by_reference, amount_cents__gt=0
        )
        .values_list("account__reference")
        .annotate(total=Sum("amount_cents"))
    )
    released: dict[str, dict[str, int]] = {}
    rows = (
        Posting.objects.filter(
            account__kind__in=(AccountKind.FREELANCER_PENDING, AccountKind.FREELANCER_FEE_REVENUE), amount_cents__gt=0
        )
        .annotate(escrow=Subquery(_escrow_of_entry()))
        .filter(escrow__in=by_reference)
        .values_list("escrow", "account__kind")
        .annotate(total=Sum("amount_cents"))
    )
    for escrow, kind, total in rows:
        released.setdefault(escrow, {})[kind] = total
    money = {}
    for reference, contract_id in by_reference.items():
        parts = released.get(reference, {})
        earned = parts.get(AccountKind.FREELANCER_PENDING, 0)
        money[contract_id] = ContractMoney(
            paid_in_cents=paid_in.get(reference, 0),
            earned_cents=earned,
            released_cents=earned + parts.get(AccountKind.FREELANCER_FEE_REVENUE, 0),
        )
    return money


def contracts_with_lost_dispute(*, freelancer_id: int) -> set[int]:
    """The freelancer's contracts with a dispute decided against them (less than half of the held money)."""
    resolved = Dispute.objects.filter(
        contract__freelancer_id=freelancer_id, status=Dispute.Status.RESOLVED
    ).values_list("contract_id", "freelancer_cents", "amount_cents")
    return {contract_id for contract_id, freelancer, amount in resolved if freelancer * 2 < amount}


# --- Feedback a viewer may read ---


def feedback_readable_by(user) -> Q:
    """Revealed feedback, or the viewer's own (they wrote it): never the other side's before it is revealed."""
    readable = Q(revealed_at__isnull=False)
    return readable | Q(author_id=user.pk) if user.is_authenticated else readable


def contract_feedback(*, contract: Contract, user) -> dict[str, Feedback | None]:
    """The contract's feedback by side, as `user` (a party: the caller checked) may read it; hidden is None."""
    rows = {row.side: row for row in contract.feedback.filter(feedback_readable_by(user))}
    return {side: rows.get(side) for side in Feedback.Side.values}


def feedback_sides_left(contract: Contract) -> set[str]:
    """Which sides have left feedback (shown as "left, hidden until…" without revealing what it says)."""
    return set(contract.feedback.values_list("side", flat=True))


# --- Work history (a freelancer's profile) and a client's record (its job pages) ---


@dataclasses.dataclass(frozen=True)
class HistoryItem:
    contract: Contract
    started: dt.date
    ended: dt.date | None
    earned_cents: int | None  # None when the freelancer chose not to show it
    feedback: Feedback | None  # the client's revealed feedback


def work_history(*, freelancer_id: int, limit: int = 20) -> list[HistoryItem]:
    """The freelancer's ended contracts, newest first, with the client's revealed feedback: a constant number of
    queries."""
    contracts = list(
        Contract.objects.filter(freelancer_id=freelancer_id, status=Contract.Status.ENDED)
        .select_related("organization")
        .order_by("-ended_at", "-id")[:limit]
    )
    feedback = Feedback.objects.filter(contract__in=contracts)
    by_contract: dict[int, dict[str, Feedback]] = {}
    for row in feedback:
        by_contract.setdefault(row.contract_id, {})[row.side] = row
    money = contract_money(contracts)
    items = []
    for contract in contracts:
        sides = by_contract.get(contract.pk, {})
        own, client = sides.get(Feedback.Side.FREELANCER), sides.get(Feedback.Side.CLIENT)
        items.append(
            HistoryItem(
                contract=contract,
                started=contract.started_at.date(),
                ended=contract.ended_at.date() if contract.ended_at else None,
                earned_cents=money[contract.pk].earned_cents if own and own.show_earnings else None,
                feedback=client if client and client.revealed_at else None,
            )
        )
    return items


@dataclasses.dataclass(frozen=True)
class ClientRecord:
    jobs_posted: int
    hires: int
    total_spent_cents: int
    rating: str | None  # the mean of freelancers' revealed ratings, "4.5"
    reviews: int

    @property
    def hire_rate(self) -> int | None:
        return round(100 * self.hires / self.jobs_posted) if self.jobs_posted else None


def client_record(*, organization_id: int) -> ClientRecord:
    """What freelancers see of a client on its job pages: hire rate over the jobs it published, what it spent on
    work (released to freelancers, before their fee), and the rating freelancers gave it."""
    jobs = Job.objects.filter(organization_id=organization_id, published_at__isnull=False).aggregate(
        posted=Count("id", distinct=True), hired=Count("id", filter=Q(contracts__isnull=False), distinct=True)
    )
    contracts = Contract.objects.filter(organization_id=organization_id)
    spent = sum(money.released_cents for money in contract_money(contracts).values())
    ratings = Feedback.objects.filter(
        contract__organization_id=organization_id, side=Feedback.Side.FREELANCER, revealed_at__isnull=False
    ).aggregate(mean=Avg("rating_tenths"), count=Count("id"))
    mean = ratings["mean"]
    return ClientRecord(
        jobs_posted=jobs["posted"],
        hires=jobs["hired"],
        total_spent_cents=spent,
        rating=f"{round(mean) / 10:.1f}" if mean is not None else None,
        reviews=ratings["count"],
    )
