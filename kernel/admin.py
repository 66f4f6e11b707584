"""Admin building blocks (staff read what the services wrote; changes go through services, as moderation
actions), and the kernel's own tables: the outbox and the audit trail, neither edited by hand."""

from django.contrib import admin

from kernel.models import AuditEntry, OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "target")
    list_filter = ("action", "created_at")
    search_fields = ("actor_label", "target", "reason")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("topic", "created_at", "available_at", "attempts", "given_up_at")
    list_filter = ("topic", "given_up_at")
    readonly_fields = ("topic", "payload", "created_at", "available_at", "attempts", "last_error", "given_up_at")
