"""Offers: a client proposes terms to a freelancer, who accepts (a contract starts) or declines; unanswered
offers expire."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import FreelancerProfile, Membership, Organization
from accounts.permissions import OrgPerm, has_org_perm
from contracts import selectors
from contracts.models import Contract, ContractEvent, ContractType, Milestone, Offer, OfferMilestone
from contracts.services._common import check_transition, notify_client, require_client
from jobs.models import Proposal
from jobs.services.proposals import proposal_mark_hired
from kernel.errors import DomainError, NotFound
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


def earliest_start_date() -> dt.date:
    # A day of slack: "today" in a client's zone west of UTC is still yesterday in UTC.
    return timezone.now().date() - dt.timedelta(days=1)


def _max_amount() -> str:
    return f"${settings.MAX_CONTRACT_AMOUNT_CENTS / 100:,.2f}"


def milestone_terms_clean(milestone: MilestoneTerms, *, field: str = "milestones") -> None:
    """One milestone's own rules; raises ValidationError under `field`."""
    if not milestone.title.strip():
        raise ValidationError({field: "Give each milestone a title."})
    if not 0 < milestone.amount_cents <= settings.MAX_CONTRACT_AMOUNT_CENTS:
        raise ValidationError({field: f"Each milestone amount must be above zero and at most {_max_amount()}."})
    if milestone.due_date and milestone.due_date < earliest_start_date():
        raise ValidationError({field: "A milestone cannot be due in the past."})


def offer_terms_clean(terms: OfferTerms) -> None:
    """The rules of an offer's terms in one place (the form, the API serializer and `offer_create` call it).

    Raises ValidationError keyed by field name.
    """
    if terms.contract_type not in ContractType.values:
        raise ValidationError({"contract_type": "Choose hourly or fixed price."})
    if terms.start_date < earliest_start_date():
        raise ValidationError({"start_date": "The start date cannot be in the past."})
    if terms.contract_type == ContractType.HOURLY:
        low, high = settings.MIN_HOURLY_RATE_CENTS, settings.MAX_HOURLY_RATE_CENTS
        if terms.hourly_rate_cents is None or not low <= terms.hourly_rate_cents <= high:
            raise ValidationError(
                {"hourly_rate_cents": f"The hourly rate must be between ${low / 100:,.2f} and ${high / 100:,.2f}."}
            )
        if terms.weekly_limit_hours is None or not 1 <= terms.weekly_limit_hours <= settings.MAX_WEEKLY_HOUR_LIMIT:
            raise ValidationError(
                {"weekly_limit_hours": f"The weekly limit is 1 to {settings.MAX_WEEKLY_HOUR_LIMIT} hours."}
            )
        return
    if terms.total_cents is None or not 0 < terms.total_cents <= settings.MAX_CONTRACT_AMOUNT_CENTS:
        raise ValidationError({"total_cents": f"The price must be above zero and at most {_max_amount()}."})
    if not terms.milestones:
        raise ValidationError({"milestones": "A fixed-price offer needs at least one milestone."})
    if len(terms.milestones) > settings.MAX_OFFER_MILESTONES:
        raise ValidationError({"milestones": f"An offer can have at most {settings.MAX_OFFER_MILESTONES} milestones."})
    for milestone in terms.milestones:
        milestone_terms_clean(milestone)
    total = sum(m.amount_cents for m in terms.milestones)
    if total != terms.total_cents:
        raise ValidationError(
            {
                "milestones": f"The milestones add up to ${total / 100:,.2f}, "
                f"but the price is ${terms.total_cents / 100:,.2f}: they must be equal."
            }
        )


