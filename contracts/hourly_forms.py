"""Page forms of hourly contracts. Times are typed in the freelancer's own zone and become UTC instants here;
the rules (segments, week, overlaps) stay in the services, which report by field."""

import datetime as dt

from django import forms
from django.conf import settings

from contracts.services.weeks import zone_of
from kernel.idempotency import IdempotencyKeyField
from kernel.money import MoneyField


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(attrs={"step": 600}, format="%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


class EntryForm(forms.Form):
    """A manual entry: one date and a start and end time in the user's zone (an end at or before the start is
    the next day's, so a night shift is one entry)."""

    date = forms.DateField(label="Date", widget=DateInput)
    start = forms.TimeField(label="From", widget=TimeInput, help_text="10-minute steps: 09:00, 09:10…")
    end = forms.TimeField(label="To", widget=TimeInput)
    memo = forms.CharField(label="What you worked on", max_length=500, required=False)

    def __init__(self, *args, zone_name: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone_of(zone_name)
        self.fields["date"].help_text = f"Times are in your time zone, {self.zone.key}."

    def clean_date(self):
        # Only this week's time is accepted anyway; a far date must not reach date arithmetic (year 9999 + 1 day).
        date = self.cleaned_data["date"]
        if not dt.date(2000, 1, 1) <= date <= dt.date(2999, 12, 31):
            raise forms.ValidationError("Enter a date in this billing week.")
        return date

    def instants(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        start = dt.datetime.combine(data["date"], data["start"], tzinfo=self.zone)
        end_day = data["date"] + dt.timedelta(days=1) if data["end"] <= data["start"] else data["date"]
        end = dt.datetime.combine(end_day, data["end"], tzinfo=self.zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @classmethod
    def for_entry(cls, entry, *, zone_name: str | None):
        zone = zone_of(zone_name)
        start, end = entry.started_at.astimezone(zone), entry.ended_at.astimezone(zone)
        initial = {"date": start.date(), "start": start.time(), "end": end.time(), "memo": entry.memo}
        return cls(initial=initial, zone_name=zone_name, auto_id="edit_%s")


class TimerForm(forms.Form):
    memo = forms.CharField(label="What are you working on?", max_length=500, required=False)


class WeeklyUpdateForm(forms.Form):
    done = forms.CharField(label="Done this week", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    next = forms.CharField(label="Next", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    blockers = forms.CharField(
        label="Blockers", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisputeForm(forms.Form):
    hours = forms.IntegerField(label="Hours disputed", min_value=0, max_value=settings.MAX_WEEKLY_HOUR_LIMIT)
    minutes = forms.TypedChoiceField(
        label="and minutes", coerce=int, choices=[(m, f"{m:02d}") for m in range(0, 60, 10)], initial=0
    )
    reason = forms.CharField(label="Why", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def total_minutes(self) -> int:
        return self.cleaned_data["hours"] * 60 + self.cleaned_data["minutes"]


class PauseForm(forms.Form):
    reason = forms.CharField(label="Reason (the freelancer sees it)", max_length=2000, required=False)


class BonusForm(forms.Form):
    amount = MoneyField(label="Amount (USD)")
    note = forms.CharField(label="Note to the freelancer", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = IdempotencyKeyField()


class TermsForm(forms.Form):
    hourly_rate = MoneyField(label="New hourly rate (USD)")
    weekly_limit_hours = forms.IntegerField(
        label="New weekly limit (hours)", min_value=0, max_value=settings.MAX_WEEKLY_HOUR_LIMIT
    )
