"""Offers: a client proposes terms to a freelancer, who accepts (a contract starts) or declines; unanswered
offers expire."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile, Membership, Organization
from accounts.permissions import OrgPerm, has_org_perm, may, organization_ids_with
from accounts.selectors import shown_to_public
from contracts.models import Contract, ContractEvent, ContractType, Milestone, Offer, OfferMilestone
from contracts.services._common import notify_client, require_client
from jobs.models import Proposal
from jobs.services.proposals import proposal_mark_hired
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import format_money
from kernel.permissions import require_access
from kernel.transitions import lock, register_actors, transition
from messaging.services import conversation_open, notify


@dataclasses.dataclass(frozen=True)
class MilestoneTerms:
    """One milestone as the client writes it on an offer (or adds to a running contract)."""

    title: str
    amount_cents: int
    description: str = ""
    due_date: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class OfferTerms:
    contract_type: str
    start_date: dt.date
    hourly_rate_cents: int | None = None
    weekly_limit_hours: int | None = None
    total_cents: int | None = None
    milestones: Sequence[MilestoneTerms] = ()


def earliest_start_date(now: dt.datetime | None = None) -> dt.date:
    # A day of slack: "today" in a client's zone west of UTC is still yesterday in UTC.
    return (now or timezone.now()).date() - dt.timedelta(days=1)


def _max_amount() -> str:
    return format_money(settings.MAX_CONTRACT_AMOUNT_CENTS)


def _milestone_errors(milestone: MilestoneTerms, now: dt.datetime | None = None) -> list[str]:
    errors = []
    if not milestone.title.strip():
        errors.append("Give each milestone a title.")
    if not 0 < milestone.amount_cents <= settings.MAX_CONTRACT_AMOUNT_CENTS:
        errors.append(f"Each milestone amount must be above zero and at most {_max_amount()}.")
    if milestone.due_date and milestone.due_date < earliest_start_date(now):
        errors.append("A milestone cannot be due in the past.")
    return errors


def milestone_terms_clean(milestone: MilestoneTerms, *, field: str = "milestones") -> None:
    """One milestone's own rules; InvalidInput ("milestone_invalid") with its errors under `field`."""
    errors = _milestone_errors(milestone)
    if errors:
        raise InvalidInput("milestone_invalid", errors={field: errors})


def offer_terms_clean(terms: OfferTerms, *, now: dt.datetime | None = None) -> None:
    """The rules of an offer's terms in one place (the form, the API and `offer_create` reach them): InvalidInput
    ("offer_terms_invalid") with every field's errors, keyed by the terms' names (the API's field names). Dates
    are judged as of `now` (the moment the offer is made)."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if terms.contract_type not in ContractType.values:
        refuse("contract_type", "Choose hourly or fixed price.")
    if terms.start_date < earliest_start_date(now):
        refuse("start_date", "The start date cannot be in the past.")
    if terms.contract_type == ContractType.HOURLY:
        low, high = settings.MIN_HOURLY_RATE_CENTS, settings.MAX_HOURLY_RATE_CENTS
        if terms.hourly_rate_cents is None or not low <= terms.hourly_rate_cents <= high:
            refuse(
                "hourly_rate_cents", f"The hourly rate must be between {format_money(low)} and {format_money(high)}."
            )
        if terms.weekly_limit_hours is None or not 1 <= terms.weekly_limit_hours <= settings.MAX_WEEKLY_HOUR_LIMIT:
            refuse("weekly_limit_hours", f"The weekly limit is 1 to {settings.MAX_WEEKLY_HOUR_LIMIT} hours.")
    elif terms.contract_type == ContractType.FIXED:
        if terms.total_cents is None or not 0 < terms.total_cents <= settings.MAX_CONTRACT_AMOUNT_CENTS:
            refuse("total_cents", f"The price must be above zero and at most {_max_amount()}.")
        if not terms.milestones:
            refuse("milestones", "A fixed-price offer needs at least one milestone.")
        if len(terms.milestones) > settings.MAX_OFFER_MILESTONES:
            refuse("milestones", f"An offer can have at most {settings.MAX_OFFER_MILESTONES} milestones.")
        for message in dict.fromkeys(m for milestone in terms.milestones for m in _milestone_errors(milestone, now)):
            refuse("milestones", message)
        total = sum(m.amount_cents for m in terms.milestones)
        if terms.milestones and terms.total_cents is not None and total != terms.total_cents:
            refuse(
                "milestones",
                f"The milestones add up to {format_money(total)}, but the price is {format_money(terms.total_cents)}: "
                "they must be equal.",
            )
    if errors:
        raise InvalidInput("offer_terms_invalid", errors=errors)


def _offer_moves(offer: Offer, actor) -> set[str]:
    """The freelancer accepts or declines; the client's hirers withdraw. (Expiry is the task's, not a person's.)"""
    if actor is None or not actor.is_authenticated:
        return set()
    moves: set[str] = set()
    if offer.freelancer_id == actor.pk:
        moves |= {Offer.Status.ACCEPTED, Offer.Status.DECLINED}
    if may(actor, offer.organization_id, OrgPerm.HIRE):
        moves.add(Offer.Status.WITHDRAWN)
    return moves


