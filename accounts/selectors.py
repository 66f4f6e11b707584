"""Reads for accounts, scoped to the user asking."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import (
    FreelancerProfile,
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    ProfileLanguage,
    Skill,
    User,
)
from accounts.permissions import ROLE_PERMISSIONS, OrgPerm
from kernel.errors import NotFound


def freelancer_profile_of(user: User) -> FreelancerProfile | None:
    if not user.is_authenticated:
        return None
    return (
        FreelancerProfile.objects.filter(user=user)
        .select_related("user")
        .prefetch_related("skills", "languages", "portfolio_items")
        .first()
    )


def members_with(*, organization_id: int, perm: OrgPerm) -> QuerySet[User]:
    """The organization's members whose role allows `perm` (who hears about what they can act on). One row per
    user (one membership per organization), so it combines with `|` and no `distinct()` is needed."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    return User.objects.filter(memberships__organization_id=organization_id, memberships__role__in=roles)


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("created_at")


def organizations_of(user: User) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return (
        Organization.objects.filter(memberships__user=user)
        .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("user")))
        .distinct()
    )


def organization_for(user: User, organization_id: int) -> Organization:
    """One of the user's organizations; any other id is a 404 (whether or not it exists)."""
    organization = organizations_of(user).filter(pk=organization_id).first()
    if organization is None:
        raise NotFound()
    return organization


def members_of(user: User, organization_id: int) -> QuerySet[Membership]:
    organization_for(user, organization_id)
    return Membership.objects.filter(organization_id=organization_id).select_related("user").order_by("created_at")


def invitations_of(user: User, organization_id: int) -> QuerySet[OrganizationInvitation]:
    organization_for(user, organization_id)
    return OrganizationInvitation.objects.filter(organization_id=organization_id).select_related("invited_by")


def invitation_by_token(token: str) -> OrganizationInvitation:
    invitation = OrganizationInvitation.objects.select_related("organization", "invited_by").filter(token=token).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    return invitation


def skills_search(*, q: str = "", category: str = "") -> QuerySet[Skill]:
    skills = Skill.objects.all()
    q = q.strip()
    if q:
        skills = skills.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    if category:
        skills = skills.filter(category=category)
    return skills.order_by("name")


def shown_to_public(prefix: str = "") -> Q:
    """A profile the public may see: its account is active (not suspended) and staff have not hidden it.
    `prefix` reaches the profile from another model ("profile__" from the talent index)."""
    return Q(**{f"{prefix}user__is_active": True, f"{prefix}hidden_at__isnull": True})


def public_profiles(*, skill: str = "", country: str = "") -> QuerySet[FreelancerProfile]:
    """Freelancer profiles anyone may see, with what a public page or list shows."""
    profiles = (
        FreelancerProfile.objects.filter(shown_to_public())
        .select_related("user")
        .prefetch_related(
            "skills",
            Prefetch("languages", queryset=ProfileLanguage.objects.order_by("id")),
            Prefetch("portfolio_items", queryset=PortfolioItem.objects.order_by("-created_at", "-id")),
        )
        .order_by("-updated_at", "id")
    )
    if skill:
        profiles = profiles.filter(skills__pk=int(skill)) if skill.isdigit() else profiles.filter(skills__slug=skill)
    if country:
        profiles = profiles.filter(country=country.upper())
    return profiles


def portfolio_items_visible_to(user) -> QuerySet[PortfolioItem]:
    """Portfolio items are as public as their profile (anyone sees those of profiles shown to the public); their
    owner always sees their own."""
    visible = shown_to_public("profile__")
    if user.is_authenticated:
        visible |= Q(profile__user=user)
    return PortfolioItem.objects.filter(visible)


def public_profile(profile_id: int) -> FreelancerProfile:
    profile = public_profiles().filter(pk=profile_id).first()
    if profile is None:
        raise NotFound()
    return profile


@dataclass(frozen=True)
class Completeness:
    percent: int
    missing: list[str]


def profile_completeness(profile: FreelancerProfile) -> Completeness:
    """What a client looks for on a profile, and which of it is still missing."""
    checks = [
        ("a headline", bool(profile.headline)),
        ("an overview", len(profile.overview) >= 100),
        ("an hourly rate", profile.hourly_rate_cents is not None),
        ("your country", bool(profile.country)),
        ("at least three skills", len(profile.skills.all()) >= 3),
        ("a language", len(profile.languages.all()) >= 1),
        ("a portfolio item", len(profile.portfolio_items.all()) >= 1),
    ]
    missing = [label for label, ok in checks if not ok]
    return Completeness(percent=round(100 * (len(checks) - len(missing)) / len(checks)), missing=missing)
