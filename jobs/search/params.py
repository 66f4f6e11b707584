"""What a job or talent search asks for, and the forms that read it from a query string: one parser per search
(`JobSearchQuery`, `TalentSearchQuery`) for the API, the search page and a saved search; each page's form is its
parser plus the inputs a person types (`PageInputs`)."""

import dataclasses
import datetime as dt
import functools
import zoneinfo
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import QueryDict

from accounts.models import Skill
from jobs.models import Duration, ExperienceLevel, Job
from kernel.errors import InvalidInput
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

    def to_query(self) -> str:
        """The canonical query string (cents, no page): what a saved search stores and `parse_job_query` reads."""
        pairs = [
            ("q", self.q),
            *(("skills", pk) for pk in self.skill_ids),
            ("budget_type", self.budget_type),
            ("budget_min_cents", self.budget_min_cents),
            ("budget_max_cents", self.budget_max_cents),
            *(("experience", level) for level in self.experience_levels),
            *(("duration", duration) for duration in self.durations),
            ("fits_my_hours", "on" if self.fits_my_hours else ""),
            ("posted_within", self.posted_within_days),
            ("sort", "" if self.sort == "relevance" else self.sort),
        ]
        return urlencode([(key, value) for key, value in pairs if value not in ("", None)])


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


# Computed once: reading the zone list costs milliseconds, and a talent search checks its zone against it.
@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones()) if "/" in name] + [
        ("UTC", "UTC")
    ]


class SkillsField(forms.ModelMultipleChoiceField):
    """Skills by id. An id past the database's integer range is no skill: refused before it reaches the query
    (SQLite cannot even bind it)."""

    def _check_values(self, value):
        for pk in value or ():
            if not str(pk).isdigit() or int(pk) > 2**63 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


def _checked(form: forms.Form, *, strict: bool, code: str, detail: str = "") -> dict:
    """The form's valid values. `strict` (the API): any bad value is InvalidInput with every field's errors;
    otherwise (pages, saved searches) a bad value is left out and the rest still applies."""
    if not form.is_valid() and strict:
        raise InvalidInput(code, detail, errors={field: [str(m) for m in e] for field, e in form.errors.items()})
    return form.cleaned_data if form.is_bound else {}


