import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from accounts.models import FreelancerProfile, Organization, ProfileLanguage, Role, Skill
from accounts.services.profiles import profile_clean, validate_image, validate_timezone_name
from accounts.services.signup import Intent
from kernel.errors import InvalidInput
from kernel.money import MoneyField, format_money
from kernel.pages import add_refusal, checked


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus the side the user starts on; the adapter completes it through the service."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    intent = forms.ChoiceField(
        choices=Intent.CHOICES, widget=forms.RadioSelect, label="What brings you here?", initial=Intent.WORK
    )
    organization_name = forms.CharField(
        max_length=120,
        required=False,
        label="Business name",
        help_text="Only if you want to hire. You can change it later.",
    )
    timezone = forms.CharField(widget=forms.HiddenInput, required=False, initial="UTC")

    field_order = [
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "intent",
        "organization_name",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_placeholders(self)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["organization_name"].widget.attrs["autocomplete"] = "organization"

    def try_save(self, request):
        # A new account costs a password hash; spend one for a known address too, so how long the answer takes
        # does not tell which addresses have accounts (allauth answers both the same way otherwise).
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_placeholders(self)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in"


class ResetPasswordForm(AllauthResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_placeholders(self)


class ResetPasswordKeyForm(AllauthResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_placeholders(self)


def _without_placeholders(form: forms.Form) -> None:
    """allauth shows placeholders that repeat the labels; ours are real labels."""
    for field in form.fields.values():
        field.widget.attrs.pop("placeholder", None)


def _timezone_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"list": "timezone-options", "autocomplete": "off", "spellcheck": "false"})


def timezone_choices() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class ProfileForm(forms.Form):
    """The freelancer profile page. The rules themselves live in profile_clean (the API uses them too)."""

    headline = forms.CharField(
        max_length=120, required=False, help_text="One line clients see first, e.g. “Django developer for SaaS”."
    )
    overview = forms.CharField(
        widget=forms.Textarea, max_length=5000, required=False, help_text="What you do, for whom, and how you work."
    )
    hourly_rate = MoneyField(label="Hourly rate (USD)", required=False)
    country = LazyTypedChoiceField(choices=[("", "—")] + list(countries), required=False)
    timezone = forms.CharField(label="Time zone", max_length=64, widget=_timezone_widget())
    work_start = forms.TimeField(label="Working hours start", widget=forms.TimeInput(attrs={"type": "time"}))
    work_end = forms.TimeField(
        label="Working hours end",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="In your time zone. An end before the start crosses midnight (22:00–06:00).",
    )
    availability_hours_per_week = forms.IntegerField(label="Available hours per week", min_value=0)
    experience_level = forms.ChoiceField(choices=FreelancerProfile.ExperienceLevel.choices)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = format_money(settings.MIN_HOURLY_RATE_CENTS), format_money(settings.MAX_HOURLY_RATE_CENTS)
        self.fields["hourly_rate"].help_text = f"In dollars, between {low} and {high}."
        self.fields["availability_hours_per_week"].max_value = settings.MAX_AVAILABILITY_HOURS_PER_WEEK
        self.fields["availability_hours_per_week"].widget.attrs["max"] = settings.MAX_AVAILABILITY_HOURS_PER_WEEK

    @classmethod
    def initial_for(cls, profile: FreelancerProfile) -> dict:
        rate = profile.hourly_rate_cents
        return {
            "headline": profile.headline,
            "overview": profile.overview,
            "hourly_rate": rate,
            "country": profile.country.code or "",
            "timezone": profile.timezone,
            "work_start": profile.work_start,
            "work_end": profile.work_end,
            "availability_hours_per_week": profile.availability_hours_per_week,
            "experience_level": profile.experience_level,
            "skills": [s.pk for s in profile.skills.all()],
        }

    def clean(self):
        data = super().clean()
        data["hourly_rate_cents"] = data.get("hourly_rate")
        if {"timezone", "work_start", "work_end"} <= data.keys():
            try:
                profile_clean(
                    hourly_rate_cents=data["hourly_rate_cents"],
                    timezone=data["timezone"],
                    work_start=data["work_start"],
                    work_end=data["work_end"],
                )
            except InvalidInput as exc:
                add_refusal(self, exc, field_names=PROFILE_FIELD_NAMES)
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "headline": d["headline"],
            "overview": d["overview"],
            "hourly_rate_cents": d["hourly_rate_cents"],
            "country": d["country"] or "",
            "timezone": d["timezone"],
            "work_start": d["work_start"],
            "work_end": d["work_end"],
            "availability_hours_per_week": d["availability_hours_per_week"],
            "experience_level": d["experience_level"],
            "skill_ids": [s.pk for s in d["skills"]],
        }


# The service names the rate in cents; the form shows dollars.
PROFILE_FIELD_NAMES = {"hourly_rate_cents": "hourly_rate"}


def language_choices() -> list[tuple[str, str]]:
    return [("", "—")] + sorted(((code, name) for code, name in settings.LANGUAGES), key=lambda c: c[1])


class LanguageForm(forms.Form):
    code = forms.ChoiceField(label="Language", choices=language_choices, required=False)
    proficiency = forms.ChoiceField(
        choices=ProfileLanguage.Proficiency.choices, initial=ProfileLanguage.Proficiency.FLUENT
    )


class BaseLanguageFormSet(forms.BaseFormSet):
    def pairs(self) -> list[tuple[str, str]]:
        return [
            (f.cleaned_data["code"], f.cleaned_data["proficiency"]) for f in self.forms if f.cleaned_data.get("code")
        ]


LanguageFormSet = forms.formset_factory(LanguageForm, formset=BaseLanguageFormSet, extra=2, max_num=20)


class PortfolioItemForm(forms.Form):
    title = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)
    url = forms.URLField(label="Link", required=False, assume_scheme="https")
    image = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = f"JPEG, PNG, GIF or WebP, up to {settings.MAX_IMAGE_BYTES / 1_048_576:.0f} MB."

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image:
            checked(lambda: validate_image(image))
        return image


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120)
    country = LazyTypedChoiceField(choices=[("", "—")] + list(countries), required=False)
    timezone = forms.CharField(label="Time zone", max_length=64, widget=_timezone_widget())

    def clean_timezone(self):
        value = self.cleaned_data["timezone"]
        checked(lambda: validate_timezone_name(value))
        return value

    @classmethod
    def initial_for(cls, organization: Organization) -> dict:
        return {
            "name": organization.name,
            "country": organization.country.code or "",
            "timezone": organization.timezone,
        }


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class StartHiringForm(forms.Form):
    organization_name = forms.CharField(label="Business name", max_length=120)
