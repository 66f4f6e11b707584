from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

from accounts.services import Intent


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
