"""Reads for accounts, scoped to the user asking."""

from django.db.models import Prefetch, QuerySet

from accounts.models import FreelancerProfile, Membership, Organization, User


def freelancer_profile_of(user: User) -> FreelancerProfile | None:
    if not user.is_authenticated:
        return None
    return FreelancerProfile.objects.filter(user=user).prefetch_related("skills").first()


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("created_at")


def organizations_of(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )
