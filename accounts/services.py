"""Every write to accounts: sign-up completion, profiles, organizations and their members."""

import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as dj_timezone
from PIL import Image, UnidentifiedImageError
from rest_framework.authtoken.models import Token

from accounts.models import (
    FreelancerProfile,
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    ProfileLanguage,
    Role,
    Skill,
    User,
)
from accounts.permissions import OrgPerm, may_grant_role, may_manage_member, role_allows
from kernel.errors import DomainError, NotFound, PermissionDenied


class Intent:
    HIRE = "hire"
    WORK = "work"
    CHOICES = [(HIRE, "I want to hire"), (WORK, "I want to work")]


# Image formats a portfolio accepts, as Pillow names them after reading the bytes.
PORTFOLIO_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}

_KEEP = object()  # "leave this field as it is" in partial updates (None is a real value for some fields)


# --- Validation shared by the page form, the API serializer and the services themselves ---


def validate_hourly_rate_cents(cents: int | None) -> None:
    if cents is None:
        return
    low, high = settings.MIN_HOURLY_RATE_CENTS, settings.MAX_HOURLY_RATE_CENTS
    if not low <= cents <= high:
        raise ValidationError(
            f"The hourly rate must be between ${low / 100:,.2f} and ${high / 100:,.2f}.", code="rate_out_of_bounds"
        )


