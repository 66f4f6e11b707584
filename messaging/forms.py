from django import forms
from django.conf import settings

from kernel.uploads import ALLOWED_TYPES_TEXT, MultipleFileField
from messaging.kinds import groups
from messaging.models import Report


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False
    )
    files = MultipleFileField(
        label="Attach files",
        required=False,
        help_text=f"Up to {settings.MAX_MESSAGE_FILES} files: {ALLOWED_TYPES_TEXT}.",
    )


class ReportForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput, max_length=40)
    next = forms.CharField(widget=forms.HiddenInput, max_length=500, required=False)
    category = forms.ChoiceField(label="What is wrong?", choices=[("", "Choose…"), *Report.Category.choices])
    reason = forms.CharField(
        label="Tell staff what you saw",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Staff read this; the person you report does not see who reported them.",
    )


class PreferencesForm(forms.Form):
    """A checkbox per kind that can be e-mailed, named after the kind; initial values are the current choices."""

    def __init__(self, *args, current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for group, kinds in groups().items():
            names = []
            for kind in kinds:
                self.fields[kind.key] = forms.BooleanField(label=kind.title, required=False, initial=current[kind.key])
                names.append(kind.key)
            self.groups.append((group, names))

    def grouped(self):
        return [(group, [self[name] for name in names]) for group, names in self.groups]
