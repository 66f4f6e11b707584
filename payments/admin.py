"""Staff see every money table, read-only: money moves only through the services (corrections are new entries),
and saved cards and payout methods change only through their owners' pages."""

from django.contrib import admin

from kernel.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from payments.models import (
    Chargeback,
    GatewayCustomer,
    GatewayOperation,
    Hold,
    HoldLot,
    JournalEntry,
    LedgerAccount,
    PaymentMethod,
    Payout,
    PayoutMethod,
    Posting,
    SandboxRecord,
    WebhookEvent,
)


class PostingInline(ReadOnlyTabularInline):
    model = Posting
    fields = ("account", "amount_cents")
    readonly_fields = fields


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "reference", "currency", "organization", "user", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("reference", "idempotency_key", "memo")
    list_select_related = ("organization", "user")
    inlines = [PostingInline]
    date_hierarchy = "created_at"


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("id", "entry", "account", "amount_cents")
    list_select_related = ("entry", "account")
    search_fields = ("entry__reference", "account__owner_key")


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "owner_key", "currency", "balance_cents")
    list_filter = ("kind", "currency")
    search_fields = ("owner_key", "reference")


@admin.register(HoldLot)
class HoldLotAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "amount_cents", "currency", "available_at", "matured_entry")
    list_select_related = ("account",)


@admin.register(GatewayOperation)
class GatewayOperationAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "amount_cents", "currency", "reference", "gateway_id", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("idempotency_key", "gateway_id", "reference")


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("id", "reference", "cause", "amount_cents", "currency", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("reference", "cause", "idempotency_key")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "amount_cents", "currency", "status", "destination_label", "created_at")
    list_filter = ("status",)
    list_select_related = ("user",)


@admin.register(Chargeback)
class ChargebackAdmin(ReadOnlyAdmin):
    list_display = ("gateway_dispute_id", "organization", "amount_cents", "currency", "status", "created_at")
    list_filter = ("status",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at")
    list_filter = ("type",)


@admin.register(SandboxRecord)
class SandboxRecordAdmin(ReadOnlyAdmin):
    list_display = ("object_id", "kind", "status", "amount_cents", "created_at")
    list_filter = ("kind", "status")


@admin.register(GatewayCustomer)
class GatewayCustomerAdmin(ReadOnlyAdmin):
    list_display = ("organization", "gateway", "customer_id")


# Saved cards and payout methods are the users' own settings: changed only through their pages' services.
@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("organization", "brand", "last4", "is_default", "gateway", "created_at")
    list_select_related = ("organization",)


@admin.register(PayoutMethod)
class PayoutMethodAdmin(ReadOnlyAdmin):
    list_display = ("user", "label", "kind", "verified", "is_default")
    list_select_related = ("user",)
