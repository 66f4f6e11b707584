"""Staff read accounts, profiles and organizations here; nothing is edited from the admin (so the rules the
services keep, such as an organization's one owner, hold here too). Suspending and reinstating an account are
actions that call accounts.services.moderation, which audits them and tells the user. Skills are the platform's
own taxonomy and stay editable."""

from allauth.account.models import EmailAddress
from django.contrib import admin
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
from accounts.services.moderation import account_reinstate, account_suspend, profile_hide, profile_restore
from kernel.admin import ActionsNeedPermission, ReadOnlyAdmin, ReadOnlyTabularInline, action_with_reason


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ["organization", "user", "role", "created_at"]
    readonly_fields = fields


class EmailAddressInline(ReadOnlyTabularInline):
    model = EmailAddress
    fields = ["email", "verified", "primary"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(ActionsNeedPermission, ReadOnlyAdmin):
    """Users are read here; staff suspend and reinstate them through accounts.services.moderation (audited)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fields = ["email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "last_login", "date_joined"]
    readonly_fields = fields
    inlines = [EmailAddressInline, MembershipInline]
    actions = ["suspend_accounts", "reinstate_accounts"]

    def _moderate(self, request, queryset, *, title: str, service) -> TemplateResponse | None:
        return action_with_reason(
            self,
            request,
            queryset,
            title=title,
            explanation="Each user is e-mailed the reason.",
            reason_help="The user is e-mailed this reason.",
            describe=lambda user: user.email,
            apply=lambda user, data: service(staff=request.user, user_id=user.pk, reason=data["reason"]),
        )

    @admin.action(description="Suspend selected accounts (no login, no API token)")
    def suspend_accounts(self, request, queryset):
        return self._moderate(request, queryset, title="Suspend accounts", service=account_suspend)

    @admin.action(description="Reinstate selected accounts")
    def reinstate_accounts(self, request, queryset):
        return self._moderate(request, queryset, title="Reinstate accounts", service=account_reinstate)


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
class FreelancerProfileAdmin(ActionsNeedPermission, ReadOnlyAdmin):
    list_display = ["user", "headline", "hourly_rate_cents", "country", "job_success_score", "hidden_at", "updated_at"]
    list_filter = ["experience_level", "hidden_at", "country", "timezone"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "headline", "overview"]
    list_select_related = ["user"]
    inlines = [ProfileLanguageInline, PortfolioItemInline]
    actions = ["hide_profiles", "restore_profiles"]

    def _moderate(self, request, queryset, *, title: str, explanation: str, service) -> TemplateResponse | None:
        return action_with_reason(
            self,
            request,
            queryset.select_related("user"),
            title=title,
            explanation=explanation,
            reason_help="The freelancer is e-mailed this reason and sees it on their profile page.",
            describe=lambda profile: f"{profile.user.email}: {profile.headline}",
            apply=lambda profile, data: service(staff=request.user, profile_id=profile.pk, reason=data["reason"]),
        )

    @admin.action(description="Hide selected profiles from search and public pages")
    def hide_profiles(self, request, queryset):
        return self._moderate(
            request,
            queryset,
            title="Hide profiles",
            explanation="Clients can no longer find or open these profiles; the accounts keep working.",
            service=profile_hide,
        )

    @admin.action(description="Restore selected hidden profiles")
    def restore_profiles(self, request, queryset):
        return self._moderate(
            request,
            queryset,
            title="Restore profiles",
            explanation="These profiles are shown in search and on their public pages again.",
            service=profile_restore,
        )


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
