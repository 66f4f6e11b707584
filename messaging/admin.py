"""Staff read conversations and notifications here (reported messages arrive with the messaging issue)."""

from django.contrib import admin

from marketplace.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from messaging.models import Conversation, ConversationParticipant, Message, Notification, NotificationPreference


class ParticipantInline(ReadOnlyTabularInline):
    model = ConversationParticipant
    fields = ("user", "joined_at", "last_read_at")
    readonly_fields = fields


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ("sender", "body", "created_at")
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("title", "reference", "created_at", "last_message_at")
    search_fields = ("title", "reference", "participants__user__email")
    list_filter = ("created_at",)
    inlines = [ParticipantInline, MessageInline]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("conversation", "sender", "created_at")
    search_fields = ("body", "sender__email", "conversation__reference")
    list_filter = ("created_at",)
    list_select_related = ("conversation", "sender")


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
