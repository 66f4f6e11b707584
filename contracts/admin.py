"""Staff views of offers, contracts and milestones. Money and state are read-only here: they change only through
the services (approval, refund, disputes), never by editing a row."""

from django import forms
from django.contrib import admin, messages

from contracts.models import (
    TERMS_FIELDS,
    BillingDocument,
    Bonus,
    Contract,
    ContractEvent,
    ContractTermsChange,
    Dispute,
    DisputeEvent,
    DisputeEvidence,
    Feedback,
    Milestone,
    MilestoneEvent,
    MilestoneSubmission,
    Offer,
    OfferMilestone,
    SettlementOffer,
    SubmissionFile,
    TimeEntry,
    Timesheet,
    TimesheetEvent,
    WeeklyUpdate,
)
from contracts.services import disputes as dispute_services
from kernel.admin import ActionsNeedPermission, ReadOnlyTabularInline, action_with_reason
from kernel.money import MoneyField, format_money

# Offers and contracts are both looked up by their title or by either party.
PARTY_SEARCH_FIELDS = (
    "title",
    "organization__name",
    "freelancer__email",
    "freelancer__first_name",
    "freelancer__last_name",
)


class NoAddNoDelete:
    """Rows that money or history depend on are made by the services and never deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OfferMilestoneInline(ReadOnlyTabularInline):
    model = OfferMilestone
    fields = ("position", "title", "amount_cents", "due_date")
    readonly_fields = fields


@admin.register(Offer)
class OfferAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "title", "organization", "freelancer", "contract_type", "status", "created_at", "expires_at")
    list_filter = ("status", "contract_type", "created_at")
    search_fields = PARTY_SEARCH_FIELDS
    list_select_related = ("organization", "freelancer")
    raw_id_fields = ("organization", "freelancer", "proposal", "job", "created_by")
    readonly_fields = (
        "organization",
        "freelancer",
        "proposal",
        "job",
        "created_by",
        *TERMS_FIELDS,
        "status",
        "created_at",
        "expires_at",
        "responded_at",
    )
    inlines = [OfferMilestoneInline]


class MilestoneInline(ReadOnlyTabularInline):
    model = Milestone
    fields = ("position", "title", "amount_cents", "currency", "status", "funded_at", "submitted_at", "approved_at")
    readonly_fields = fields
    show_change_link = True


class StatusEventInline(ReadOnlyTabularInline):
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class ContractEventInline(StatusEventInline):
    model = ContractEvent


class TermsChangeInline(ReadOnlyTabularInline):
    model = ContractTermsChange
    fields = ("week_start", "hourly_rate_cents", "weekly_limit_hours", "created_by", "created_at")
    readonly_fields = fields


@admin.register(Contract)
class ContractAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "title", "organization", "freelancer", "contract_type", "status", "started_at", "ended_at")
    list_filter = ("status", "contract_type", "end_outcome", "started_at")
    search_fields = PARTY_SEARCH_FIELDS
    list_select_related = ("organization", "freelancer")
    readonly_fields = ("organization", "freelancer", "job", "offer", *Contract.TERMS_AND_STATE_FIELDS)
    inlines = [MilestoneInline, TermsChangeInline, ContractEventInline]


# --- Hourly: read-only; the billing cycle and the diary services change these rows ---


class TimeEntryInline(ReadOnlyTabularInline):
    model = TimeEntry
    fields = ("started_at", "ended_at", "source", "memo")
    readonly_fields = fields


class TimesheetEventInline(StatusEventInline):
    model = TimesheetEvent


class ReadOnlyAdmin(NoAddNoDelete, admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Timesheet)
class TimesheetAdmin(ReadOnlyAdmin):
    list_display = ("id", "contract", "week_start", "status", "billable_minutes", "amount_cents", "charge_attempts")
    list_filter = ("status", "week_start")
    search_fields = ("contract__title", "contract__organization__name", "contract__freelancer__email")
    list_select_related = ("contract",)
    inlines = [TimeEntryInline, TimesheetEventInline]


@admin.register(Bonus)
class BonusAdmin(ReadOnlyAdmin):
    list_display = ("id", "contract", "amount_cents", "currency", "status", "created_by", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("contract__title", "note")
    list_select_related = ("contract", "created_by")


@admin.register(BillingDocument)
class BillingDocumentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "timesheet", "total_cents", "currency", "issued_at")
    list_filter = ("kind", "issued_at")
    search_fields = ("timesheet__contract__title", "issuer_key")
    list_select_related = ("timesheet",)


@admin.register(WeeklyUpdate)
class WeeklyUpdateAdmin(ReadOnlyAdmin):
    list_display = ("id", "contract", "week_start", "author", "created_at")
    search_fields = ("contract__title", "done")
    list_select_related = ("contract", "author")


class MilestoneEventInline(StatusEventInline):
    model = MilestoneEvent


class SubmissionInline(ReadOnlyTabularInline):
    model = MilestoneSubmission
    fields = ("created_at", "submitted_by", "message")
    readonly_fields = fields


@admin.register(Milestone)
class MilestoneAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "title", "contract", "amount_cents", "currency", "status", "funded_at", "submitted_at")
    list_filter = ("status", "currency", "funded_at", "submitted_at")
    search_fields = ("title", "contract__title", "contract__organization__name", "contract__freelancer__email")
    list_select_related = ("contract",)
    readonly_fields = (
        "contract",
        "amount_cents",
        "currency",
        "status",
        "created_at",
        "funded_at",
        "submitted_at",
        "approved_at",
        "refunded_at",
    )
    inlines = [SubmissionInline, MilestoneEventInline]


@admin.register(MilestoneEvent)
class MilestoneEventAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "milestone", "from_status", "to_status", "actor", "created_at")
    list_filter = ("to_status", "created_at")
    search_fields = ("milestone__title", "note", "actor__email")
    list_select_related = ("milestone", "actor")
    readonly_fields = ("milestone", "from_status", "to_status", "actor", "note", "created_at")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SubmissionFile)
class SubmissionFileAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "name", "content_type", "size", "submission", "created_at")
    search_fields = ("name",)
    readonly_fields = ("submission", "file", "name", "content_type", "size", "created_at")


# --- Disputes and feedback: read-only; staff decide through the resolution actions, which call the service ---


class DisputeResolutionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, help_text="Both parties read this."
    )


class DisputeSplitForm(DisputeResolutionForm):
    freelancer_amount = MoneyField(
        min_cents=0, max_length=None, label="To the freelancer", help_text="The client gets the rest."
    )


class DisputeEvidenceInline(ReadOnlyTabularInline):
    model = DisputeEvidence
    fields = ("created_at", "side", "author", "text")
    readonly_fields = fields


class SettlementOfferInline(ReadOnlyTabularInline):
    model = SettlementOffer
    fields = ("created_at", "side", "proposed_by", "freelancer_cents", "client_cents", "status", "note")
    readonly_fields = fields


class DisputeEventInline(StatusEventInline):
    model = DisputeEvent


@admin.register(Dispute)
class DisputeAdmin(ActionsNeedPermission, NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "contract", "subject_reference", "amount_cents", "status", "opened_at", "respond_by")
    list_filter = ("status", "resolution", "opened_at")
    search_fields = ("contract__title", "contract__organization__name", "contract__freelancer__email", "reason")
    list_select_related = ("contract",)
    readonly_fields = [field.name for field in Dispute._meta.concrete_fields]
    inlines = [DisputeEvidenceInline, SettlementOfferInline, DisputeEventInline]
    actions = ["release_to_freelancer", "refund_to_client", "split_by_amounts"]

    def has_change_permission(self, request, obj=None):
        return False

    may_act = staticmethod(dispute_services.may_resolve)  # only staff who may resolve disputes see the actions

    def _resolve(self, request, queryset, *, resolution: str, title: str, form_class=DisputeResolutionForm):
        if form_class is DisputeSplitForm and queryset.count() != 1:
            self.message_user(request, "Split one dispute at a time: the amounts are its own.", messages.WARNING)
            return None
        return action_with_reason(
            self,
            request,
            queryset,
            title=title,
            explanation="Each resolution settles the held money in one ledger entry and tells both parties why.",
            form_class=form_class,
            describe=lambda dispute: (
                f"Dispute #{dispute.pk}: {dispute.contract.title}, "
                f"{format_money(dispute.amount_cents, dispute.currency)} held ({dispute.get_status_display().lower()})"
            ),
            apply=lambda dispute, data: dispute_services.dispute_resolve(
                staff=request.user,
                dispute_id=dispute.pk,
                resolution=resolution,
                freelancer_cents=data.get("freelancer_amount"),
                reason=data["reason"],
            ),
        )

    @admin.action(description="Release the held money to the freelancer")
    def release_to_freelancer(self, request, queryset):
        return self._resolve(request, queryset, resolution=Dispute.Resolution.RELEASED, title="Release to freelancer")

    @admin.action(description="Refund the held money to the client")
    def refund_to_client(self, request, queryset):
        return self._resolve(request, queryset, resolution=Dispute.Resolution.REFUNDED, title="Refund to client")

    @admin.action(description="Split the held money by amounts")
    def split_by_amounts(self, request, queryset):
        return self._resolve(
            request,
            queryset,
            resolution=Dispute.Resolution.SPLIT,
            title="Split by amounts",
            form_class=DisputeSplitForm,
        )


@admin.register(Feedback)
class FeedbackAdmin(NoAddNoDelete, admin.ModelAdmin):
    """Staff read both sides' feedback, the private part included; nobody edits it."""

    list_display = ("id", "contract", "side", "rating", "created_at", "revealed_at")
    list_filter = ("side", "revealed_at", "created_at")
    search_fields = ("contract__title", "public_comment", "private_feedback")
    list_select_related = ("contract",)
    readonly_fields = [field.name for field in Feedback._meta.concrete_fields]

    def has_change_permission(self, request, obj=None):
        return False
