import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django_countries.fields import CountryField

from kernel.uploads import RandomName


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login. Email is the identity; being a freelancer or a client is what the user has, not a flag."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        # A new password revokes the API token, whichever path set it: allauth's change, set and reset, the admin's
        # password forms, `manage.py changepassword`, a service. All of them call set_password and then save,
        # which Django marks with `_password` (what password_validation.password_changed runs on); the re-hash of
        # an unchanged password at login (a hasher upgrade) clears it first, so it keeps the token.
        password_changed = self._password is not None and not self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if password_changed:
                from accounts.services.auth import api_token_revoke  # the services import the models

                api_token_revoke(user=self)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email.split("@")[0]

    @cached_property
    def is_freelancer(self) -> bool:
        return FreelancerProfile.objects.filter(user=self).exists()

    @cached_property
    def is_client(self) -> bool:
        return Membership.objects.filter(user=self).exists()

    @cached_property
    def timezone_name(self) -> str | None:
        profile = FreelancerProfile.objects.filter(user=self).values_list("timezone", flat=True).first()
        if profile:
            return profile
        return (
            Membership.objects.filter(user=self)
            .order_by("created_at")
            .values_list("organization__timezone", flat=True)
            .first()
        )


class Skill(models.Model):
    class Category(models.TextChoices):
        DEVELOPMENT = "development", "Development & IT"
        DESIGN = "design", "Design & creative"
        WRITING = "writing", "Writing & translation"
        MARKETING = "marketing", "Sales & marketing"
        FINANCE = "finance", "Finance & accounting"
        ADMIN = "admin", "Admin & customer support"

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def validate_timezone(value: str):
    from django.core.exceptions import ValidationError

    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Use an IANA name such as Europe/Lisbon or America/Bogota.",
            params={"value": value},
            code="invalid_timezone",
        )


class FreelancerProfile(models.Model):
    class ExperienceLevel(models.TextChoices):
        ENTRY = "entry", "Entry level"
        INTERMEDIATE = "intermediate", "Intermediate"
        EXPERT = "expert", "Expert"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="freelancer_profile")
    headline = models.CharField(max_length=120, blank=True)
    overview = models.TextField(max_length=5000, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="freelancers")
    hourly_rate_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    country = CountryField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Working hours in the freelancer's own zone; end before start means the window crosses midnight.
    work_start = models.TimeField(default="09:00")
    work_end = models.TimeField(default="17:00")
    # The same window in UTC minutes of the day, kept by the profile service (refreshed when DST moves it),
    # so searches compare windows with plain integer arithmetic.
    work_utc_start_minute = models.PositiveSmallIntegerField(default=540)
    work_minutes = models.PositiveSmallIntegerField(default=480)
    availability_hours_per_week = models.PositiveSmallIntegerField(
        default=40, validators=[MinValueValidator(0), MaxValueValidator(80)]
    )
    experience_level = models.CharField(
        max_length=20, choices=ExperienceLevel.choices, default=ExperienceLevel.INTERMEDIATE
    )
    # Computed from contract outcomes by the contracts app; never set by hand (not editable in any form).
    job_success_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # Hidden by staff for breaking the rules (accounts.services.moderation): out of every public page and search
    # until restored; the owner still sees it, with the reason.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    hidden_reason = models.TextField(max_length=2000, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_utc_start_minute__lt=1440), name="profile_work_start_minute_in_day"
            ),
            models.CheckConstraint(
                condition=models.Q(work_minutes__gt=0, work_minutes__lte=1440),
                name="profile_work_minutes_range",
            ),
        ]

    def __str__(self):
        return f"{self.user.display_name}: {self.headline}"


class ProfileLanguage(models.Model):
    class Proficiency(models.TextChoices):
        BASIC = "basic", "Basic"
        CONVERSATIONAL = "conversational", "Conversational"
        FLUENT = "fluent", "Fluent"
        NATIVE = "native", "Native or bilingual"

    profile = models.ForeignKey(FreelancerProfile, on_delete=models.CASCADE, related_name="languages")
    # ISO 639-1 code, from settings.LANGUAGES' names.
    code = models.CharField(max_length=8)
    proficiency = models.CharField(max_length=20, choices=Proficiency.choices, default=Proficiency.FLUENT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "code"], name="profile_language_once")]
        ordering = ["id"]

    def __str__(self):
        return f"{self.code} ({self.proficiency})"

    @property
    def name(self) -> str:
        return dict(settings.LANGUAGES).get(self.code, self.code)


class PortfolioItem(models.Model):
    profile = models.ForeignKey(FreelancerProfile, on_delete=models.CASCADE, related_name="portfolio_items")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    url = models.URLField(blank=True)
    image = models.ImageField(upload_to=RandomName("portfolio"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class Organization(models.Model):
    name = models.CharField(max_length=120)
    country = CountryField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # The "payment verified" badge on the organization's jobs: a copy of "has a default payment method", kept by
    # the payments services (accounts cannot ask payments), so job lists show it without a query per job.
    payment_verified = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    HIRING_MANAGER = "hiring_manager", "Hiring manager"
    FINANCE = "finance", "Finance"
    MEMBER = "member", "Member"


class Membership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_once")]
        ordering = ["organization_id", "created_at", "id"]

    def __str__(self):
        return f"{self.user} in {self.organization} as {self.get_role_display()}"


class OrganizationInvitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    ALLOWED = {
        Status.PENDING: {Status.ACCEPTED, Status.REVOKED},
        Status.ACCEPTED: set(),
        Status.REVOKED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            )
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.organization} ({self.status})"

    @property
    def expires_at(self):
        return self.created_at + timedelta(days=settings.ORG_INVITATION_EXPIRY_DAYS)

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and timezone.now() >= self.expires_at
