from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models

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
from accounts.services.profiles import profile_refresh_utc_window


class EmailUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization", "user"]


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    extra = 0
    fields = ["email", "verified", "primary"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with e-mail as the login (no username)."""

    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [EmailAddressInline, MembershipInline]

    def get_inlines(self, request, obj):
        # The add page asks only for e-mail and password, like Django's own; addresses and memberships come after.
        return self.inlines if obj else []


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category"]
    list_filter = ["category"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


class ProfileLanguageInline(admin.TabularInline):
    model = ProfileLanguage
    extra = 0


# Links typed without a scheme are https (Django 6's default, set now so forms behave the same after the upgrade).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class PortfolioItemInline(admin.StackedInline):
    model = PortfolioItem
    extra = 0
    formfield_overrides = HTTPS_URLS


@admin.register(FreelancerProfile)
class FreelancerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "headline", "hourly_rate_cents", "country", "timezone", "job_success_score", "updated_at"]
    list_filter = ["experience_level", "country", "timezone"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "headline", "overview"]
    list_select_related = ["user"]
    autocomplete_fields = ["user", "skills"]
    readonly_fields = ["work_utc_start_minute", "work_minutes", "job_success_score", "created_at", "updated_at"]
    inlines = [ProfileLanguageInline, PortfolioItemInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Staff may correct the zone or the hours: the stored UTC window must follow, as the profile page does.
        profile_refresh_utc_window(obj)


@admin.register(ProfileLanguage)
class ProfileLanguageAdmin(admin.ModelAdmin):
    list_display = ["profile", "code", "proficiency"]
    list_filter = ["proficiency", "code"]
    search_fields = ["profile__user__email", "code"]
    list_select_related = ["profile__user"]


@admin.register(PortfolioItem)
class PortfolioItemAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "profile", "url", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["title", "description", "profile__user__email"]
    list_select_related = ["profile__user"]


class OrganizationMembershipInline(MembershipInline):
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "timezone", "created_at"]
    list_filter = ["country", "timezone", "created_at"]
    search_fields = ["name", "memberships__user__email"]
    inlines = [OrganizationMembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]


@admin.register(OrganizationInvitation)
class OrganizationInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "status", "invited_by", "created_at", "accepted_at"]
    list_filter = ["status", "role", "created_at"]
    search_fields = ["email", "organization__name", "invited_by__email"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["token", "created_at", "accepted_at"]
    autocomplete_fields = ["organization", "invited_by"]
