"""Reads for offers, contracts and milestones, scoped to the user asking.

A user sees an offer or a contract when they are its freelancer or a member (any role: OrgPerm.VIEW) of its
organization; anything else looks like it does not exist (NotFound), so ids leak nothing.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import Organization
from accounts.permissions import OrgPerm, organization_ids_with
from accounts.selectors import members_with
from contracts.models import Contract, Milestone, MilestoneEvent, MilestoneSubmission, Offer, SubmissionFile
from kernel.errors import NotFound

User = get_user_model()


def _party_filter(user) -> Q:
    return Q(freelancer_id=user.pk) | Q(organization_id__in=organization_ids_with(user, OrgPerm.VIEW))


# --- Offers ---


def offers_visible_to(user) -> QuerySet[Offer]:
    if not user.is_authenticated:
        return Offer.objects.none()
    return Offer.objects.filter(_party_filter(user)).select_related(
        "organization", "freelancer", "job", "created_by", "contract"
    )


def offers_received(user) -> QuerySet[Offer]:
    return offers_visible_to(user).filter(freelancer_id=user.pk)


def offers_sent(user) -> QuerySet[Offer]:
    if not user.is_authenticated:
        return Offer.objects.none()
    return offers_visible_to(user).filter(organization_id__in=organization_ids_with(user, OrgPerm.VIEW))


def offer_get(*, user, offer_id: int) -> Offer:
    offer = offers_visible_to(user).prefetch_related("milestones").filter(pk=offer_id).first()
    if offer is None:
        raise NotFound()
    return offer


def organizations_hiring_as(user, *, only_id: int | None = None) -> QuerySet[Organization]:
    """The organizations `user` may send offers for (OrgPerm.HIRE), optionally just the one with `only_id`."""
    organizations = Organization.objects.filter(pk__in=organization_ids_with(user, OrgPerm.HIRE))
    return organizations if only_id is None else organizations.filter(pk=only_id)


# --- Contracts ---


def contracts_visible_to(user) -> QuerySet[Contract]:
    if not user.is_authenticated:
        return Contract.objects.none()
    return (
        Contract.objects.filter(_party_filter(user))
        .select_related("organization", "freelancer", "job", "ended_by")
        .annotate(
            escrow_cents=Sum("milestones__amount_cents", filter=Q(milestones__status__in=Milestone.IN_ESCROW)),
        )
    )


def contracts_as_freelancer(user) -> QuerySet[Contract]:
    return contracts_visible_to(user).filter(freelancer_id=user.pk)


def contracts_as_client(user) -> QuerySet[Contract]:
    if not user.is_authenticated:
        return Contract.objects.none()
    return contracts_visible_to(user).filter(organization_id__in=organization_ids_with(user, OrgPerm.VIEW))


def contract_get(*, user, contract_id: int) -> Contract:
    contract = (
        contracts_visible_to(user)
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("dispute").prefetch_related(
                    Prefetch(
                        "submissions",
                        queryset=MilestoneSubmission.objects.select_related("submitted_by").prefetch_related("files"),
                    ),
                    Prefetch("events", queryset=MilestoneEvent.objects.select_related("actor")),
                ),
            ),
            "events__actor",
        )
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise NotFound()
    return contract


def awaiting_funding(contract: Contract) -> bool:
    """A fixed-price contract is waiting for the client when nothing is funded and a milestone waits for money.

    Reads `contract.milestones.all()`, so prefetch them when calling it for many contracts.
    """
    if not contract.is_fixed or contract.status != Contract.Status.ACTIVE:
        return False
    statuses = {m.status for m in contract.milestones.all()}
    return Milestone.Status.PENDING in statuses and not statuses & set(Milestone.IN_PROGRESS)


# --- Milestones ---


def milestones_visible_to(user) -> QuerySet[Milestone]:
    if not user.is_authenticated:
        return Milestone.objects.none()
    return Milestone.objects.filter(
        Q(contract__freelancer_id=user.pk) | Q(contract__organization_id__in=organization_ids_with(user, OrgPerm.VIEW))
    ).select_related("contract", "contract__organization", "contract__freelancer")


def submission_files_readable_by(user) -> QuerySet[SubmissionFile]:
    """Delivered files go to the parties of the contract (kernel.files serves them)."""
    if not user.is_authenticated:
        return SubmissionFile.objects.none()
    return SubmissionFile.objects.filter(
        Q(submission__milestone__contract__freelancer_id=user.pk)
        | Q(submission__milestone__contract__organization_id__in=organization_ids_with(user, OrgPerm.VIEW))
    )


def milestones_due_for_auto_approval(*, before) -> QuerySet[Milestone]:
    """Submitted milestones the client left alone since before `before`."""
    return Milestone.objects.filter(status=Milestone.Status.SUBMITTED, submitted_at__lte=before).order_by("id")


# --- People to tell ---


def organization_users_with(*, organization_id: int, perm: OrgPerm) -> list:
    """The members of an organization whose role allows `perm`: who hears about what they can act on."""
    return list(members_with(organization_id=organization_id, perm=perm))
