"""Every write to accounts: sign-up completion, profiles, organizations and their members."""

from django.db import transaction

from accounts.models import FreelancerProfile, Membership, Organization, Role, User


class Intent:
    HIRE = "hire"
    WORK = "work"
    CHOICES = [(HIRE, "I want to hire"), (WORK, "I want to work")]


@transaction.atomic
def freelancer_profile_create(*, user: User, timezone: str = "UTC") -> FreelancerProfile:
    """Make `user` a freelancer (idempotent: an existing profile is returned as it is)."""
    profile, _ = FreelancerProfile.objects.get_or_create(user=user, defaults={"timezone": timezone})
    user.__dict__.pop("is_freelancer", None)
    return profile


@transaction.atomic
def organization_create(*, owner: User, name: str, country: str = "", timezone: str = "UTC") -> Organization:
    organization = Organization.objects.create(name=name, country=country, timezone=timezone)
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    owner.__dict__.pop("is_client", None)
    return organization


@transaction.atomic
def signup_complete(*, user: User, intent: str, organization_name: str = "", timezone: str = "UTC") -> None:
    """What a new account gets for the side it chose; the other side can be added later."""
    if intent == Intent.HIRE:
        organization_create(owner=user, name=organization_name or f"{user.display_name}'s business", timezone=timezone)
    else:
        freelancer_profile_create(user=user, timezone=timezone)
