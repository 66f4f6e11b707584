"""Staff views of offers, contracts and milestones. Money and state are read-only here: they change only through
the services (approval, refund, disputes), never by editing a row."""

from django.contrib import admin

from contracts.models import (
    TERMS_FIELDS,
    Contract,
    ContractEvent,
    Milestone,
    MilestoneEvent,
    MilestoneSubmission,
    Offer,
    OfferMilestone,
    SubmissionFile,
)
from marketplace.admin import ReadOnlyTabularInline

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


@admin.register(Contract)
class ContractAdmin(NoAddNoDelete, admin.ModelAdmin):
    list_display = ("id", "title", "organization", "freelancer", "contract_type", "status", "started_at", "ended_at")
    list_filter = ("status", "contract_type", "end_outcome", "started_at")
    search_fields = PARTY_SEARCH_FIELDS
    list_select_related = ("organization", "freelancer")
    readonly_fields = ("organization", "freelancer", "job", "offer", *Contract.TERMS_AND_STATE_FIELDS)
    inlines = [MilestoneInline, ContractEventInline]


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
