"""Freelancer profiles and the user's name: checks shared by page, API and service, skills, languages, portfolio,
the working window."""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone as dj_timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import (
    FreelancerProfile,
    PortfolioItem,
    ProfileLanguage,
    Skill,
    User,
)
from kernel.errors import DomainError, NotFound

# Image formats a portfolio accepts, as Pillow names them after reading the bytes.
PORTFOLIO_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


_KEEP = object()  # "leave this field as it is" in partial updates (None is a real value for some fields)


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
    too_many_pixels = ValidationError(
        f"The image has too many pixels; the limit is {settings.MAX_IMAGE_PIXELS / 1_000_000:g} megapixels.",
        code="image_too_large",
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