register_actors(Offer, _offer_moves)


@transaction.atomic
def offer_create(
    *,
    actor,
    organization_id: int,
    terms: OfferTerms,
    title: str,
    message: str = "",
    proposal_id: int | None = None,
    freelancer_profile_id: int | None = None,
    now: dt.datetime | None = None,
) -> Offer:
    """Send an offer from a proposal (`proposal_id`) or straight to a freelancer (`freelancer_profile_id`).

    The actor needs OrgPerm.HIRE in the organization. Terms are checked with `offer_terms_clean`. `now` is when
    the offer is made (the demo data backdates a contract with it; requests leave it to the clock).
    """
    now = now or timezone.now()
    require_client(user=actor, organization_id=organization_id, perm=OrgPerm.HIRE)
    organization = Organization.objects.get(pk=organization_id)
    offer_terms_clean(terms, now=now)
    title = title.strip()
    if not title:
        raise InvalidInput("offer_title_required", errors={"title": "Give the contract a title."})
    if (proposal_id is None) == (freelancer_profile_id is None):
        raise InvalidInput("offer_target_required", "Make the offer from a proposal or to a freelancer.")

    proposal = job = None
    if proposal_id is not None:
        proposal = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("job", "freelancer__user")
            .filter(pk=proposal_id, job__organization_id=organization_id)
            .first()
        )
        if proposal is None:
            raise NotFound()
        if not proposal.is_live:
            raise DomainError("proposal_not_live", "This proposal is no longer open: it cannot be hired.")
        freelancer, job = proposal.freelancer.user, proposal.job
    else:
        assert freelancer_profile_id is not None  # exactly one of the two targets (checked above)
        # Only a profile the public may see: a hidden one or a suspended account is no one to hire.
        profiles = FreelancerProfile.objects.select_related("user").filter(shown_to_public())
        profile = profiles.filter(pk=freelancer_profile_id).first()
        if profile is None:
            raise NotFound("No freelancer with this id.")
        freelancer = profile.user
    if not freelancer.is_active:
        raise DomainError("freelancer_suspended", "This freelancer's account is suspended: they cannot be hired.")
    if Membership.objects.filter(user=freelancer, organization_id=organization_id).exists():
        raise DomainError("own_member", "You cannot make an offer to a member of your own organization.")

    is_fixed = terms.contract_type == ContractType.FIXED
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                organization=organization,
                created_by=actor,
                freelancer=freelancer,
                proposal=proposal,
                job=job,
                title=title[:200],
                contract_type=terms.contract_type,
                hourly_rate_cents=None if is_fixed else terms.hourly_rate_cents,
                weekly_limit_hours=None if is_fixed else terms.weekly_limit_hours,
                total_cents=terms.total_cents if is_fixed else None,
                currency=job.currency if job else settings.DEFAULT_CURRENCY,
                start_date=terms.start_date,
                message=message.strip(),
                created_at=now,
                expires_at=now + dt.timedelta(days=settings.OFFER_EXPIRY_DAYS),
            )
    except IntegrityError as exc:  # the partial unique index: one pending offer per proposal
        raise DomainError("offer_exists", "There is already a pending offer for this proposal.") from exc
    if is_fixed:
        OfferMilestone.objects.bulk_create(
            [
                OfferMilestone(
                    offer=offer,
                    position=i,
                    title=m.title.strip()[:200],
                    description=m.description.strip(),
                    amount_cents=m.amount_cents,
                    due_date=m.due_date,
                )
                for i, m in enumerate(terms.milestones)
            ]
        )
    notify(
        user=freelancer,
        kind="offer_received",
        title=f"{organization.name} sent you an offer: “{offer.title}”",
        body=offer.message,
        url=reverse("contracts:offer_detail", args=[offer.pk]),
        reference=f"offer:{offer.pk}",
    )
    return offer


