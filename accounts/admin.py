"""Staff read accounts, profiles and organizations here; nothing is edited from the admin (so the rules the
services keep, such as an organization's one owner, hold here too). Suspending and reinstating an account are
actions that call accounts.services.moderation, which audits them and tells the user. Skills are the platform's
own taxonomy and stay editable."""

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accounts.models import (
    FreelancerProfile,
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    ProfileLanguage,
    Skill,
    User,
)
from accounts.services.moderation import account_reinstate, account_suspend
from kernel.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from kernel.errors import DomainError


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=2000, help_text="The user is e-mailed this reason.")


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ["organization", "user", "role", "created_at"]
    readonly_fields = fields


class EmailAddressInline(ReadOnlyTabularInline):
    model = EmailAddress
    fields = ["email", "verified", "primary"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """Users are read here; staff suspend and reinstate them through accounts.services.moderation (audited)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fields = ["email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "last_login", "date_joined"]
    readonly_fields = fields
    inlines = [EmailAddressInline, MembershipInline]
    actions = ["suspend_accounts", "reinstate_accounts"]

    def _moderate(self, request, queryset, *, action: str, title: str, service) -> TemplateResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "form": form,
                "users": queryset,
                "title": title,
                "action": action,
                "opts": self.opts,
            }
            return TemplateResponse(request, "admin/accounts/moderate_accounts.html", context)
        done = 0
        for user in queryset:
            try:
                service(staff=request.user, user_id=user.pk, reason=form.cleaned_data["reason"])
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user.email}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{title}: {done} account(s).", messages.SUCCESS)
        return None

    @admin.action(description="Suspend selected accounts (no login, no API token)")
    def suspend_accounts(self, request, queryset):
        return self._moderate(
            request, queryset, action="suspend_accounts", title="Suspend accounts", service=account_suspend
        )

    @admin.action(description="Reinstate selected accounts")
    def reinstate_accounts(self, request, queryset):
        return self._moderate(
            request, queryset, action="reinstate_accounts", title="Reinstate accounts", service=account_reinstate
        )


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category"]
    list_filter = ["category"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


class ProfileLanguageInline(ReadOnlyTabularInline):
    model = ProfileLanguage
    fields = ["code", "proficiency"]
    readonly_fields = fields


class PortfolioItemInline(ReadOnlyTabularInline):
    model = PortfolioItem
    fields = ["title", "url", "created_at"]
    readonly_fields = fields


@admin.register(FreelancerProfile)
class FreelancerProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "headline", "hourly_rate_cents", "country", "timezone", "job_success_score", "updated_at"]
    list_filter = ["experience_level", "country", "timezone"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "headline", "overview"]
    list_select_related = ["user"]
    inlines = [ProfileLanguageInline, PortfolioItemInline]


@admin.register(ProfileLanguage)
class ProfileLanguageAdmin(ReadOnlyAdmin):
    list_display = ["profile", "code", "proficiency"]
    list_filter = ["proficiency", "code"]
    search_fields = ["profile__user__email", "code"]
    list_select_related = ["profile__user"]


@admin.register(PortfolioItem)
class PortfolioItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "profile", "url", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["title", "description", "profile__user__email"]
    list_select_related = ["profile__user"]


class OrganizationMembershipInline(MembershipInline):
    fields = ["user", "role", "created_at"]
    readonly_fields = fields


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "country", "timezone", "created_at"]
    list_filter = ["country", "timezone", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [OrganizationMembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "organization__name"]
    list_select_related = ["user", "organization"]


@admin.register(OrganizationInvitation)
class OrganizationInvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "organization", "role", "status", "invited_by", "created_at", "accepted_at"]
    list_filter = ["status", "role", "created_at"]
    search_fields = ["email", "organization__name", "invited_by__email"]
    list_select_related = ["organization", "invited_by"]
    exclude = ["token"]
