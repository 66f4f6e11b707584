"""Feedback after a contract ends: each side rates the other once, within FEEDBACK_WINDOW_DAYS of the end.

Blind until both have spoken: a public comment and its ratings stay unreadable to everyone but their author
(`Feedback.revealed_at` is null) until the other side has left theirs, or the window has passed and the beat task
`feedback_reveal_due` reveals what there is. So neither side can answer the other's review in kind.
Revealing the client's feedback changes the freelancer's job success score, so it is recomputed after commit.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import OrgPerm, has_org_perm
from contracts.models import Contract, Feedback
from contracts.services import score
from contracts.services._common import notify_client, require_party
from kernel.errors import DomainError, InvalidInput, PermissionDenied
from kernel.refs import Kind, ref
from kernel.transitions import lock
from messaging.services import notify

CRITERIA = tuple(name for name, _about_freelancer, _about_client in Feedback.CRITERIA)
MAX_TEXT = 2000


def feedback_window_ends(contract: Contract) -> dt.datetime | None:
    """When the ended contract stops taking feedback; None while it runs."""
    if contract.ended_at is None:
        return None
    return contract.ended_at + dt.timedelta(days=settings.FEEDBACK_WINDOW_DAYS)


def side_of(*, user, contract: Contract) -> str | None:
    """The side `user` may leave feedback for: the freelancer, a client member who may hire, or neither."""
    if not user.is_authenticated:
        return None
    if contract.freelancer_id == user.pk:
        return Feedback.Side.FREELANCER
    if has_org_perm(user, contract.organization_id, OrgPerm.HIRE):
        return Feedback.Side.CLIENT
    return None


def _clean(
    *, ratings: dict[str, object], public_comment: str, private_feedback: str
) -> tuple[dict[str, int], str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int] = {}
    for name in CRITERIA:
        value = ratings.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = ["Choose a rating from 1 to 5."]
        else:
            cleaned[name] = value
    public_comment, private_feedback = public_comment.strip(), private_feedback.strip()
    if not public_comment:
        errors["public_comment"] = ["Write a few words others will read."]
    for field, text in (("public_comment", public_comment), ("private_feedback", private_feedback)):
        if len(text) > MAX_TEXT:
            errors.setdefault(field, []).append(f"Keep it under {MAX_TEXT} characters.")
        if "\x00" in text:
            errors.setdefault(field, []).append("The text contains a character we cannot store.")
    if errors:
        raise InvalidInput("feedback_invalid", "Check the ratings and the comment.", errors=errors)
    return cleaned, public_comment, private_feedback


@transaction.atomic
def feedback_leave(
    *,
    actor,
    contract_id: int,
    ratings: dict[str, object],
    public_comment: str,
    private_feedback: str = "",
    show_earnings: bool = False,
    now: dt.datetime | None = None,
) -> Feedback:
    """`actor` (the freelancer, or a client member with OrgPerm.HIRE) rates the other side of an ended contract.

    `ratings` maps each of Feedback.CRITERIA to 1–5. Refused: not a party (404) or a member who may not hire (403),
    a contract still running, after the window, a second time. `show_earnings` is only the freelancer's to set.
    Holds the contract's row lock, so the two sides leaving feedback at once reveal both exactly once.
    """
    now = now or timezone.now()
    contract = lock(Contract.objects.select_related("organization", "freelancer"), pk=contract_id)
    require_party(user=actor, contract=contract)
    side = side_of(user=actor, contract=contract)
    if side is None:
        raise PermissionDenied()
    if contract.status != Contract.Status.ENDED:
        raise DomainError("contract_not_ended", "Feedback opens once the contract has ended.")
    window_ends = feedback_window_ends(contract)
    if window_ends is not None and now > window_ends:
        raise DomainError(
            "feedback_window_closed",
            f"Feedback closed {settings.FEEDBACK_WINDOW_DAYS} days after the contract ended.",
        )
    if contract.feedback.filter(side=side).exists():
        raise DomainError("feedback_already_left", "Feedback for this contract was already left from your side.")
    cleaned, public_comment, private_feedback = _clean(
        ratings=ratings, public_comment=public_comment, private_feedback=private_feedback
    )
    feedback = Feedback.objects.create(
        contract=contract,
        side=side,
        author=actor,
        rating_tenths=round(sum(cleaned.values()) * 10 / len(cleaned)),
        public_comment=public_comment,
        private_feedback=private_feedback,
        show_earnings=bool(show_earnings) and side == Feedback.Side.FREELANCER,
        created_at=now,
        **cleaned,
    )
    both = contract.feedback.count() == 2
    if both:
        _reveal(contract, now=now)
    _tell_other_side(contract, side=side, author=actor, revealed=both)
    return feedback


def _reveal(contract: Contract, *, now: dt.datetime) -> int:
    """Reveal the contract's hidden feedback (the caller holds its row lock); recompute the score after commit."""
    revealed = contract.feedback.filter(revealed_at__isnull=True).update(revealed_at=now)
    if revealed:
        freelancer_id = contract.freelancer_id
        transaction.on_commit(lambda: score.job_success_refresh(freelancer_id=freelancer_id))
    return revealed


def _tell_other_side(contract: Contract, *, side: str, author, revealed: bool) -> None:
    url = reverse("contracts:feedback", args=[contract.pk])
    reference = ref(Kind.CONTRACT, contract.pk)
    kind = "feedback_published" if revealed else "feedback_received"
    if revealed:
        title = f"Feedback on “{contract.title}” is now public: read what {author.display_name} wrote"
    else:
        days = settings.FEEDBACK_WINDOW_DAYS
        title = (
            f"{author.display_name} left feedback on “{contract.title}”: leave yours to read it "
            f"(both become public together, or {days} days after the end)"
        )
    kind = "feedback_published" if revealed else "feedback_received"
    if side == Feedback.Side.CLIENT:
        notify(user=contract.freelancer, kind=kind, title=title, url=url, reference=reference)
    else:
        notify_client(
            organization_id=contract.organization_id,
            perm=OrgPerm.HIRE,
            kind=kind,
            title=title,
            url=url,
            reference=reference,
        )


def feedback_reveal_due(*, now: dt.datetime | None = None) -> int:
    """Reveal the feedback of every contract whose window has passed; returns how many contracts. Each contract in
    its own transaction under its lock, so running twice (or beside `feedback_leave`) reveals once."""
    now = now or timezone.now()
    closed_before = now - dt.timedelta(days=settings.FEEDBACK_WINDOW_DAYS)
    contract_ids = list(
        Feedback.objects.filter(revealed_at__isnull=True, contract__ended_at__lte=closed_before)
        .values_list("contract_id", flat=True)
        .distinct()
    )
    count = 0
    for contract_id in contract_ids:
        with transaction.atomic():
            count += bool(_reveal(lock(Contract.objects.all(), pk=contract_id), now=now))
    return count
