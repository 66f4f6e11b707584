"""Page forms for offers, contracts and milestones. Amounts are typed in dollars and become integer cents in
`kernel.money.MoneyField`; the rules themselves live in the services (`offer_terms_clean`), which the forms call to
show errors by field."""

from django import forms
from django.conf import settings

from contracts.models import Contract, ContractType
from contracts.services.offers import MilestoneTerms, OfferTerms, offer_terms_clean
from kernel.errors import InvalidInput
from kernel.idempotency import IdempotencyKeyField
from kernel.money import MoneyField
from kernel.pages import add_refusal
from kernel.uploads import MultipleFileField


def _money_field(label: str, *, required: bool = True, help_text: str = "") -> MoneyField:
    return MoneyField(label=label, required=required, max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS, help_text=help_text)


class DateInput(forms.DateInput):
    input_type = "date"


class OfferForm(forms.Form):
    title = forms.CharField(label="Contract title", max_length=200)
    contract_type = forms.ChoiceField(label="Contract type", choices=ContractType.choices, widget=forms.RadioSelect)
    hourly_rate = _money_field("Hourly rate (USD)", required=False, help_text="For hourly contracts.")
    weekly_limit_hours = forms.IntegerField(
        label="Weekly hour limit",
        required=False,
        min_value=1,
        max_value=settings.MAX_WEEKLY_HOUR_LIMIT,
        help_text="For hourly contracts: hours past the limit are recorded but not billed.",
    )
    total = _money_field(
        "Fixed price (USD)", required=False, help_text="For fixed-price contracts: the milestones below add up to it."
    )
    start_date = forms.DateField(label="Start date", widget=DateInput)
    message = forms.CharField(label="Message to the freelancer", required=False, max_length=5000, widget=forms.Textarea)

    # Errors the service reports by its own field names, shown on this form's fields.
    FIELD_FOR = {"hourly_rate_cents": "hourly_rate", "total_cents": "total", "milestones": None}

    def __init__(self, *args, milestone_formset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone_formset = milestone_formset

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.milestone_formset is not None and not self.milestone_formset.is_valid():
            # An hourly offer ignores the milestone rows; a fixed-price one cannot be built from rows with errors.
            if data.get("contract_type") == ContractType.FIXED:
                self.add_error(None, "Check the milestones below: some rows have errors.")
            return data
        try:
            offer_terms_clean(self.terms())
        except InvalidInput as exc:
            add_refusal(self, exc, field_names=self.FIELD_FOR)
        return data

    def milestones(self) -> list[MilestoneTerms]:
        if self.milestone_formset is None:
            return []
        return [
            MilestoneTerms(
                title=row["title"],
                amount_cents=row["amount"],
                description=row.get("description", ""),
                due_date=row.get("due_date"),
            )
            for row in self.milestone_formset.cleaned_data
            if row and not row.get("DELETE")
        ]

    def terms(self) -> OfferTerms:
        data = self.cleaned_data
        is_fixed = data["contract_type"] == ContractType.FIXED
        return OfferTerms(
            contract_type=data["contract_type"],
            start_date=data["start_date"],
            hourly_rate_cents=None if is_fixed else data.get("hourly_rate"),
            weekly_limit_hours=None if is_fixed else data.get("weekly_limit_hours"),
            total_cents=data.get("total") if is_fixed else None,
            milestones=self.milestones() if is_fixed else (),
        )


class OfferMilestoneForm(forms.Form):
    title = forms.CharField(label="Milestone title", max_length=200)
    amount = _money_field("Amount (USD)")
    due_date = forms.DateField(label="Due date", required=False, widget=DateInput)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def milestone_formset(data=None, *, initial=None, extra: int = 2):
    """The offer's milestone rows: the proposal's milestones (if any) plus a few blank rows for more."""
    formset_class = forms.formset_factory(
        OfferMilestoneForm, extra=extra, max_num=settings.MAX_OFFER_MILESTONES, validate_max=True
    )
    return formset_class(data, initial=initial, prefix="milestones")


class OrganizationChoiceForm(forms.Form):
    """Which organization a direct offer is made for (shown only when the user hires for several)."""

    organization = forms.ModelChoiceField(queryset=None, label="Offer on behalf of", empty_label=None)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class DeclineOfferForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FundForm(forms.Form):
    """Carries the key generated when the page was rendered, so a double click or a reload funds once."""

    idempotency_key = IdempotencyKeyField()


class SubmitForm(forms.Form):
    message = forms.CharField(label="Message to the client", max_length=5000, widget=forms.Textarea)
    files = MultipleFileField(
        label="Files",
        required=False,
        help_text=f"Up to {settings.MAX_SUBMISSION_FILES} files: PDF, PNG, JPEG, plain text or Word (.docx), "
        f"{settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB each.",
    )


class ApproveForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, max_length=5000, widget=forms.Textarea)


class RequestChangesForm(forms.Form):
    note = forms.CharField(label="What should change", max_length=5000, widget=forms.Textarea)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=5000, widget=forms.Textarea)


class MilestoneAddForm(forms.Form):
    title = forms.CharField(label="Milestone title", max_length=200)
    amount = _money_field("Amount (USD)")
    due_date = forms.DateField(label="Due date", required=False, widget=DateInput)
    description = forms.CharField(label="Description", required=False, max_length=2000, widget=forms.Textarea)

    def terms(self) -> MilestoneTerms:
        data = self.cleaned_data
        return MilestoneTerms(
            title=data["title"],
            amount_cents=data["amount"],
            description=data.get("description", ""),
            due_date=data.get("due_date"),
        )


class EndContractForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Contract.Outcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea)
