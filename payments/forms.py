from django import forms
from django.conf import settings

from kernel.idempotency import IdempotencyKeyField
from kernel.money import MoneyField, format_money


class WithdrawForm(forms.Form):
    amount = MoneyField(
        label="Amount (USD)",
        min_cents=settings.MIN_WITHDRAWAL_CENTS,
        help_text=f"At least {format_money(settings.MIN_WITHDRAWAL_CENTS)}, and no more than your available balance.",
    )
    idempotency_key = IdempotencyKeyField()


class TestCardForm(forms.Form):
    """The sandbox's card form. The number goes to the sandbox gateway, which returns a token; we keep only the
    token, the brand and the last four digits."""

    number = forms.CharField(
        label="Card number",
        max_length=23,
        help_text="Sandbox: any valid test number, e.g. 4242 4242 4242 4242. 4000 0000 0000 0341 saves, then "
        "declines every charge.",
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(label="Expiry month", min_value=1, max_value=12)
    exp_year = forms.IntegerField(label="Expiry year", min_value=2000, max_value=2100)
    cvc = forms.CharField(
        label="Security code (CVC)",
        min_length=3,
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )


class SandboxBankForm(forms.Form):
    holder_name = forms.CharField(label="Account holder", max_length=50)
    account_last4 = forms.RegexField(
        label="Last four digits of the account number",
        regex=r"^\d{4}$",
        help_text="Sandbox: the account is verified at once. An account ending 0002 accepts a payout and then "
        "reports it failed.",
        error_messages={"invalid": "Enter exactly four digits."},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class StripeAccountForm(forms.Form):
    account_id = forms.RegexField(
        label="Stripe connected account id",
        regex=r"^acct_[A-Za-z0-9]+$",
        help_text="Starts with acct_. Payouts start once Stripe reports the account's payouts enabled.",
    )


class StripeCardForm(forms.Form):
    """What Stripe.js posts back after confirming the SetupIntent: the new payment method's id."""

    payment_method = forms.RegexField(regex=r"^pm_[A-Za-z0-9_]+$", widget=forms.HiddenInput)
