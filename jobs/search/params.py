"""What a job or talent search asks for, and the forms that read it from a query string (the search pages and a
saved search read the same one)."""

import dataclasses
import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.http import QueryDict

from accounts.models import Skill
from jobs.models import Duration, ExperienceLevel, Job
from kernel.money import MoneyField


@dataclasses.dataclass(frozen=True)
class JobSearchParams:
    q: str = ""
    skill_ids: tuple[int, ...] = ()
    budget_type: str = ""
    budget_min_cents: int | None = None
    budget_max_cents: int | None = None
    experience_levels: tuple[str, ...] = ()
    durations: tuple[str, ...] = ()
    fits_my_hours: bool = False
    posted_within_days: int | None = None
    sort: str = "relevance"
    page: int = 1
    # Saved searches: only jobs published after this moment.
    published_after: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class TalentSearchParams:
    timezone: str
    q: str = ""
    skill_ids: tuple[int, ...] = ()
    rate_min_cents: int | None = None
    rate_max_cents: int | None = None
    country: str = ""
    languages: tuple[str, ...] = ()
    min_score: int | None = None
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(17, 0)
    min_overlap_hours: int = 0
    sort: str = "relevance"
    page: int = 1


POSTED_WITHIN = [
    ("", "Any time"),
    ("1", "Last 24 hours"),
    ("3", "Last 3 days"),
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
]


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones()) if "/" in name] + [
        ("UTC", "UTC")
    ]


class JobSearchForm(forms.Form):
    """The job search filters; the same form parses a saved search's query string."""

    q = forms.CharField(label="Search jobs", required=False, max_length=200)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    budget_type = forms.ChoiceField(choices=[("", "Any budget"), *Job.BudgetType.choices], required=False)
    budget_min = MoneyField(label="Budget from (USD)", required=False)
    budget_max = MoneyField(label="Budget up to (USD)", required=False)
    experience = forms.MultipleChoiceField(
        choices=ExperienceLevel.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Experience level"
    )
    duration = forms.MultipleChoiceField(
        choices=Duration.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Duration"
    )
    fits_my_hours = forms.BooleanField(
        required=False,
        label="Only jobs that fit my working hours",
        help_text="The client's working day overlaps the hours on your profile for at least the hours they need.",
    )
    posted_within = forms.TypedChoiceField(
        choices=POSTED_WITHIN, required=False, coerce=int, empty_value=None, label="Posted"
    )
    sort = forms.ChoiceField(choices=[("relevance", "Relevance"), ("newest", "Newest")], required=False)
    page = forms.IntegerField(min_value=1, max_value=settings.SEARCH_MAX_PAGE, required=False, widget=forms.HiddenInput)

    def to_params(self) -> JobSearchParams:
        data = self.cleaned_data if self.is_valid() else {}
        return JobSearchParams(
            q=(data.get("q") or "").strip(),
            skill_ids=tuple(skill.pk for skill in data.get("skills") or ()),
            budget_type=data.get("budget_type") or "",
            budget_min_cents=data.get("budget_min"),
            budget_max_cents=data.get("budget_max"),
            experience_levels=tuple(data.get("experience") or ()),
            durations=tuple(data.get("duration") or ()),
            fits_my_hours=bool(data.get("fits_my_hours")),
            posted_within_days=data.get("posted_within"),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
        )


class TalentSearchForm(forms.Form):
    q = forms.CharField(label="Search freelancers", required=False, max_length=200)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    rate_min = MoneyField(label="Hourly rate from (USD)", required=False)
    rate_max = MoneyField(label="Hourly rate up to (USD)", required=False)
    country = forms.CharField(max_length=2, required=False, label="Country code", help_text="Two letters, e.g. PT.")
    languages = forms.CharField(
        required=False, max_length=60, label="Languages", help_text="Language codes separated by commas, e.g. en, pt."
    )
    min_score = forms.IntegerField(min_value=0, max_value=100, required=False, label="Job success score at least")
    work_start = forms.TimeField(
        required=False,
        label="Your working day starts",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="Empty means 09:00.",
    )
    work_end = forms.TimeField(
        required=False, label="and ends", widget=forms.TimeInput(attrs={"type": "time"}), help_text="Empty means 17:00."
    )
    timezone = forms.ChoiceField(label="In time zone", choices=timezone_choices, required=False)
    min_overlap = forms.IntegerField(min_value=0, max_value=8, required=False, label="Hours of overlap at least")
    sort = forms.ChoiceField(
        choices=[("relevance", "Relevance"), ("score", "Job success score"), ("rate", "Lowest rate")], required=False
    )
    page = forms.IntegerField(min_value=1, max_value=settings.SEARCH_MAX_PAGE, required=False, widget=forms.HiddenInput)

    def clean_languages(self):
        return tuple(code.strip().lower() for code in self.cleaned_data["languages"].split(",") if code.strip())

    def to_params(self, *, default_timezone: str) -> TalentSearchParams:
        data = self.cleaned_data if self.is_valid() else {}
        return TalentSearchParams(
            q=(data.get("q") or "").strip(),
            skill_ids=tuple(skill.pk for skill in data.get("skills") or ()),
            rate_min_cents=data.get("rate_min"),
            rate_max_cents=data.get("rate_max"),
            country=(data.get("country") or "").upper(),
            languages=data.get("languages") or (),
            min_score=data.get("min_score"),
            work_start=data.get("work_start") or dt.time(9, 0),
            work_end=data.get("work_end") or dt.time(17, 0),
            timezone=data.get("timezone") or default_timezone,
            min_overlap_hours=data.get("min_overlap") or 0,
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
        )


def parse_job_search(query: str) -> JobSearchParams:
    """A saved search's query string, read exactly as the search page reads its URL."""
    return JobSearchForm(QueryDict(query)).to_params()
