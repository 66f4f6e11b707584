"""/api/v1/ for jobs: the same services and selectors as the pages. Errors are JSON {code, detail}."""

import datetime as dt

from django import forms
from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.models import Skill
from accounts.permissions import OrgPerm
from jobs import selectors
from jobs.models import Duration, ExperienceLevel, Invitation, Job, JobAttachment, Proposal, SavedSearch
from jobs.search.params import CommaListInput, JobSearchQuery, TalentSearchQuery, parse_job_query
from jobs.search.query import job_search, talent_search
from jobs.services.invitations import invitation_accept, invitation_create, invitation_decline
from jobs.services.jobs import JobFields, job_attachment_add, job_close, job_create, job_publish, job_update
from jobs.services.proposals import (
    MilestoneInput,
    proposal_decline,
    proposal_shortlist,
    proposal_submit,
    proposal_withdraw,
)
from jobs.services.saved_searches import saved_search_create, saved_search_delete
from kernel.files import FileUrlField
from kernel.money import CentsField
from kernel.pagination import CappedLimitOffsetPagination
from kernel.transitions import AllowedTransitionsField

REVIEW_SORTS = [*selectors.PROPOSAL_SORTS]
ERROR = inline_serializer("JobsError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})


# --- Serializers ---


class JobSkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "category"]


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)


class JobSerializer(serializers.ModelSerializer):
    allowed_transitions = AllowedTransitionsField()
    skills = JobSkillSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    # "" until the job is closed: documented as such, not as outside the enum.
    close_reason = serializers.ChoiceField(choices=Job.CloseReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "organization",
            "organization_name",
            "title",
            "description",
            "skills",
            "category",
            "budget_type",
            "rate_min_cents",
            "rate_max_cents",
            "fixed_amount_cents",
            "currency",
            "duration",
            "experience_level",
            "visibility",
            "timezone",
            "work_start",
            "work_end",
            "work_utc_start_minute",
            "work_minutes",
            "overlap_hours",
            "status",
            "allowed_transitions",
            "close_reason",
            "close_note",
            "questions",
            "created_at",
            "published_at",
            "closed_at",
        ]
        read_only_fields = fields


class JobListSerializer(serializers.ModelSerializer):
    allowed_transitions = AllowedTransitionsField()
    skills = JobSkillSerializer(many=True, read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "organization",
            "organization_name",
            "title",
            "skills",
            "budget_type",
            "rate_min_cents",
            "rate_max_cents",
            "fixed_amount_cents",
            "currency",
            "duration",
            "experience_level",
            "visibility",
            "overlap_hours",
            "status",
            "allowed_transitions",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class JobWriteSerializer(serializers.Serializer):
    organization = serializers.IntegerField(required=False, help_text="Required when creating.")
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=10_000)
    skill_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    category = serializers.ChoiceField(choices=Skill.Category.choices)
    budget_type = serializers.ChoiceField(choices=Job.BudgetType.choices)
    rate_min_cents = CentsField(required=False, allow_null=True)
    rate_max_cents = CentsField(required=False, allow_null=True)
    fixed_amount_cents = CentsField(required=False, allow_null=True, max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS)
    duration = serializers.ChoiceField(choices=Duration.choices)
    experience_level = serializers.ChoiceField(choices=ExperienceLevel.choices)
    visibility = serializers.ChoiceField(choices=Job.Visibility.choices, default=Job.Visibility.PUBLIC)
    timezone = serializers.CharField(required=False, allow_blank=True, default="", help_text="Default: the org's.")
    work_start = serializers.TimeField(default=dt.time(9, 0))
    work_end = serializers.TimeField(default=dt.time(17, 0))
    overlap_hours = serializers.IntegerField(min_value=0, max_value=8, default=0)
    questions = serializers.ListField(child=serializers.CharField(max_length=500), required=False, default=list)

    def validate_timezone(self, value):
        from accounts.models import validate_timezone

        if value:
            try:
                validate_timezone(value)
            except Exception as exc:
                raise serializers.ValidationError("Use an IANA time zone name such as Europe/Lisbon.") from exc
        return value

    def to_fields(self) -> JobFields:
        data = dict(self.validated_data)
        data.pop("organization", None)
        return JobFields(**data)


class JobAttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    url = FileUrlField(source="file", read_only=True)

    class Meta:
        model = JobAttachment
        fields = ["id", "file", "name", "content_type", "size", "created_at", "url"]
        read_only_fields = ["id", "name", "content_type", "size", "created_at"]


class JobCloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Job.CloseReason.choices)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class JobHitSerializer(serializers.Serializer):
    job = JobListSerializer()
    overlap_minutes = serializers.IntegerField(allow_null=True, help_text="Daily overlap with your working hours.")
    overlap_hours = serializers.FloatField(allow_null=True, help_text="The same in hours (two decimals).")


@extend_schema_serializer(many=False)  # a page object, though `list` answers it
class JobSearchPageSerializer(serializers.Serializer):
    results = JobHitSerializer(many=True)
    page = serializers.IntegerField()
    has_more = serializers.BooleanField()


class JobInvitationSerializer(serializers.ModelSerializer):
    allowed_transitions = AllowedTransitionsField()
    job_title = serializers.CharField(source="job.title", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "job",
            "job_title",
            "freelancer",
            "message",
            "status",
            "allowed_transitions",
            "created_at",
            "responded_at",
        ]
        read_only_fields = fields


class JobInvitationCreateSerializer(serializers.Serializer):
    freelancer = serializers.IntegerField(help_text="Freelancer profile id.")
    message = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class MilestoneSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    amount_cents = CentsField(max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS)


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    text = serializers.CharField(max_length=2000)


class AnswerReadSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    question_text = serializers.CharField(source="question.text")
    text = serializers.CharField()


class ProposalSerializer(serializers.ModelSerializer):
    allowed_transitions = AllowedTransitionsField()
    job_title = serializers.CharField(source="job.title", read_only=True)
    freelancer_name = serializers.CharField(source="freelancer.user.display_name", read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "job",
            "job_title",
            "freelancer",
            "freelancer_name",
            "cover_letter",
            "rate_cents",
            "bid_cents",
            "currency",
            "estimated_duration",
            "status",
            "allowed_transitions",
            "created_at",
            "status_changed_at",
        ]
        read_only_fields = fields


class ProposalDetailSerializer(ProposalSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)
    answers = AnswerReadSerializer(many=True, read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "milestones", "answers"]
        read_only_fields = fields


class ProposalSubmitSerializer(serializers.Serializer):
    cover_letter = serializers.CharField(max_length=5000)
    estimated_duration = serializers.ChoiceField(choices=Duration.choices)
    rate_cents = CentsField(required=False, allow_null=True, help_text="Hourly jobs.")
    bid_cents = CentsField(
        required=False, allow_null=True, max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS, help_text="Fixed-price jobs."
    )
    milestones = MilestoneSerializer(many=True, required=False, default=list)
    answers = AnswerSerializer(many=True, required=False, default=list)

    def service_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "cover_letter": data["cover_letter"],
            "estimated_duration": data["estimated_duration"],
            "rate_cents": data.get("rate_cents"),
            "bid_cents": data.get("bid_cents"),
            "milestones": [MilestoneInput(**m) for m in data["milestones"]],
            "answers": {a["question"]: a["text"] for a in data["answers"]},
        }


class ProposalReviewSerializer(serializers.Serializer):
    proposal = ProposalSerializer()
    job_success_score = serializers.IntegerField(source="proposal.freelancer.job_success_score", allow_null=True)
    overlap_minutes = serializers.IntegerField(help_text="Daily overlap of the freelancer's hours with the job's.")
    overlap_hours = serializers.FloatField(help_text="The same in hours (two decimals).")


