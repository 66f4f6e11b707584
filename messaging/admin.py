"""Staff read conversations and held-back messages here and remove messages through the service; and work the
moderation queue: reports of jobs, profiles and messages, each closed with one outcome through
`messaging.services.report_resolve` (hide, warn, suspend, dismiss)."""

from django.contrib import admin
from django.db.models import Case, Count, OuterRef, Subquery, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from kernel.admin import ActionsNeedPermission, ReadOnlyAdmin, ReadOnlyTabularInline, action_with_reason
from messaging import reports, services
from messaging.models import (
    Conversation,
    ConversationParticipant,
    Message,
    MessageAttachment,
    Notification,
    NotificationPreference,
    Report,
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


class AttachmentInline(ReadOnlyTabularInline):
    model = MessageAttachment
    fields = ("name", "content_type", "size", "created_at")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ActionsNeedPermission, ReadOnlyAdmin):
    """Held-back messages (off-platform contact before a contract) are filtered by status "Held back"."""

    list_display = ("conversation", "sender", "status", "held_reason", "created_at")
    search_fields = ("body", "sender__email", "conversation__reference", "conversation__title")
    list_filter = ("status", "created_at")
    list_select_related = ("conversation", "sender")
    inlines = [AttachmentInline]
    actions = ["remove_messages"]

    @admin.action(description="Remove selected messages (participants see they were removed)")
    def remove_messages(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset.select_related("sender", "conversation"),
            title="Remove messages",
            explanation="Participants will see that these messages were removed; each sender is told why.",
            reason_help="The sender sees this reason.",
            describe=lambda message: f"{message.sender} in “{message.conversation}”: {message.body[:120]}",
            apply=lambda message, data: services.message_remove(
                message_id=message.pk, staff=request.user, reason=data["reason"]
            ),
        )


class KindFilter(admin.SimpleListFilter):
    title = "what was reported"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.value, kind.value.capitalize()) for kind in reports.kinds()]

    def queryset(self, request, queryset):
        if self.value() in reports.kinds():
            return queryset.filter(target__startswith=f"{self.value()}:")
        return queryset


@admin.register(Report)
class ReportAdmin(ActionsNeedPermission, ReadOnlyAdmin):
    """The moderation queue. Open reports first, oldest first; one outcome closes every open report on the same
    thing. Only staff who may moderate (`kernel.moderate`) see the actions."""

    list_display = ("what_was_reported", "category", "status", "reports_on_it", "created_at")
    list_filter = ("status", KindFilter, "category", "created_at")
    search_fields = ("subject_title", "subject_text", "reason", "reporter__email", "subject_author__email", "target")
    list_select_related = ("reporter",)
    fields = (
        "target",
        "subject_title",
        "subject_text",
        "author_link",
        "thing_link",
        "reporter",
        "category",
        "reason",
        "created_at",
        "status",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "other_reports",
    )
    readonly_fields = fields
    actions = ["hide_content", "warn_author", "suspend_author", "dismiss"]

    def get_queryset(self, request):
        on_same_thing = Report.objects.filter(target=OuterRef("target")).values("target").annotate(n=Count("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_first=Case(When(status=Report.Status.OPEN, then=0), default=1),
                reports_count=Subquery(on_same_thing.values("n")),
            )
            .order_by("open_first", "created_at", "id")
        )

    @admin.display(description="what was reported", ordering="subject_title")
    def what_was_reported(self, report):
        return report.subject_title

    @admin.display(description="reports on it", ordering="reports_count")
    def reports_on_it(self, report):
        return report.reports_count

    @admin.display(description="answerable for it")
    def author_link(self, report):
        author = report.subject_author
        if author is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[author.pk]), author)

    @admin.display(description="the thing now")
    def thing_link(self, report):
        kind, pk = report.kind_and_pk
        meta = reports.reportable(kind).model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
        return format_html('<a href="{}">{} {} in the admin</a>', url, meta.verbose_name.capitalize(), pk)

    @admin.display(description="all reports on it")
    def other_reports(self, report):
        rows = Report.objects.filter(target=report.target).select_related("reporter").order_by("created_at", "id")
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} ({}): {}",
            ((row.created_at.date(), row.reporter, row.get_category_display(), row.reason) for row in rows),
        )

    def _close(self, request, queryset, *, outcome: str, title: str, explanation: str):
        closed_targets: set[str] = set()

        def close(report, data):
            if report.target not in closed_targets:  # one outcome closes every open report on the thing
                services.report_resolve(staff=request.user, report_id=report.pk, outcome=outcome, reason=data["reason"])
                closed_targets.add(report.target)

        return action_with_reason(
            self,
            request,
            queryset,
            title=title,
            explanation=f"{explanation} Every open report on the same thing is closed with it; each reporter is told "
            "it was reviewed.",
            describe=lambda report: f"Report #{report.pk} on {report.subject_title}",
            apply=close,
        )

    @admin.action(description="Hide what was reported (remove the message, close the job, hide the profile)")
    def hide_content(self, request, queryset):
        return self._close(
            request,
            queryset,
            outcome=Report.Status.HIDDEN,
            title="Hide what was reported",
            explanation="A message is removed, a job closed, a profile taken out of search; its author is told why.",
        )

    @admin.action(description="Warn the author")
    def warn_author(self, request, queryset):
        return self._close(
            request,
            queryset,
            outcome=Report.Status.WARNED,
            title="Warn the author",
            explanation="The author gets your reason as a warning, in a notification and an e-mail.",
        )

    @admin.action(description="Suspend the author's account")
    def suspend_author(self, request, queryset):
        return self._close(
            request,
            queryset,
            outcome=Report.Status.SUSPENDED,
            title="Suspend the author's account",
            explanation="The author can no longer sign in or use the API; they are e-mailed your reason.",
        )

    @admin.action(description="Dismiss: no rule broken")
    def dismiss(self, request, queryset):
        return self._close(
            request,
            queryset,
            outcome=Report.Status.DISMISSED,
            title="Dismiss the reports",
            explanation="Nothing happens to the author.",
        )


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
