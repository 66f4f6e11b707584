"""Browser forms for jobs: they parse and check input, then hand plain values to services and selectors."""

from django import forms
from django.conf import settings

from accounts.models import Skill
from jobs.models import Duration, ExperienceLevel, Job
from jobs.search.params import timezone_choices
from jobs.services.jobs import JobFields
from jobs.services.proposals import MilestoneInput
from kernel.money import MoneyField
from kernel.uploads import MultipleFileField

MILESTONE_ROWS = 5


class JobForm(forms.Form):
    title = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="At least one. Hold Ctrl (⌘ on a Mac) to choose several.",
        error_messages={"required": "Choose at least one required skill."},
    )
    category = forms.ChoiceField(choices=Skill.Category.choices)
    budget_type = forms.ChoiceField(choices=Job.BudgetType.choices, widget=forms.RadioSelect, label="Budget")
    rate_min = MoneyField(label="Hourly rate from (USD)", required=False, help_text="For hourly jobs.")
    rate_max = MoneyField(label="Hourly rate up to (USD)", required=False, help_text="For hourly jobs.")
    fixed_amount = MoneyField(
        label="Fixed price (USD)",
        required=False,
        max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS,
        help_text="For fixed-price jobs.",
    )
    duration = forms.ChoiceField(choices=Duration.choices, label="Expected duration")
    experience_level = forms.ChoiceField(choices=ExperienceLevel.choices)
    visibility = forms.ChoiceField(choices=Job.Visibility.choices, widget=forms.RadioSelect)
    timezone = forms.ChoiceField(label="Your time zone", choices=timezone_choices)
    work_start = forms.TimeField(label="Your working day starts", widget=forms.TimeInput(attrs={"type": "time"}))
    work_end = forms.TimeField(label="and ends", widget=forms.TimeInput(attrs={"type": "time"}))
    overlap_hours = forms.IntegerField(
        label="Hours of overlap needed each day",
        min_value=0,
        max_value=8,
        initial=0,
        help_text="0 to 8: how much of your working day the freelancer must share.",
    )
    questions = forms.CharField(
        label="Screening questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. One question per line.",
    )
    attachments = MultipleFileField(
        required=False,
        help_text=f"Optional. PDF, PNG, JPEG, text or Word; up to {settings.MAX_UPLOAD_BYTES // 2**20} MB each.",
    )

    def to_fields(self) -> JobFields:
        data = self.cleaned_data
        return JobFields(
            title=data["title"],
            description=data["description"],
            skill_ids=[skill.pk for skill in data["skills"]],
            category=data["category"],
            budget_type=data["budget_type"],
            rate_min_cents=data.get("rate_min"),
            rate_max_cents=data.get("rate_max"),
            fixed_amount_cents=data.get("fixed_amount"),
            duration=data["duration"],
            experience_level=data["experience_level"],
            visibility=data["visibility"],
            timezone=data["timezone"],
            work_start=data["work_start"],
            work_end=data["work_end"],
            overlap_hours=data["overlap_hours"],
            questions=data["questions"].splitlines(),
        )

    @classmethod
    def initial_for(cls, job: Job) -> dict:
        return {
            "title": job.title,
            "description": job.description,
            "skills": list(job.skills.all()),
            "category": job.category,
            "budget_type": job.budget_type,
            "rate_min": job.rate_min_cents,
            "rate_max": job.rate_max_cents,
            "fixed_amount": job.fixed_amount_cents,
            "duration": job.duration,
            "experience_level": job.experience_level,
            "visibility": job.visibility,
            "timezone": job.timezone,
            "work_start": job.work_start,
            "work_end": job.work_end,
            "overlap_hours": job.overlap_hours,
            "questions": "\n".join(q.text for q in job.questions.all()),
        }


class CloseJobForm(forms.Form):
    reason = forms.ChoiceField(choices=Job.CloseReason.choices, widget=forms.RadioSelect, label="Why close it?")
    note = forms.CharField(max_length=500, required=False, label="Note (optional)")


class ProposalForm(forms.Form):
    cover_letter = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)
    estimated_duration = forms.ChoiceField(choices=Duration.choices)
    attachments = MultipleFileField(required=False, help_text="Optional. PDF, PNG, JPEG, text or Word.")

    def __init__(self, *args, job: Job, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.questions = list(job.questions.all())
        for question in self.questions:
            self.fields[f"answer_{question.pk}"] = forms.CharField(
                label=question.text, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
            )
        if job.is_hourly:
            self.fields["rate"] = MoneyField(label="Your hourly rate (USD)")
        else:
            self.fields["bid"] = MoneyField(
                label="Your bid (USD)",
                max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS,
                help_text="The milestones add up to it.",
            )
            for i in range(1, MILESTONE_ROWS + 1):
                self.fields[f"milestone_{i}_title"] = forms.CharField(
                    label=f"Milestone {i}", max_length=200, required=i == 1
                )
                self.fields[f"milestone_{i}_amount"] = MoneyField(
                    label=f"Milestone {i} amount (USD)", required=i == 1, max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS
                )

    def milestones(self) -> list[MilestoneInput]:
        rows = []
        for i in range(1, MILESTONE_ROWS + 1):
            title = self.cleaned_data.get(f"milestone_{i}_title")
            amount = self.cleaned_data.get(f"milestone_{i}_amount")
            if title and amount is not None:
                rows.append(MilestoneInput(title=title, amount_cents=amount))
        return rows

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "cover_letter": data["cover_letter"],
            "estimated_duration": data["estimated_duration"],
            "rate_cents": data.get("rate"),
            "bid_cents": data.get("bid"),
            "milestones": self.milestones(),
            "answers": {q.pk: data.get(f"answer_{q.pk}", "") for q in self.questions},
            "attachments": data.get("attachments") or [],
        }


class InvitationForm(forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    freelancer = forms.IntegerField(widget=forms.HiddenInput)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False)


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name this search")
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)