class TalentHitSerializer(serializers.Serializer):
    profile_id = serializers.IntegerField(source="profile.pk")
    name = serializers.CharField(source="profile.user.display_name")
    headline = serializers.CharField(source="profile.headline")
    hourly_rate_cents = serializers.IntegerField(source="profile.hourly_rate_cents", allow_null=True)
    country = serializers.CharField(source="profile.country.code", allow_null=True)
    job_success_score = serializers.IntegerField(source="profile.job_success_score", allow_null=True)
    skills = JobSkillSerializer(source="profile.skills", many=True)
    overlap_minutes = serializers.IntegerField(help_text="Daily overlap with the working hours asked about.")
    overlap_hours = serializers.FloatField(help_text="The same in hours (two decimals).")


@extend_schema_serializer(many=False)  # a page object, though `list` answers it
class TalentPageSerializer(serializers.Serializer):
    results = TalentHitSerializer(many=True)
    page = serializers.IntegerField()
    has_more = serializers.BooleanField()


class SavedSearchSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "created_at", "checked_until"]
        read_only_fields = ["id", "created_at", "checked_until"]
        # The search's query string: required, empty meaning every new job.
        extra_kwargs = {"query": {"required": True, "allow_blank": True}}


def _paginated(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(
        name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


PaginatedJobListSerializer = _paginated("PaginatedJobListList", JobListSerializer)
PaginatedJobInvitationSerializer = _paginated("PaginatedInvitationsOfJobList", JobInvitationSerializer)
PaginatedProposalReviewSerializer = _paginated("PaginatedProposalReviewList", ProposalReviewSerializer)


# --- Views ---


def _query_parameters(form_class) -> list[OpenApiParameter]:
    """The API's description of a query-string parser that is a Django form (`jobs.search.params`)."""
    types = {
        forms.IntegerField: OpenApiTypes.INT,
        forms.TypedChoiceField: OpenApiTypes.INT,
        forms.BooleanField: OpenApiTypes.BOOL,
        forms.ModelMultipleChoiceField: OpenApiTypes.INT,
    }
    parameters = []
    for name, field in form_class.base_fields.items():
        kind = next((t for cls, t in types.items() if isinstance(field, cls)), OpenApiTypes.STR)
        kind = OpenApiTypes.TIME if isinstance(field, forms.TimeField) else kind
        many = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) or isinstance(
            field.widget, CommaListInput
        )
        # A list of a few values is an enum; the time zones are hundreds, and their description says what they are.
        choices = [value for value, _ in field.choices if value != ""] if type(field) is forms.ChoiceField else None
        enum = choices if choices and len(choices) <= ENUM_MAX else None
        description = " ".join(str(text) for text in (field.label, field.help_text) if text)
        parameters.append(OpenApiParameter(name, kind, many=many, required=False, enum=enum, description=description))
    return parameters


ENUM_MAX = 20
JOB_SEARCH_PARAMETERS = _query_parameters(JobSearchQuery)
TALENT_SEARCH_PARAMETERS = _query_parameters(TalentSearchQuery)


def _job_or_404(request, pk) -> Job:
    job = selectors.job_get(user=request.user, job_id=int(pk))
    if job is None:
        raise Http404
    return job


class JobViewSet(viewsets.ViewSet):
    """Jobs: search open jobs, post and manage your organization's jobs, their invitations and proposals."""

    lookup_value_regex = r"\d+"

    @extend_schema(parameters=JOB_SEARCH_PARAMETERS, responses={200: JobSearchPageSerializer, 400: ERROR})
    def list(self, request):
        """Search open public jobs (the "Find work" filters). Pages by `page`; `has_more` instead of a count."""
        page = job_search(params=parse_job_query(request.query_params, strict=True), user=request.user)
        return Response(JobSearchPageSerializer(page).data)

    @extend_schema(request=JobWriteSerializer, responses={201: JobSerializer, 400: ERROR, 403: ERROR})
    def create(self, request):
        """Create a draft job for an organization where you may post jobs."""
        data = JobWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data.get("organization"):
            raise serializers.ValidationError({"organization": ["Required when creating a job."]})
        job = job_create(
            user=request.user, organization_id=data.validated_data["organization"], fields=data.to_fields()
        )
        return Response(JobSerializer(selectors.job_get(user=request.user, job_id=job.pk)).data, status=201)

    @extend_schema(responses={200: JobSerializer, 404: ERROR})
    def retrieve(self, request, pk=None):
        return Response(JobSerializer(_job_or_404(request, pk)).data)

    @extend_schema(request=JobWriteSerializer, responses={200: JobSerializer, 404: ERROR, 409: ERROR})
    def update(self, request, pk=None):
        """Replace a draft or open job's fields (POST_JOBS holders of its organization)."""
        data = JobWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_update(user=request.user, job_id=int(pk), fields=data.to_fields())
        return Response(JobSerializer(selectors.job_get(user=request.user, job_id=job.pk)).data)

    @extend_schema(responses=PaginatedJobListSerializer)
    @action(detail=False, methods=["get"])
    def mine(self, request):
        """Every job of the organizations where you may view jobs, newest first."""
        paginator = CappedLimitOffsetPagination()
        jobs = paginator.paginate_queryset(selectors.organization_jobs(user=request.user), request, view=self)
        return paginator.get_paginated_response(JobListSerializer(jobs, many=True).data)

    @extend_schema(request=None, responses={200: JobSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        job_publish(user=request.user, job_id=int(pk))
        return Response(JobSerializer(selectors.job_get(user=request.user, job_id=int(pk))).data)

    @extend_schema(request=JobAttachmentSerializer, responses={201: JobAttachmentSerializer, 400: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """Attach a file (multipart `file`): PDF, PNG, JPEG, plain text or .docx, checked by content."""
        data = JobAttachmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = job_attachment_add(user=request.user, job_id=int(pk), uploaded=data.validated_data["file"])
        return Response(JobAttachmentSerializer(attachment, context={"request": request}).data, status=201)

    @extend_schema(request=JobCloseSerializer, responses={200: JobSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        data = JobCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job_close(user=request.user, job_id=int(pk), **data.validated_data)
        return Response(JobSerializer(selectors.job_get(user=request.user, job_id=int(pk))).data)

    @extend_schema(
        methods=["GET"],
        responses={200: PaginatedJobInvitationSerializer, 404: ERROR},
        operation_id="jobs_invitations_list",
    )
    @extend_schema(
        methods=["POST"],
        request=JobInvitationCreateSerializer,
        responses={201: JobInvitationSerializer, 404: ERROR, 409: ERROR},
        operation_id="jobs_invitations_create",
    )
    @action(detail=True, methods=["get", "post"])
    def invitations(self, request, pk=None):
        """The job's invitations (its organization); POST invites a freelancer (HIRE holders)."""
        job = _job_or_404(request, pk)
        if request.method == "POST":
            data = JobInvitationCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            invitation = invitation_create(
                user=request.user,
                job_id=job.pk,
                freelancer_id=data.validated_data["freelancer"],
                message=data.validated_data["message"],
            )
            return Response(JobInvitationSerializer(invitation).data, status=201)
        if not selectors.can(request.user, job, OrgPerm.VIEW):
            raise Http404
        paginator = CappedLimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.invitations_of_job(user=request.user, job=job), request, view=self)
        return paginator.get_paginated_response(JobInvitationSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        parameters=[OpenApiParameter("sort", str, enum=REVIEW_SORTS, description="Order of the proposals.")],
        responses={200: PaginatedProposalReviewSerializer, 404: ERROR},
        operation_id="jobs_proposals_list",
    )
    @extend_schema(
        methods=["POST"],
        request=ProposalSubmitSerializer,
        responses={201: ProposalDetailSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        operation_id="jobs_proposals_create",
    )
    @action(detail=True, methods=["get", "post"])
    def proposals(self, request, pk=None):
        """The job's proposals with rate, job success score and overlap (its organization); POST submits yours."""
        if request.method == "POST":
            # Straight to the service, which refuses with a code (job_closed, invitation_required...); a draft or
            # a missing job is a 404 there.
            data = ProposalSubmitSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            proposal = proposal_submit(user=request.user, job_id=int(pk), **data.service_kwargs())
            detail = selectors.proposal_get(user=request.user, proposal_id=proposal.pk)
            return Response(ProposalDetailSerializer(detail).data, status=201)
        job = _job_or_404(request, pk)
        if not selectors.can(request.user, job, OrgPerm.VIEW):
            raise Http404
        sort = request.query_params.get("sort", "newest")
        paginator = CappedLimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.proposals_for_review(user=request.user, job=job, sort=sort), request, view=self
        )
        payload = [
            {"proposal": proposal, "overlap_minutes": minutes, "overlap_hours": round(minutes / 60, 2)}
            for proposal, minutes in selectors.with_overlap(page, job)
        ]
        return paginator.get_paginated_response(ProposalReviewSerializer(payload, many=True).data)


class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposals you wrote and proposals to your organizations' jobs; nobody else's exist here."""

    serializer_class = ProposalSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Proposal.objects.none()
        queryset = selectors.proposals_visible_to(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("answers__question", "milestones")
        return queryset

    def get_serializer_class(self):
        return ProposalDetailSerializer if self.action != "list" else ProposalSerializer

    def _act(self, service, pk):
        service(user=self.request.user, proposal_id=int(pk))
        proposal = selectors.proposal_get(user=self.request.user, proposal_id=int(pk))
        return Response(ProposalDetailSerializer(proposal).data)

    @extend_schema(request=None, responses={200: ProposalDetailSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def shortlist(self, request, pk=None):
        return self._act(proposal_shortlist, pk)

    @extend_schema(request=None, responses={200: ProposalDetailSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(proposal_decline, pk)

    @extend_schema(request=None, responses={200: ProposalDetailSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(proposal_withdraw, pk)


class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Invitations to jobs that you received as a freelancer."""

    serializer_class = JobInvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return selectors.invitations_of_freelancer(self.request.user)

    @extend_schema(request=None, responses={200: JobInvitationSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return Response(JobInvitationSerializer(invitation_accept(user=request.user, invitation_id=int(pk))).data)

    @extend_schema(request=None, responses={200: JobInvitationSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return Response(JobInvitationSerializer(invitation_decline(user=request.user, invitation_id=int(pk))).data)


class TalentViewSet(viewsets.ViewSet):
    lookup_value_regex = r"\d+"

    @extend_schema(parameters=TALENT_SEARCH_PARAMETERS, responses={200: TalentPageSerializer, 400: ERROR})
    def list(self, request):
        """Search freelancers (the "Find talent" filters); each result carries its daily overlap with the given
        working window, in `timezone` (default: your organization's). Pages by `page`; `has_more` instead of a
        count."""
        query = TalentSearchQuery(request.query_params)
        params = query.params(default_timezone=selectors.default_timezone_of(request.user), strict=True)
        return Response(TalentPageSerializer(talent_search(params=params)).data)


class SavedSearchViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Your saved job searches; `query` is the job search's query string."""

    serializer_class = SavedSearchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedSearch.objects.none()
        return selectors.saved_searches_of(self.request.user)

    def create(self, request, *args, **kwargs):
        data = SavedSearchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = saved_search_create(user=request.user, **data.validated_data)
        return Response(SavedSearchSerializer(saved).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted."), 404: ERROR})
    def destroy(self, request, *args, **kwargs):
        saved_search_delete(user=request.user, saved_search_id=int(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)