_ONLY_HIRERS = "Your role does not allow sending offers. Ask an owner, admin or hiring manager."


def offer_check_sender(*, actor, proposal: Proposal | None = None) -> None:
    """May `actor` send an offer (from `proposal`, which they see)? Whoever sees it but may not hire for its
    organization (its freelancer, a member without the role), or may hire nowhere, gets 403: the offer form asks
    before it shows, `offer_create` checks again."""
    organization_ids = organization_ids_with(actor, OrgPerm.HIRE)
    allowed = proposal.job.organization_id in organization_ids if proposal is not None else bool(organization_ids)
    require_access(visible=True, allowed=allowed, detail=_ONLY_HIRERS)


def _offer_for_update(offer_id: int) -> Offer:
    return lock(Offer.objects.select_related("organization", "freelancer", "proposal"), pk=offer_id)


def _own_offer_for_update(*, actor, offer_id: int) -> Offer:
    """The offer made to `actor` (the freelancer), locked; a client member may see it but not answer it."""
    offer = _offer_for_update(offer_id)
    own = offer.freelancer_id == actor.pk
    require_access(
        visible=own or has_org_perm(actor, offer.organization_id, OrgPerm.VIEW),
        allowed=own,
        detail="Only the freelancer the offer was made to can answer it.",
    )
    return offer


def _answer(offer: Offer, to: str, *, actor, now: dt.datetime, **fields) -> None:
    """An answer to the offer (accept, decline, withdraw): refused once it expired or was answered."""
    if offer.status == Offer.Status.PENDING and offer.expires_at <= now:
        raise DomainError("offer_expired", "This offer has expired.")
    refusal = (f"offer_{offer.status}", f"This offer is {offer.get_status_display().lower()}.")
    transition(offer, to, actor=actor, refusal=refusal, responded_at=now, **fields)


