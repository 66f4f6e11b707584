"""Staff read conversations, held-back messages and reports here, and remove messages through the service."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from kernel.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from kernel.errors import DomainError
from messaging import services
from messaging.models import (
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    MessageReport,
    Notification,
    NotificationPreference,
)


class ParticipantInline(ReadOnlyTabularInline):
    model = ConversationParticipant
    fields = ("user", "joined_at", "last_read_at")
    readonly_fields = fields


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ("sender", "body", "status", "created_at")
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "reference", "organization", "freelancer", "created_at", "last_message_at")
    search_fields = ("title", "reference", "freelancer__email", "organization__name")
    list_filter = ("kind", "created_at")
    list_select_related = ("organization", "freelancer")
    inlines = [ParticipantInline, MessageInline]


class RemovalReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=2000, help_text="The sender sees this reason.")


class AttachmentInline(ReadOnlyTabularInline):
    model = MessageAttachment
    fields = ("name", "content_type", "size", "created_at")
    readonly_fields = fields


class ReportInline(ReadOnlyTabularInline):
    model = MessageReport
    fields = ("reporter", "reason", "created_at", "resolved_at")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Held-back messages (off-platform contact before a contract) are filtered by status "Held back"."""

    list_display = ("conversation", "sender", "status", "held_reason", "created_at")
    search_fields = ("body", "sender__email", "conversation__reference", "conversation__title")
    list_filter = ("status", "created_at")
    list_select_related = ("conversation", "sender")
    inlines = [AttachmentInline, ReportInline]
    actions = ["remove_messages"]

    @admin.action(description="Remove selected messages (participants see they were removed)")
    def remove_messages(self, request, queryset):
        form = RemovalReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "form": form,
                "messages_list": queryset.select_related("sender", "conversation"),
                "opts": self.opts,
            }
            return TemplateResponse(request, "messaging/admin/remove_messages.html", context)
        removed = 0
        for message in queryset:
            try:
                services.message_remove(message_id=message.pk, staff=request.user, reason=form.cleaned_data["reason"])
                removed += 1
            except DomainError as exc:
                self.message_user(request, f"Message {message.pk}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"Removed {removed} message(s).", messages.SUCCESS)
        return None


@admin.register(MessageReport)
class MessageReportAdmin(ReadOnlyAdmin):
    list_display = ("message", "reporter", "reason", "created_at", "resolved_at")
    list_filter = ("resolved_at", "created_at")
    search_fields = ("reason", "reporter__email", "message__body")
    list_select_related = ("message", "reporter")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "title", "created_at", "read_at")
    list_filter = ("kind", "created_at")
    search_fields = ("user__email", "title", "reference")
    list_select_related = ("user",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
