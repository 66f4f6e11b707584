"""Forms for feedback and disputes: they parse what people typed; the services decide."""

from django import forms

from contracts.models import Feedback
from kernel.idempotency import IdempotencyKeyField
from kernel.money import MoneyField
from kernel.uploads import ALLOWED_TYPES_TEXT, MultipleFileField

RATING_CHOICES = [(n, f"{n} of 5") for n in range(5, 0, -1)]


class FeedbackForm(forms.Form):
    """The criteria rated 1–5 (labelled for the side being rated), a public comment, private feedback."""

    public_comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="Public comment",
        help_text="Shown on the profile once both sides have left feedback, or when the feedback period ends.",
    )
    private_feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        label="Private feedback for the platform",
        help_text="Only our staff read this.",
    )

    def __init__(self, *args, about_freelancer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        criteria = {}
        for name, freelancer_label, client_label in Feedback.CRITERIA:
            criteria[name] = forms.TypedChoiceField(
                choices=RATING_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                label=freelancer_label if about_freelancer else client_label,
            )
        self.fields = {**criteria, **self.fields}
        if not about_freelancer:
            self.fields["show_earnings"] = forms.BooleanField(
                required=False, label="Show what I earned on this contract in my work history"
            )

    def ratings(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _f, _c in Feedback.CRITERIA}


class DisputeOpenForm(forms.Form):
    key = IdempotencyKeyField()
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="What is the dispute about?"
    )
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        required=False,
        label="Evidence",
        help_text="What happened, with dates; messages and files support it.",
    )
    files = MultipleFileField(required=False, label="Files", help_text=f"{ALLOWED_TYPES_TEXT}.")


class EvidenceForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Your statement")
    files = MultipleFileField(required=False, label="Files", help_text=f"{ALLOWED_TYPES_TEXT}.")


class SettlementForm(forms.Form):
    freelancer_amount = MoneyField(
        min_cents=0, max_length=None, label="To the freelancer", help_text="The client gets the rest back."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False, label="Note")