@transaction.atomic
def offer_accept(*, actor, offer_id: int, now: dt.datetime | None = None) -> Contract:
    """The freelancer accepts (at `now`, the clock's unless given): the contract and its milestones start, the
    proposal is marked hired, the contract's conversation opens and the client hears about it."""
    now = now or timezone.now()
    offer = _own_offer_for_update(actor=actor, offer_id=offer_id)
    _answer(offer, Offer.Status.ACCEPTED, actor=actor, now=now)

    contract = Contract.objects.create(
        organization=offer.organization,
        freelancer=offer.freelancer,
        job=offer.job,
        offer=offer,
        title=offer.title,
        contract_type=offer.contract_type,
        hourly_rate_cents=offer.hourly_rate_cents,
        weekly_limit_hours=offer.weekly_limit_hours,
        total_cents=offer.total_cents,
        currency=offer.currency,
        start_date=offer.start_date,
        started_at=now,
    )
    ContractEvent.objects.create(contract=contract, to_status=contract.status, actor=actor, note="Offer accepted.")
    Milestone.objects.bulk_create(
        [
            Milestone(
                contract=contract,
                position=m.position,
                title=m.title,
                description=m.description,
                amount_cents=m.amount_cents,
                currency=offer.currency,
                due_date=m.due_date,
            )
            for m in offer.milestones.all()
        ]
    )
    if offer.proposal is not None:
        proposal_mark_hired(proposal=offer.proposal)

    conversation_open(
        reference=contract.escrow_reference,
        title=contract.title,
        organization_id=contract.organization_id,
        freelancer=offer.freelancer,
    )
    url = reverse("contracts:contract_detail", args=[contract.pk])
    waiting = " Fund the first milestone so the work can start." if contract.is_fixed else ""
    notify_client(
        organization_id=contract.organization_id,
        perm=OrgPerm.HIRE,
        kind="offer_accepted",
        title=f"{offer.freelancer.display_name} accepted your offer “{offer.title}”",
        body=f"The contract has started.{waiting}",
        url=url,
        reference=f"contract:{contract.pk}",
    )
    return contract


@transaction.atomic
def offer_decline(*, actor, offer_id: int, reason: str = "") -> Offer:
    now = timezone.now()
    offer = _own_offer_for_update(actor=actor, offer_id=offer_id)
    _answer(offer, Offer.Status.DECLINED, actor=actor, now=now, decline_reason=reason.strip()[:1000])
    notify_client(
        organization_id=offer.organization_id,
        perm=OrgPerm.HIRE,
        kind="offer_declined",
        title=f"{offer.freelancer.display_name} declined your offer “{offer.title}”",
        body=offer.decline_reason,
        url=reverse("contracts:offer_detail", args=[offer.pk]),
        reference=f"offer:{offer.pk}",
    )
    return offer


@transaction.atomic
def offer_withdraw(*, actor, offer_id: int) -> Offer:
    offer = _offer_for_update(offer_id)
    allowed = has_org_perm(actor, offer.organization_id, OrgPerm.HIRE)
    require_access(
        visible=allowed or offer.freelancer_id == actor.pk or has_org_perm(actor, offer.organization_id, OrgPerm.VIEW),
        allowed=allowed,
        detail="Only the client's members who may hire can withdraw an offer; the freelancer can decline it.",
    )
    refusal = (f"offer_{offer.status}", f"This offer is {offer.get_status_display().lower()}.")
    transition(offer, Offer.Status.WITHDRAWN, actor=actor, refusal=refusal, responded_at=timezone.now())
    notify(
        user=offer.freelancer,
        kind="offer_withdrawn",
        title=f"{offer.organization.name} withdrew its offer “{offer.title}”",
        url=reverse("contracts:offer_detail", args=[offer.pk]),
        reference=f"offer:{offer.pk}",
    )
    return offer


def offers_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire every pending offer whose time is up (each in its own transaction); returns how many expired.

    Safe to run twice or alongside an answer: each offer is re-read under its row lock before it changes.
    """
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return sum(_offer_expire(offer_id=offer_id, now=now) for offer_id in due)


@transaction.atomic
def _offer_expire(*, offer_id: int, now: dt.datetime) -> bool:
    offer = _offer_for_update(offer_id)
    if offer.status != Offer.Status.PENDING or offer.expires_at > now:
        return False
    transition(offer, Offer.Status.EXPIRED)
    url = reverse("contracts:offer_detail", args=[offer.pk])
    notify(
        user=offer.freelancer,
        kind="offer_expired",
        title=f"The offer “{offer.title}” from {offer.organization.name} has expired",
        url=url,
        reference=f"offer:{offer.pk}",
    )
    notify_client(
        organization_id=offer.organization_id,
        perm=OrgPerm.HIRE,
        kind="offer_expired",
        title=f"Your offer “{offer.title}” to {offer.freelancer.display_name} expired unanswered",
        url=url,
        reference=f"offer:{offer.pk}",
    )
    return True