def _clean_or_400(terms: OfferTerms) -> None:
    try:
        offer_terms_clean(terms)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError("offer_terms_invalid", f"{field}: {' '.join(messages)}", status=400) from exc


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
) -> Offer:
    """Send an offer from a proposal (`proposal_id`) or straight to a freelancer (`freelancer_profile_id`).

    The actor needs OrgPerm.HIRE in the organization. Terms are checked with `offer_terms_clean`.
    """
    require_client(user=actor, organization_id=organization_id, perm=OrgPerm.HIRE)
    organization = Organization.objects.get(pk=organization_id)
    _clean_or_400(terms)
    title = title.strip()
    if not title:
        raise DomainError("offer_title_required", "Give the contract a title.", status=400)
    if (proposal_id is None) == (freelancer_profile_id is None):
        raise DomainError("offer_target_required", "Make the offer from a proposal or to a freelancer.", status=400)

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
        profile = FreelancerProfile.objects.select_related("user").filter(pk=freelancer_profile_id).first()
        if profile is None:
            raise NotFound("No freelancer with this id.")
        freelancer = profile.user
    if Membership.objects.filter(user=freelancer, organization_id=organization_id).exists():
        raise DomainError("own_member", "You cannot make an offer to a member of your own organization.")

    now = timezone.now()
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


def _offer_for_update(offer_id: int) -> Offer:
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("organization", "freelancer", "proposal")
        .filter(pk=offer_id)
        .first()
    )
    if offer is None:
        raise NotFound()
    return offer


def _own_offer_for_update(*, actor, offer_id: int) -> Offer:
    """The offer made to `actor` (the freelancer), locked; a client member may see it but not answer it."""
    offer = _offer_for_update(offer_id)
    if offer.freelancer_id != actor.pk:
        require_client(user=actor, organization_id=offer.organization_id, perm=OrgPerm.VIEW)
        raise DomainError("freelancer_only", "Only the freelancer the offer was made to can answer it.", status=403)
    return offer


def _check_answerable(offer: Offer, new_status: str, now: dt.datetime) -> None:
    if offer.status == Offer.Status.PENDING and offer.expires_at <= now:
        raise DomainError("offer_expired", "This offer has expired.")
    check_transition(
        offer, new_status, code=f"offer_{offer.status}", detail=f"This offer is {offer.get_status_display().lower()}."
    )


@transaction.atomic
def offer_accept(*, actor, offer_id: int) -> Contract:
    """The freelancer accepts: the contract and its milestones start, the proposal is marked hired, the contract's
    conversation opens and the client hears about it."""
    now = timezone.now()
    offer = _own_offer_for_update(actor=actor, offer_id=offer_id)
    _check_answerable(offer, Offer.Status.ACCEPTED, now)
    offer.status = Offer.Status.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])

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

    hirers = _hirers(offer)
    conversation_open(
        reference=contract.escrow_reference, title=contract.title, participants=[offer.freelancer, *hirers]
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


def _hirers(offer: Offer) -> list:
    people = selectors.organization_users_with(organization_id=offer.organization_id, perm=OrgPerm.HIRE)
    if offer.created_by is not None and offer.created_by not in people:
        people.append(offer.created_by)
    return people


@transaction.atomic
def offer_decline(*, actor, offer_id: int, reason: str = "") -> Offer:
    now = timezone.now()
    offer = _own_offer_for_update(actor=actor, offer_id=offer_id)
    _check_answerable(offer, Offer.Status.DECLINED, now)
    offer.status = Offer.Status.DECLINED
    offer.responded_at = now
    offer.decline_reason = reason.strip()[:1000]
    offer.save(update_fields=["status", "responded_at", "decline_reason"])
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
    if offer.freelancer_id == actor.pk and not has_org_perm(actor, offer.organization_id, OrgPerm.HIRE):
        raise DomainError("client_only", "Only the client can withdraw an offer; you can decline it.", status=403)
    require_client(user=actor, organization_id=offer.organization_id, perm=OrgPerm.HIRE)
    check_transition(
        offer,
        Offer.Status.WITHDRAWN,
        code=f"offer_{offer.status}",
        detail=f"This offer is {offer.get_status_display().lower()}.",
    )
    offer.status = Offer.Status.WITHDRAWN
    offer.responded_at = timezone.now()
    offer.save(update_fields=["status", "responded_at"])
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
    check_transition(offer, Offer.Status.EXPIRED)
    offer.status = Offer.Status.EXPIRED
    offer.save(update_fields=["status"])
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
