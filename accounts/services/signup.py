"""Sign-up completion: what a new user said they came for (hire or work) becomes a profile or an organization."""

from django.db import transaction

from accounts.models import (
    OrganizationInvitation,
    User,
)
from accounts.services.organizations import organization_create
from accounts.services.profiles import freelancer_profile_create


class Intent:
    HIRE = "hire"
    WORK = "work"
    CHOICES = [(HIRE, "I want to hire"), (WORK, "I want to work")]


@transaction.atomic
def signup_complete(*, user: User, intent: str, organization_name: str = "", timezone: str = "UTC") -> None:
    """What a new account gets for the side it chose; the other side can be added later.

    Someone signing up to hire who was invited to an organization is joining that team: they get no one-person
    business of their own unless they name one.
    """
    if intent == Intent.HIRE:
        invited = OrganizationInvitation.objects.filter(
            email__iexact=user.email, status=OrganizationInvitation.Status.PENDING
        ).exists()
        if organization_name or not invited:
            organization_create(
                owner=user, name=organization_name or f"{user.display_name}'s business", timezone=timezone
            )
    else:
        freelancer_profile_create(user=user, timezone=timezone)