class JobSearchQuery(forms.Form):
    """The one parser of job-search parameters, amounts in cents: the API's query string, a saved search's query
    and the search page's URL all go through it (the page's form below only adds the typed-dollar inputs).

    Not a django-filter FilterSet: `job_search` is not a chain of queryset filters (a bounded candidate set ranked
    by relevance, the overlap with the searching user's own window, two database paths), so a FilterSet would only
    parse, and its `qs` could not be the result."""

    q = forms.CharField(label="Search jobs", required=False, max_length=200)
    skills = SkillsField(
        queryset=Skill.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    budget_type = forms.ChoiceField(choices=[("", "Any budget"), *Job.BudgetType.choices], required=False)
    budget_min_cents = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    budget_max_cents = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
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

    def params(self, *, strict: bool = False) -> JobSearchParams:
        """The parameters asked for. `strict` (the API): any bad value is InvalidInput with every field's errors;
        otherwise (pages, saved searches) a bad value is ignored and the rest still applies."""
        data = _checked(self, strict=strict, code="invalid_query")
        return JobSearchParams(
            q=(data.get("q") or "").strip(),
            skill_ids=tuple(skill.pk for skill in data.get("skills") or ()),
            budget_type=data.get("budget_type") or "",
            budget_min_cents=data.get("budget_min_cents"),
            budget_max_cents=data.get("budget_max_cents"),
            experience_levels=tuple(data.get("experience") or ()),
            durations=tuple(data.get("duration") or ()),
            fits_my_hours=bool(data.get("fits_my_hours")),
            posted_within_days=data.get("posted_within"),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
        )


def parse_job_query(query: str | QueryDict, *, strict: bool = False) -> JobSearchParams:
    """A query string (or QueryDict) as JobSearchParams, through `JobSearchQuery`."""
    return JobSearchQuery(QueryDict(query) if isinstance(query, str) else query).params(strict=strict)


class PageInputs(forms.Form):
    """A search page's form: its parser (the class before this one) with some parameters under the names the page
    has always used, `PAGE_INPUTS` (page input -> parameter). An input the page declares itself (amounts typed in
    dollars, `kernel.money.MoneyField`) replaces the parameter's field; one it does not declare is the parameter's
    own field, renamed. Either way the valid value becomes the parameter."""

    PAGE_INPUTS: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        typed_for = {param: typed for typed, param in self.PAGE_INPUTS.items()}
        fields = {}
        for name, field in self.fields.items():
            if name in self.PAGE_INPUTS:
                continue  # placed where its parameter was
            typed = typed_for.get(name)
            if typed is None:
                fields[name] = field
                continue
            fields[typed] = self.fields.get(typed, field)
            # A canonical URL (a saved search's link) carries the parameter: it fills the page's input, which is
            # then the only field (a hidden copy would outlive the user clearing the input).
            value = self.data.get(name) if self.is_bound else None
            if value and str(value).isascii() and str(value).isdigit() and not self.data.get(typed):
                self.data = self.data.copy()
                self.data[typed] = fields[typed].prepare_value(int(value))
        self.fields = fields

    def clean(self):
        data = super().clean()
        for typed, param in self.PAGE_INPUTS.items():
            if data.get(typed) is not None:
                data[param] = data[typed]
        return data


class JobSearchForm(PageInputs, JobSearchQuery):
    """The search page: the same parameters, with amounts typed in dollars."""

    PAGE_INPUTS = {"budget_min": "budget_min_cents", "budget_max": "budget_max_cents"}
    budget_min = MoneyField(label="Budget from (USD)", required=False)
    budget_max = MoneyField(label="Budget up to (USD)", required=False)


class CommaListInput(forms.TextInput):
    """One text input of comma-separated values on a page; a query string may also repeat the parameter
    (`?languages=en&languages=pt`, as the API has always taken it): the values are joined."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return ",".join(str(v) for v in values if v is not None) or None


class TalentSearchQuery(forms.Form):
    """The one parser of talent-search parameters, amounts in cents: the API's query string and the talent page's
    URL go through it (the page's form below only adds the typed-dollar inputs and its own names)."""

    q = forms.CharField(label="Search freelancers", required=False, max_length=200)
    skills = SkillsField(
        queryset=Skill.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    rate_min_cents = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    rate_max_cents = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    country = forms.CharField(max_length=2, required=False, label="Country code", help_text="Two letters, e.g. PT.")
    languages = forms.CharField(
        required=False,
        max_length=60,
        label="Languages",
        help_text="Language codes separated by commas, e.g. en, pt.",
        widget=CommaListInput,
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
    min_overlap_hours = forms.IntegerField(min_value=0, max_value=8, required=False, label="Hours of overlap at least")
    sort = forms.ChoiceField(
        choices=[("relevance", "Relevance"), ("score", "Job success score"), ("rate", "Lowest rate")], required=False
    )
    page = forms.IntegerField(min_value=1, max_value=settings.SEARCH_MAX_PAGE, required=False, widget=forms.HiddenInput)

    def clean_languages(self):
        return tuple(code.strip().lower() for code in self.cleaned_data["languages"].split(",") if code.strip())

    def params(self, *, default_timezone: str, strict: bool = False) -> TalentSearchParams:
        """The parameters asked for (`strict`: as `JobSearchQuery.params`); the zone defaults to the caller's."""
        # The API's answer to bad input has always been its generic one (code "invalid"), as for a bad body.
        data = _checked(self, strict=strict, code="invalid", detail="Some fields are not valid.")
        return TalentSearchParams(
            q=(data.get("q") or "").strip(),
            skill_ids=tuple(skill.pk for skill in data.get("skills") or ()),
            rate_min_cents=data.get("rate_min_cents"),
            rate_max_cents=data.get("rate_max_cents"),
            country=(data.get("country") or "").upper(),
            languages=data.get("languages") or (),
            min_score=data.get("min_score"),
            work_start=data.get("work_start") or dt.time(9, 0),
            work_end=data.get("work_end") or dt.time(17, 0),
            timezone=data.get("timezone") or default_timezone,
            min_overlap_hours=data.get("min_overlap_hours") or 0,
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
        )


class TalentSearchForm(PageInputs, TalentSearchQuery):
    """The talent page: the same parameters, with rates typed in dollars and the overlap under its page name."""

    PAGE_INPUTS = {"rate_min": "rate_min_cents", "rate_max": "rate_max_cents", "min_overlap": "min_overlap_hours"}
    rate_min = MoneyField(label="Hourly rate from (USD)", required=False)
    rate_max = MoneyField(label="Hourly rate up to (USD)", required=False)