def validate_timezone_name(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(
            f"“{name}” is not a time zone we know. Use an IANA name such as Europe/Lisbon or America/Bogota.",
            code="invalid_timezone",
        )


def working_window_minutes(start: time, end: time) -> int:
    """Length of the working window on the wall clock; an end before the start crosses midnight."""
    start_min, end_min = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    return (end_min - start_min) % 1440


def validate_working_hours(start: time, end: time) -> None:
    if start == end:
        raise ValidationError("Working hours must start and end at different times.", code="empty_window")
    hours = settings.MAX_WORKING_WINDOW_MINUTES // 60
    if working_window_minutes(start, end) > settings.MAX_WORKING_WINDOW_MINUTES:
        raise ValidationError(
            f"Working hours can span at most {hours} hours (a window may cross midnight, e.g. 22:00–06:00).",
            code="window_too_long",
        )


def validate_language_code(code: str) -> None:
    if code not in dict(settings.LANGUAGES):
        raise ValidationError(f"“{code}” is not a language we know.", code="invalid_language")


def validate_image(upload: UploadedFile) -> None:
    """Check an upload by its size and its bytes (never by its name): Pillow must recognise an allowed format."""
    if upload.size > settings.MAX_IMAGE_BYTES:
        raise ValidationError(
            f"The image is too large ({upload.size / 1_048_576:.1f} MB); the limit is "
            f"{settings.MAX_IMAGE_BYTES / 1_048_576:.1f} MB.",
            code="image_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            img.verify()
            image_format = img.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "This file is not an image we can read. Upload a JPEG, PNG, GIF or WebP picture.", code="invalid_image"
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in PORTFOLIO_IMAGE_FORMATS:
        raise ValidationError(
            f"{image_format} images are not accepted. Upload a JPEG, PNG, GIF or WebP picture.", code="invalid_image"
        )


def profile_clean(*, hourly_rate_cents: int | None, timezone: str, work_start: time, work_end: time) -> None:
    """The profile's rules in one place; raises ValidationError keyed by field name (form and API show them)."""
    errors: dict[str, list[ValidationError]] = {}
    for field, check in (
        ("hourly_rate_cents", lambda: validate_hourly_rate_cents(hourly_rate_cents)),
        ("timezone", lambda: validate_timezone_name(timezone)),
        ("work_end", lambda: validate_working_hours(work_start, work_end)),
    ):
        try:
            check()
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)


# --- Working window in UTC ---


@dataclass(frozen=True)
class UtcWindow:
    start_minute: int  # minute of the UTC day the window opens, 0..1439
    minutes: int  # length in real minutes (a DST change inside the window makes it differ from the wall clock)


def utc_window(*, timezone: str, start: time, end: time, on: date) -> UtcWindow:
    """The working window `start`–`end` in zone `timezone` on local date `on`, in UTC minutes."""
    zone = zoneinfo.ZoneInfo(timezone)
    start_local = datetime.combine(on, start, tzinfo=zone)
    end_day = on if end > start else on + timedelta(days=1)
    end_local = datetime.combine(end_day, end, tzinfo=zone)
    start_utc, end_utc = start_local.astimezone(UTC), end_local.astimezone(UTC)
    minutes = int((end_utc - start_utc).total_seconds() // 60)
    return UtcWindow(start_minute=start_utc.hour * 60 + start_utc.minute, minutes=max(1, min(minutes, 1440)))


def _today_in(zone_name: str) -> date:
    return dj_timezone.now().astimezone(zoneinfo.ZoneInfo(zone_name)).date()


def _apply_utc_window(profile: FreelancerProfile) -> None:
    window = utc_window(
        timezone=profile.timezone, start=profile.work_start, end=profile.work_end, on=_today_in(profile.timezone)
    )
    profile.work_utc_start_minute = window.start_minute
    profile.work_minutes = window.minutes


@transaction.atomic
def profile_refresh_utc_window(profile: FreelancerProfile) -> bool:
    """Recompute the stored UTC window for today's date (a DST change moves it). Returns whether it changed."""
    locked = FreelancerProfile.objects.select_for_update().get(pk=profile.pk)
    before = (locked.work_utc_start_minute, locked.work_minutes)
    _apply_utc_window(locked)
    changed = before != (locked.work_utc_start_minute, locked.work_minutes)
    if changed:
        locked.save(update_fields=["work_utc_start_minute", "work_minutes", "updated_at"])
    profile.work_utc_start_minute, profile.work_minutes = locked.work_utc_start_minute, locked.work_minutes
    return changed


# --- Users and sides ---


@transaction.atomic
def user_update(*, user: User, first_name: str | object = _KEEP, last_name: str | object = _KEEP) -> User:
    fields = []
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not _KEEP:
            setattr(user, name, value)
            fields.append(name)
    if fields:
        user.save(update_fields=fields)
    return user


def api_token_issue(*, request, email: str, password: str) -> str:
    """The API token of the user with these credentials (made on first use); e-mail must be verified first."""
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise DomainError("invalid_credentials", "E-mail or password is not correct.", status=400)
    if (
        settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    ):
        raise DomainError(
            "email_not_verified", "Confirm your e-mail address first: follow the link we sent you.", status=403
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def freelancer_profile_create(*, user: User, timezone: str = "UTC") -> FreelancerProfile:
    """Make `user` a freelancer (idempotent: an existing profile is returned as it is)."""
    if timezone not in zoneinfo.available_timezones():
        timezone = "UTC"
    profile, created = FreelancerProfile.objects.get_or_create(user=user, defaults={"timezone": timezone})
    if created:
        profile.refresh_from_db()  # the model's defaults for the hours are strings until read back
        _apply_utc_window(profile)
        profile.save(update_fields=["work_utc_start_minute", "work_minutes"])
    user.__dict__.pop("is_freelancer", None)
    user.__dict__.pop("timezone_name", None)
    return profile


@transaction.atomic
def organization_create(*, owner: User, name: str, country: str = "", timezone: str = "UTC") -> Organization:
    name = name.strip()
    if not name:
        raise DomainError("organization_name_required", "Give the organization a name.", status=400)
    if timezone not in zoneinfo.available_timezones():
        timezone = "UTC"
    organization = Organization.objects.create(name=name, country=country, timezone=timezone)
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    owner.__dict__.pop("is_client", None)
    owner.__dict__.pop("timezone_name", None)
    return organization


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


# --- Freelancer profile ---


@transaction.atomic
def profile_update(
    *,
    profile: FreelancerProfile,
    headline: str | object = _KEEP,
    overview: str | object = _KEEP,
    hourly_rate_cents: int | None | object = _KEEP,
    country: str | object = _KEEP,
    timezone: str | object = _KEEP,
    work_start: time | object = _KEEP,
    work_end: time | object = _KEEP,
    availability_hours_per_week: int | object = _KEEP,
    experience_level: str | object = _KEEP,
    skill_ids: list[int] | object = _KEEP,
    languages: list[tuple[str, str]] | object = _KEEP,
) -> FreelancerProfile:
    """Save a freelancer's profile (any subset of fields) and recompute the UTC working window.

    `languages` replaces the profile's languages with (code, proficiency) pairs; `skill_ids` replaces its skills.
    Raises ValidationError keyed by field for bad values (the form and the serializer check first with the same
    rules, so callers normally never see it).
    """
    locked = FreelancerProfile.objects.select_for_update().get(pk=profile.pk)
    values = {
        "headline": headline,
        "overview": overview,
        "hourly_rate_cents": hourly_rate_cents,
        "country": country,
        "timezone": timezone,
        "work_start": work_start,
        "work_end": work_end,
        "availability_hours_per_week": availability_hours_per_week,
        "experience_level": experience_level,
    }
    for name, value in values.items():
        if value is not _KEEP:
            setattr(locked, name, value)
    profile_clean(
        hourly_rate_cents=locked.hourly_rate_cents,
        timezone=locked.timezone,
        work_start=locked.work_start,
        work_end=locked.work_end,
    )
    if not 0 <= locked.availability_hours_per_week <= settings.MAX_AVAILABILITY_HOURS_PER_WEEK:
        raise ValidationError(
            {"availability_hours_per_week": f"Between 0 and {settings.MAX_AVAILABILITY_HOURS_PER_WEEK} hours."}
        )
    _apply_utc_window(locked)
    locked.save()
    if skill_ids is not _KEEP:
        _profile_set_skills(locked, list(skill_ids))
    if languages is not _KEEP:
        _profile_set_languages(locked, list(languages))
    profile.refresh_from_db()
    profile.user.__dict__.pop("timezone_name", None)
    return profile


def _profile_set_skills(profile: FreelancerProfile, skill_ids: list[int]) -> None:
    unique = list(dict.fromkeys(skill_ids))
    if len(unique) > settings.MAX_PROFILE_SKILLS:
        raise ValidationError({"skills": f"Choose at most {settings.MAX_PROFILE_SKILLS} skills."})
    skills = list(Skill.objects.filter(pk__in=unique))
    if len(skills) != len(unique):
        raise ValidationError({"skills": "Some of these skills do not exist."})
    profile.skills.set(skills)


def _profile_set_languages(profile: FreelancerProfile, languages: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for code, proficiency in languages:
        try:
            validate_language_code(code)
        except ValidationError as exc:
            raise ValidationError({"languages": exc.messages}) from exc
        if proficiency not in ProfileLanguage.Proficiency.values:
            raise ValidationError({"languages": f"“{proficiency}” is not a proficiency level."})
        if code in seen:
            raise ValidationError({"languages": "Each language can be listed once."})
        seen[code] = proficiency
    profile.languages.exclude(code__in=seen).delete()
    existing = {lang.code: lang for lang in profile.languages.all()}
    for code, proficiency in seen.items():
        if code in existing:
            if existing[code].proficiency != proficiency:
                existing[code].proficiency = proficiency
                existing[code].save(update_fields=["proficiency"])
        else:
            ProfileLanguage.objects.create(profile=profile, code=code, proficiency=proficiency)


@transaction.atomic
def portfolio_item_add(
    *, profile: FreelancerProfile, title: str, description: str = "", url: str = "", image: UploadedFile | None = None
) -> PortfolioItem:
    FreelancerProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.portfolio_items.count() >= settings.MAX_PORTFOLIO_ITEMS:
        raise DomainError(
            "portfolio_full", f"A portfolio holds at most {settings.MAX_PORTFOLIO_ITEMS} items: remove one first."
        )
    if image:
        try:
            validate_image(image)
        except ValidationError as exc:
            raise ValidationError({"image": exc.error_list}) from exc
    return PortfolioItem.objects.create(
        profile=profile, title=title.strip(), description=description, url=url, image=image or ""
    )


@transaction.atomic
def portfolio_item_delete(*, profile: FreelancerProfile, item_id: int) -> None:
    item = PortfolioItem.objects.select_for_update().filter(profile=profile, pk=item_id).first()
    if item is None:
        raise NotFound()
    if item.image:
        image_name = item.image.name
        storage = item.image.storage
        transaction.on_commit(lambda: storage.delete(image_name))
    item.delete()


# --- Organizations and members ---


def _membership_for_update(user: User, organization_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization_id=organization_id).first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise NotFound()
    return membership


def _require(membership: Membership, perm: OrgPerm) -> None:
    if not role_allows(membership.role, perm):
        raise PermissionDenied()


@transaction.atomic
def organization_update(
    *,
    actor: User,
    organization_id: int,
    name: str | object = _KEEP,
    country: str | object = _KEEP,
    timezone: str | object = _KEEP,
) -> Organization:
    _require(_membership_for_update(actor, organization_id), OrgPerm.MANAGE_ORGANIZATION)
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    if name is not _KEEP:
        if not str(name).strip():
            raise ValidationError({"name": "Give the organization a name."})
        organization.name = str(name).strip()
    if country is not _KEEP:
        organization.country = country
    if timezone is not _KEEP:
        try:
            validate_timezone_name(timezone)
        except ValidationError as exc:
            raise ValidationError({"timezone": exc.error_list}) from exc
        organization.timezone = timezone
    organization.save()
    return organization


def _check_keeps_an_owner(target: Membership, new_role: str | None) -> None:
    """An organization always keeps at least one owner: refuse to demote or remove the last one."""
    if target.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(organization_id=target.organization_id, role=Role.OWNER)
    if owners.count() <= 1:
        raise DomainError("last_owner", "An organization needs at least one owner: make someone else owner first.")


@transaction.atomic
def member_change_role(*, actor: User, organization_id: int, membership_id: int, role: str) -> Membership:
    actor_membership = _membership_for_update(actor, organization_id)
    _require(actor_membership, OrgPerm.MANAGE_MEMBERS)
    if role not in Role.values:
        raise ValidationError({"role": f"“{role}” is not a role."})
    target = Membership.objects.select_for_update().filter(organization_id=organization_id, pk=membership_id).first()
    if target is None:
        raise NotFound()
    if not may_manage_member(actor_membership.role, target.role) or not may_grant_role(actor_membership.role, role):
        raise DomainError("owner_only", "Only an owner can make someone an owner or change an owner's role.")
    if target.role == role:
        return target
    _check_keeps_an_owner(target, role)
    target.role = role
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def member_remove(*, actor: User, organization_id: int, membership_id: int) -> None:
    """Remove a member; anyone may also leave on their own (unless they are the last owner)."""
    actor_membership = _membership_for_update(actor, organization_id)
    target = Membership.objects.select_for_update().filter(organization_id=organization_id, pk=membership_id).first()
    if target is None:
        raise NotFound()
    leaving = target.pk == actor_membership.pk
    if not leaving:
        _require(actor_membership, OrgPerm.MANAGE_MEMBERS)
        if not may_manage_member(actor_membership.role, target.role):
            raise DomainError("owner_only", "Only an owner can remove an owner.")
    _check_keeps_an_owner(target, None)
    target.delete()


@transaction.atomic
def invitation_create(*, actor: User, organization_id: int, email: str, role: str) -> OrganizationInvitation:
    """Invite `email` to the organization with `role`; the e-mail with the accept link leaves after commit."""
    actor_membership = _membership_for_update(actor, organization_id)
    _require(actor_membership, OrgPerm.MANAGE_MEMBERS)
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"“{role}” is not a role."})
    if not may_grant_role(actor_membership.role, role):
        raise DomainError("owner_only", "Only an owner can invite someone as an owner.")
    if Membership.objects.filter(organization_id=organization_id, user__email__iexact=email).exists():
        raise DomainError("already_member", f"{email} is already a member of this organization.")
    if OrganizationInvitation.objects.filter(
        organization_id=organization_id, email=email, status=OrganizationInvitation.Status.PENDING
    ).exists():
        raise DomainError("already_invited", f"{email} already has a pending invitation.")
    invitation = OrganizationInvitation.objects.create(
        organization_id=organization_id, email=email, role=role, token=secrets.token_urlsafe(32), invited_by=actor
    )
    invitation_id = invitation.pk
    transaction.on_commit(lambda: _send_invitation_email(invitation_id))
    return invitation


def _send_invitation_email(invitation_id: int) -> None:
    invitation = (
        OrganizationInvitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.status != OrganizationInvitation.Status.PENDING:
        return
    accept_url = settings.SITE_URL.rstrip("/") + reverse("accounts:invitation_accept", args=[invitation.token])
    context = {"invitation": invitation, "accept_url": accept_url, "SITE_NAME": settings.SITE_NAME}
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to join {invitation.organization.name}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, actor: User, organization_id: int, invitation_id: int) -> None:
    _require(_membership_for_update(actor, organization_id), OrgPerm.MANAGE_MEMBERS)
    invitation = (
        OrganizationInvitation.objects.select_for_update()
        .filter(organization_id=organization_id, pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound()
    if invitation.status != OrganizationInvitation.Status.PENDING:
        raise DomainError("invitation_not_pending", "This invitation was already accepted or revoked.")
    invitation.status = OrganizationInvitation.Status.REVOKED
    invitation.save(update_fields=["status"])


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Join the organization the invitation names; the invitation must be pending and addressed to this user."""
    invitation = OrganizationInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    if invitation.status != OrganizationInvitation.Status.PENDING:
        raise DomainError("invitation_not_pending", "This invitation was already used or was revoked.")
    if invitation.email.lower() != user.email.lower():
        raise DomainError(
            "invitation_email_mismatch",
            f"This invitation was sent to {invitation.email}. Log in with that address to accept it.",
        )
    membership, created = Membership.objects.get_or_create(
        organization_id=invitation.organization_id, user=user, defaults={"role": invitation.role}
    )
    if not created:
        raise DomainError("already_member", "You are already a member of this organization.")
    invitation.status = OrganizationInvitation.Status.ACCEPTED
    invitation.accepted_at = dj_timezone.now()
    invitation.save(update_fields=["status", "accepted_at"])
    user.__dict__.pop("is_client", None)
    return membership
