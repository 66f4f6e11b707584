"""Freelancer profiles and the user's name: checks shared by page, API and service, skills, languages, portfolio,
the working window."""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from accounts.models import (
    FreelancerProfile,
    PortfolioItem,
    ProfileLanguage,
    Skill,
    User,
)
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.money import format_money
from kernel.windows import check_window, to_utc

# Image formats a portfolio accepts, as Pillow names them after reading the bytes.
PORTFOLIO_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


_KEEP = object()  # "leave this field as it is" in partial updates (None is a real value for some fields)


# Each check raises InvalidInput keyed by `field`, the name the caller (service argument, API field) uses.


def validate_hourly_rate_cents(cents: int | None, *, field: str = "hourly_rate_cents") -> None:
    if cents is None:
        return
    low, high = settings.MIN_HOURLY_RATE_CENTS, settings.MAX_HOURLY_RATE_CENTS
    if not low <= cents <= high:
        message = f"The hourly rate must be between {format_money(low)} and {format_money(high)}."
        raise InvalidInput("rate_out_of_bounds", errors={field: message})


def validate_timezone_name(name: str, *, field: str = "timezone") -> None:
    if name not in zoneinfo.available_timezones():
        message = f"“{name}” is not a time zone we know. Use an IANA name such as Europe/Lisbon or America/Bogota."
        raise InvalidInput("invalid_timezone", errors={field: message})


def validate_language_code(code: str, *, field: str = "languages") -> None:
    if code not in dict(settings.LANGUAGES):
        raise InvalidInput("invalid_language", errors={field: f"“{code}” is not a language we know."})


def validate_image(upload: UploadedFile, *, field: str = "image") -> None:
    """Check an upload by its size and its bytes (never by its name): Pillow must recognise an allowed format."""
    if upload.size > settings.MAX_IMAGE_BYTES:
        message = (
            f"The image is too large ({upload.size / 1_048_576:.1f} MB); the limit is "
            f"{settings.MAX_IMAGE_BYTES / 1_048_576:.1f} MB."
        )
        raise InvalidInput("image_too_large", errors={field: message})
    too_many_pixels = InvalidInput(
        "image_too_large",
        errors={
            field: f"The image has too many pixels; the limit is {settings.MAX_IMAGE_PIXELS / 1_000_000:g} megapixels."
        },
    )
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            # The header says how large the picture is: refuse a decompression bomb before decoding anything.
            if img.width * img.height > settings.MAX_IMAGE_PIXELS:
                raise too_many_pixels
            img.verify()
            image_format = img.format
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        message = "This file is not an image we can read. Upload a JPEG, PNG, GIF or WebP picture."
        raise InvalidInput("invalid_image", errors={field: message}) from exc
    finally:
        upload.seek(0)
    if image_format not in PORTFOLIO_IMAGE_FORMATS:
        message = f"{image_format} images are not accepted. Upload a JPEG, PNG, GIF or WebP picture."
        raise InvalidInput("invalid_image", errors={field: message})


def profile_clean(*, hourly_rate_cents: int | None, timezone: str, work_start: time, work_end: time) -> None:
    """The profile's rules in one place: InvalidInput with every field's errors (the form and the API show them)."""
    refusals: list[InvalidInput] = []
    for check in (
        lambda: validate_hourly_rate_cents(hourly_rate_cents),
        lambda: validate_timezone_name(timezone),
        lambda: check_window(work_start, work_end),
    ):
        try:
            check()
        except InvalidInput as exc:
            refusals.append(exc)
    if refusals:
        errors = {field: messages for exc in refusals for field, messages in exc.errors.items()}
        raise InvalidInput(refusals[0].code if len(refusals) == 1 else "profile_invalid", errors=errors)


def _apply_utc_window(profile: FreelancerProfile) -> None:
    window = to_utc(timezone=profile.timezone, start=profile.work_start, end=profile.work_end)
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
    Raises InvalidInput keyed by field for bad values (the form and the serializer check first with the same
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
        message = f"Between 0 and {settings.MAX_AVAILABILITY_HOURS_PER_WEEK} hours."
        raise InvalidInput("availability_out_of_range", errors={"availability_hours_per_week": message})
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
        message = f"Choose at most {settings.MAX_PROFILE_SKILLS} skills."
        raise InvalidInput("too_many_skills", errors={"skills": message})
    skills = list(Skill.objects.filter(pk__in=unique))
    if len(skills) != len(unique):
        raise InvalidInput("skills_invalid", errors={"skills": "Some of these skills do not exist."})
    profile.skills.set(skills)


def _profile_set_languages(profile: FreelancerProfile, languages: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for code, proficiency in languages:
        validate_language_code(code)
        if proficiency not in ProfileLanguage.Proficiency.values:
            message = f"“{proficiency}” is not a proficiency level."
            raise InvalidInput("invalid_proficiency", errors={"languages": message})
        if code in seen:
            raise InvalidInput("language_repeated", errors={"languages": "Each language can be listed once."})
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
        validate_image(image)
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
