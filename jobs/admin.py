"""Staff moderate jobs and proposals here: read everything, and close a job that breaks the rules through the
jobs service (with a written reason the client sees). Nothing else changes from the admin."""

from django.contrib import admin

from jobs.models import (
    Invitation,
    Job,
    JobAttachment,
    Proposal,
    ProposalAnswer,
    ProposalAttachment,
    ProposalMilestone,
    SavedSearch,
    ScreeningQuestion,
    TalentIndex,
)
from jobs.services.jobs import job_close_by_staff
from kernel.admin import ActionsNeedPermission, ReadOnlyAdmin, ReadOnlyTabularInline, action_with_reason


class ScreeningQuestionInline(ReadOnlyTabularInline):
    model = ScreeningQuestion
    fields = ("position", "text")
    readonly_fields = fields


class JobAttachmentInline(ReadOnlyTabularInline):
    model = JobAttachment
    fields = ("name", "content_type", "size", "created_at")
    readonly_fields = fields


@admin.register(Job)
class JobAdmin(ActionsNeedPermission, ReadOnlyAdmin):
    list_display = ("title", "organization", "status", "budget_type", "visibility", "published_at")
    list_filter = ("status", "budget_type", "visibility", "experience_level", "category")
    search_fields = ("title", "description", "organization__name")
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    exclude = ("search_vector", "skill_ids")
    inlines = [ScreeningQuestionInline, JobAttachmentInline]
    actions = ["close_for_rule_violation"]

    @admin.action(description="Close selected jobs for breaking the rules")
    def close_for_rule_violation(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            title="Close jobs for breaking the rules",
            explanation="These jobs will be closed and take no more proposals. Their clients are told why.",
            reason_help="The client sees this reason.",
            describe=lambda job: f"{job.title} ({job.organization})",
            apply=lambda job, data: job_close_by_staff(staff=request.user, job_id=job.pk, reason=data["reason"]),
        )


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("job", "freelancer", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("job__title", "freelancer__user__email")
    list_select_related = ("job", "freelancer__user")


class ProposalAnswerInline(ReadOnlyTabularInline):
    model = ProposalAnswer
    fields = ("question", "text")
    readonly_fields = fields


class ProposalMilestoneInline(ReadOnlyTabularInline):
    model = ProposalMilestone
    fields = ("position", "title", "amount_cents")
    readonly_fields = fields


class ProposalAttachmentInline(ReadOnlyTabularInline):
    model = ProposalAttachment
    fields = ("name", "content_type", "size", "created_at")
    readonly_fields = fields


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ("job", "freelancer", "status", "rate_cents", "bid_cents", "created_at")
    list_filter = ("status", "estimated_duration")
    search_fields = ("job__title", "freelancer__user__email", "cover_letter")
    list_select_related = ("job", "freelancer__user")
    date_hierarchy = "created_at"
    inlines = [ProposalAnswerInline, ProposalMilestoneInline, ProposalAttachmentInline]


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "created_at", "checked_until")
    search_fields = ("name", "user__email")
    list_filter = ("created_at",)
    list_select_related = ("user",)


@admin.register(TalentIndex)
class TalentIndexAdmin(ReadOnlyAdmin):
    list_display = ("profile", "hourly_rate_cents", "job_success_score", "country", "refreshed_at")
    list_filter = ("country",)
    search_fields = ("profile__user__email", "profile__headline")
    list_select_related = ("profile__user",)
    exclude = ("search_vector",)
