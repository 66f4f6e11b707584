"""Admin building blocks (staff read what the services wrote; changes go through services, as moderation
actions), and the kernel's own tables: the outbox and the audit trail, neither edited by hand."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from kernel.errors import DomainError
from kernel.models import AuditEntry, OutboxMessage
from kernel.permissions import may_moderate


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


class ActionsNeedPermission:
    """A model admin whose actions only staff `may_act(user)` allows see (the service behind each checks it
    again); by default the moderation permission."""

    may_act = staticmethod(may_moderate)

    def get_actions(self, request):
        actions = super().get_actions(request)  # type: ignore[misc]
        if not self.may_act(request.user):
            for name in self.actions:  # type: ignore[attr-defined]
                actions.pop(name, None)
        return actions


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)


def action_with_reason(
    model_admin: admin.ModelAdmin,
    request,
    queryset,
    *,
    title: str,
    explanation: str,
    apply: Callable[[object, dict], object],
    reason_help: str = "",
    form_class: type[forms.Form] = ReasonForm,
    describe: Callable[[object], str] = str,
) -> TemplateResponse | None:
    """An admin action that first asks for a written reason (on a page listing what it will act on), then calls
    `apply(row, cleaned_data)` for each selected row. A refusal (DomainError) is shown for its row; the others go
    on. The service behind `apply` checks the staff member's permission and writes the audit row."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if reason_help:
        form.fields["reason"].help_text = reason_help
    if not form.is_valid():
        context = {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "form": form,
            "rows": [(row.pk, describe(row)) for row in queryset],
            "action": request.POST.get("action", ""),
            "opts": model_admin.opts,
        }
        return TemplateResponse(request, "admin/action_with_reason.html", context)
    done = 0
    for row in queryset:
        try:
            apply(row, form.cleaned_data)
            done += 1
        except DomainError as exc:
            model_admin.message_user(request, f"{describe(row)}: {exc.detail}", messages.ERROR)
    if done:
        model_admin.message_user(request, f"{title}: done for {done}.", messages.SUCCESS)
    return None


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
