"""/api/v1/ for offers, contracts and milestones: the same services and selectors as the pages.

Reads are scoped by the selectors (not a party → 404); who may act is decided by the services (a party without the
role → 403); a transition the rules refuse is 409 with a stable code (e.g. "milestone_not_funded").
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from contracts import selectors
from contracts.models import (
    TERMS_FIELDS,
    Bonus,
    Contract,
    ContractType,
    Milestone,
    MilestoneSubmission,
    Offer,
    OfferMilestone,
    SubmissionFile,
    TimeEntry,
    Timesheet,
    WeeklyUpdate,
)
from contracts.services import bonuses as bonus_services
from contracts.services import contracts as contract_services
from contracts.services import milestones as milestone_services
from contracts.services import offers as offer_services
from contracts.services import time_entries as time_entry_services
from contracts.services import timesheets as timesheet_services
from contracts.services import updates as update_services
from contracts.services.offers import MilestoneTerms, OfferTerms
from kernel.files import FileUrlField
from kernel.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key_from_request
from kernel.money import CentsField
from kernel.transitions import AllowedTransitionsField

ERROR = inline_serializer("ContractsError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})
BAD_INPUT = OpenApiResponse(ERROR, description="Invalid input.")
FORBIDDEN = OpenApiResponse(ERROR, description="A party to it, but your role does not allow this.")
NOT_FOUND = OpenApiResponse(ERROR, description="Not found, or not yours.")
CONFLICT = OpenApiResponse(ERROR, description="A rule refused it; `code` says which (e.g. milestone_not_funded).")
ACTION_ERRORS = {400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}


# --- Serializers ---


class MilestoneTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferMilestone
        fields = ["title", "description", "amount_cents", "due_date"]
        extra_kwargs = {"amount_cents": {"min_value": 1}}


class OfferSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    freelancer_name = serializers.CharField(source="freelancer.display_name", read_only=True)
    milestones = MilestoneTermsSerializer(many=True, read_only=True)
    contract = serializers.SerializerMethodField()
    allowed_transitions = AllowedTransitionsField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "organization",
            "organization_name",
            "freelancer",
            "freelancer_name",
            "proposal",
            "job",
            "title",
            *TERMS_FIELDS,
            "start_date",
            "message",
            "status",
            "allowed_transitions",
            "created_at",
            "expires_at",
            "responded_at",
            "decline_reason",
            "milestones",
            "contract",
        ]
        read_only_fields = fields

    def get_contract(self, offer) -> int | None:
        contract = getattr(offer, "contract", None) if offer.status == Offer.Status.ACCEPTED else None
        return contract.pk if contract else None


class OfferCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="The hiring organization's id.")
    proposal = serializers.IntegerField(required=False, help_text="Make the offer from this proposal…")
    freelancer = serializers.IntegerField(required=False, help_text="…or straight to this freelancer profile id.")
    title = serializers.CharField(max_length=200)
    contract_type = serializers.ChoiceField(choices=ContractType.choices)
    hourly_rate_cents = CentsField(required=False, allow_null=True)
    weekly_limit_hours = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=32767)
    total_cents = CentsField(required=False, allow_null=True, max_cents=settings.MAX_CONTRACT_AMOUNT_CENTS)
    start_date = serializers.DateField()
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    milestones = MilestoneTermsSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        if ("proposal" in attrs) == ("freelancer" in attrs):
            raise serializers.ValidationError({"proposal": "Send either a proposal or a freelancer."})
        return attrs  # the terms' rules are offer_create's: its InvalidInput answers 400 with every field

    @staticmethod
    def terms(attrs) -> OfferTerms:
        return OfferTerms(
            contract_type=attrs["contract_type"],
            start_date=attrs["start_date"],
            hourly_rate_cents=attrs.get("hourly_rate_cents"),
            weekly_limit_hours=attrs.get("weekly_limit_hours"),
            total_cents=attrs.get("total_cents"),
            milestones=[MilestoneTerms(**m) for m in attrs.get("milestones", [])],
        )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SubmissionFileSerializer(serializers.ModelSerializer):
    url = FileUrlField(source="file", read_only=True)

    class Meta:
        model = SubmissionFile
        fields = ["id", "name", "content_type", "size", "created_at", "url"]


class SubmissionSerializer(serializers.ModelSerializer):
    files = SubmissionFileSerializer(many=True, read_only=True)

    class Meta:
        model = MilestoneSubmission
        fields = ["id", "message", "submitted_by", "created_at", "files"]


class ContractMilestoneSerializer(serializers.ModelSerializer):
    submissions = SubmissionSerializer(many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "position",
            "title",
            "description",
            "amount_cents",
            "currency",
            "due_date",
            "status",
            "created_at",
            "funded_at",
            "submitted_at",
            "approved_at",
            "refunded_at",
            "submissions",
        ]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    freelancer_name = serializers.CharField(source="freelancer.display_name", read_only=True)
    escrow_cents = serializers.SerializerMethodField(help_text="The sum of milestone amounts held in escrow.")
    awaiting_funding = serializers.SerializerMethodField(help_text="Fixed price: no funded work and a milestone waits.")
    end_outcome = serializers.CharField(read_only=True, help_text="Once ended: completed or cancelled (else empty).")

    class Meta:
        model = Contract
        fields = [
            "id",
            "organization",
            "organization_name",
            "freelancer",
            "freelancer_name",
            "job",
            "offer",
            "title",
            *Contract.TERMS_AND_STATE_FIELDS,
            "escrow_cents",
            "awaiting_funding",
        ]
        read_only_fields = fields

    def get_escrow_cents(self, contract) -> int:
        return contract.escrow_cents or 0

    def get_awaiting_funding(self, contract) -> bool:
        return selectors.awaiting_funding(contract)


class EndSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Contract.Outcome.choices)
    reason = serializers.CharField(max_length=2000)


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class SubmitSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


# --- Views ---


def _validated(serializer_class, request) -> dict:
    """The request body checked by `serializer_class` (400 with the field errors otherwise)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


@extend_schema(tags=["offers"])
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OfferSerializer
    queryset = Offer.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ["status", "contract_type", "organization"]

    def get_queryset(self):
        return selectors.offers_visible_to(self.request.user).prefetch_related("milestones")

    @extend_schema(request=OfferCreateSerializer, responses={201: OfferSerializer, **ACTION_ERRORS})
    def create(self, request):
        attrs = _validated(OfferCreateSerializer, request)
        offer = offer_services.offer_create(
            actor=request.user,
            organization_id=attrs["organization"],
            terms=OfferCreateSerializer.terms(attrs),
            title=attrs["title"],
            message=attrs["message"],
            proposal_id=attrs.get("proposal"),
            freelancer_profile_id=attrs.get("freelancer"),
        )
        return Response(OfferSerializer(self.get_queryset().get(pk=offer.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ContractSerializer, **ACTION_ERRORS}, summary="Accept (freelancer)")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        offer = self.get_object()
        contract = offer_services.offer_accept(actor=request.user, offer_id=offer.pk)
        return Response(ContractSerializer(_contract_for(request.user, contract.pk)).data)

    @extend_schema(request=DeclineSerializer, responses={200: OfferSerializer, **ACTION_ERRORS}, summary="Decline")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = self.get_object()
        offer_services.offer_decline(actor=request.user, offer_id=offer.pk, **_validated(DeclineSerializer, request))
        return Response(OfferSerializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(request=None, responses={200: OfferSerializer, **ACTION_ERRORS}, summary="Withdraw (client)")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        offer = self.get_object()
        offer_services.offer_withdraw(actor=request.user, offer_id=offer.pk)
        return Response(OfferSerializer(self.get_queryset().get(pk=offer.pk)).data)


def _contract_for(user, contract_id: int) -> Contract:
    return selectors.contracts_visible_to(user).prefetch_related("milestones").get(pk=contract_id)


@extend_schema(tags=["contracts"])
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ContractSerializer
    queryset = Contract.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ["status", "contract_type", "organization"]

    def get_queryset(self):
        return selectors.contracts_visible_to(self.request.user).prefetch_related("milestones")

    @extend_schema(request=EndSerializer, responses={200: ContractSerializer, **ACTION_ERRORS}, summary="End")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        contract = self.get_object()
        contract_services.contract_end(
            actor=request.user, contract_id=contract.pk, **_validated(EndSerializer, request)
        )
        return Response(ContractSerializer(_contract_for(request.user, contract.pk)).data)

    @extend_schema(request=PauseSerializer, responses={200: ContractSerializer, **ACTION_ERRORS}, summary="Pause")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        contract = self.get_object()
        contract_services.contract_pause(
            actor=request.user, contract_id=contract.pk, **_validated(PauseSerializer, request)
        )
        return Response(ContractSerializer(_contract_for(request.user, contract.pk)).data)

    @extend_schema(request=None, responses={200: ContractSerializer, **ACTION_ERRORS}, summary="Resume")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        contract = self.get_object()
        contract_services.contract_resume(actor=request.user, contract_id=contract.pk)
        return Response(ContractSerializer(_contract_for(request.user, contract.pk)).data)


@extend_schema(tags=["contracts"])
class ContractMilestoneViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/contracts/{contract_id}/milestones/: the contract's milestones; POST adds one (client, HIRE)."""

    serializer_class = ContractMilestoneSerializer
    queryset = Milestone.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        contract = _contract_for_nested(self.request.user, self.kwargs["contract_id"])
        return (
            selectors.milestones_visible_to(self.request.user)
            .filter(contract=contract)
            .prefetch_related("submissions__files")
        )

    @extend_schema(responses={200: ContractMilestoneSerializer(many=True), 404: NOT_FOUND})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MilestoneTermsSerializer, responses={201: ContractMilestoneSerializer, **ACTION_ERRORS})
    def create(self, request, contract_id=None):
        contract = _contract_for_nested(request.user, contract_id)
        terms = MilestoneTerms(**_validated(MilestoneTermsSerializer, request))
        milestone = milestone_services.milestone_add(actor=request.user, contract_id=contract.pk, milestone=terms)
        return Response(ContractMilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


def _contract_for_nested(user, contract_id) -> Contract:
    return get_object_or_404(selectors.contracts_visible_to(user), pk=contract_id)


# What every milestone action answers: the milestone as it is now, or why not.
MILESTONE_ACTION_RESPONSES = {200: ContractMilestoneSerializer, **ACTION_ERRORS}


@extend_schema(tags=["milestones"])
class MilestoneViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ContractMilestoneSerializer
    queryset = Milestone.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.milestones_visible_to(self.request.user).prefetch_related("submissions__files")

    def _done(self, milestone_id: int) -> Response:
        return Response(ContractMilestoneSerializer(self.get_queryset().get(pk=milestone_id)).data)

    def _act(self, request, service, body_serializer) -> Response:
        """Run `service` on this milestone with the checked body as its keyword arguments; answer the milestone."""
        milestone = self.get_object()
        service(actor=request.user, milestone_id=milestone.pk, **_validated(body_serializer, request))
        return self._done(milestone.pk)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=MILESTONE_ACTION_RESPONSES,
        summary="Fund into escrow (client, FUND): charges the amount plus the client fee",
    )
    @action(detail=True, methods=["post"])
    def fund(self, request, pk=None):
        milestone = self.get_object()
        key = idempotency_key_from_request(request, action="milestone_fund")
        milestone_services.milestone_fund(actor=request.user, milestone_id=milestone.pk, request_key=key)
        return self._done(milestone.pk)

    @extend_schema(
        request={"multipart/form-data": SubmitSerializer, "application/json": SubmitSerializer},
        responses=MILESTONE_ACTION_RESPONSES,
        summary="Submit work (freelancer): a message and files",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def submit(self, request, pk=None):
        return self._act(request, milestone_services.milestone_submit, SubmitSerializer)

    @extend_schema(
        request=NoteSerializer,
        responses=MILESTONE_ACTION_RESPONSES,
        summary="Approve and release (client, APPROVE_PAYMENTS)",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, milestone_services.milestone_approve, NoteSerializer)

    @extend_schema(request=RequiredNoteSerializer, responses=MILESTONE_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self._act(request, milestone_services.milestone_request_changes, RequiredNoteSerializer)

    @extend_schema(request=ReasonSerializer, responses=MILESTONE_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="request-refund")
    def request_refund(self, request, pk=None):
        return self._act(request, milestone_services.milestone_request_refund, ReasonSerializer)

    @extend_schema(request=NoteSerializer, responses=MILESTONE_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="agree-refund")
    def agree_refund(self, request, pk=None):
        return self._act(request, milestone_services.milestone_agree_refund, NoteSerializer)

    @extend_schema(request=ReasonSerializer, responses=MILESTONE_ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="reject-refund")
    def reject_refund(self, request, pk=None):
        return self._act(request, milestone_services.milestone_reject_refund, ReasonSerializer)


# --- Hourly contracts: time entries, the timer, timesheets, bonuses ---


class TimeEntrySerializer(serializers.ModelSerializer):
    minutes = serializers.IntegerField(read_only=True, help_text="Length in minutes (0 while the timer runs).")
    week_start = serializers.DateField(source="timesheet.week_start", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "started_at", "ended_at", "minutes", "memo", "source", "timesheet", "week_start"]
        read_only_fields = fields


class TimeEntryInputSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField(help_text="ISO 8601 with its offset, on a 10-minute boundary.")
    ended_at = serializers.DateTimeField()
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TimerStartSerializer(serializers.Serializer):
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DayTotalSerializer(serializers.Serializer):
    date = serializers.DateField()
    minutes = serializers.IntegerField()
    billable_minutes = serializers.IntegerField()


class TimesheetSerializer(serializers.ModelSerializer):
    days = serializers.SerializerMethodField(help_text="Per-day totals in the caller's own time zone.")
    time_zone = serializers.SerializerMethodField()
    amount_cents = serializers.SerializerMethodField(help_text="Billable hours × rate (an estimate while open).")
    client_fee_cents = serializers.SerializerMethodField()

    class Meta:
        model = Timesheet
        fields = [
            "id",
            "contract",
            "week_start",
            "status",
            "hourly_rate_cents",
            "weekly_limit_hours",
            "currency",
            "total_minutes",
            "billable_minutes",
            "amount_cents",
            "client_fee_cents",
            "disputed_minutes",
            "disputed_cents",
            "released_cents",
            "charged_at",
            "review_ends_at",
            "released_at",
            "days",
            "time_zone",
        ]
        read_only_fields = fields

    def _view(self, timesheet):
        cache = self.context.setdefault("_views", {})
        if timesheet.pk not in cache:
            cache[timesheet.pk] = timesheet_services.week_view(
                contract=timesheet.contract,
                week_start=timesheet.week_start,
                viewer=self.context["request"].user,
                timesheet=timesheet,
            )
        return cache[timesheet.pk]

    @extend_schema_field(DayTotalSerializer(many=True))
    def get_days(self, timesheet):
        return DayTotalSerializer(self._view(timesheet).days, many=True).data

    def get_time_zone(self, timesheet) -> str:
        return self._view(timesheet).zone_name

    def get_amount_cents(self, timesheet) -> int:
        return self._view(timesheet).amount_cents

    def get_client_fee_cents(self, timesheet) -> int:
        return self._view(timesheet).client_fee_cents


class DisputeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=10, help_text="Whole 10-minute segments of billable time.")
    reason = serializers.CharField(max_length=2000)


class BonusSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bonus
        fields = ["id", "contract", "amount_cents", "currency", "note", "status", "failure_reason", "created_at"]
        read_only_fields = fields


class BonusInputSerializer(serializers.Serializer):
    amount_cents = CentsField()
    note = serializers.CharField(max_length=2000)


class WeeklyUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = WeeklyUpdate
        fields = ["id", "contract", "week_start", "author", "done", "next", "blockers", "created_at", "updated_at"]
        read_only_fields = fields


class WeeklyUpdateInputSerializer(serializers.Serializer):
    # The lengths and the one required text are the service's rules (its 400 names the field): not repeated here.
    done = serializers.CharField(
        allow_blank=True, help_text=f"What got done this week (required; up to {update_services.LIMIT} characters)."
    )
    next = serializers.CharField(required=False, default="", allow_blank=True, help_text="What comes next.")
    blockers = serializers.CharField(required=False, default="", allow_blank=True, help_text="What is in the way.")


class _ContractNested(viewsets.GenericViewSet):
    def contract(self) -> Contract:
        return _contract_for_nested(self.request.user, self.kwargs["contract_id"])


@extend_schema(tags=["hourly"])
class TimeEntryViewSet(_ContractNested, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """/contracts/{contract_id}/time-entries/: the work diary. The freelancer adds, changes and deletes this
    week's time and runs the timer; both sides read it."""

    serializer_class = TimeEntrySerializer
    queryset = TimeEntry.objects.none()  # for the schema; requests use get_queryset
    lookup_url_kwarg = "entry_id"

    def get_queryset(self):
        return time_entry_services.entries_of(user=self.request.user, contract_id=self.contract().pk)

    def _answer(self, entry_id: int, code=status.HTTP_200_OK) -> Response:
        return Response(TimeEntrySerializer(self.get_queryset().get(pk=entry_id)).data, status=code)

    @extend_schema(request=TimeEntryInputSerializer, responses={201: TimeEntrySerializer, **ACTION_ERRORS})
    def create(self, request, contract_id=None):
        logged = time_entry_services.entry_add(
            actor=request.user, contract_id=self.contract().pk, **_validated(TimeEntryInputSerializer, request)
        )
        return self._answer(logged.entry.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TimeEntryInputSerializer, responses={200: TimeEntrySerializer, **ACTION_ERRORS})
    def update(self, request, contract_id=None, entry_id=None):
        entry = self.get_object()
        time_entry_services.entry_update(
            actor=request.user, entry_id=entry.pk, **_validated(TimeEntryInputSerializer, request)
        )
        return self._answer(entry.pk)

    @extend_schema(responses={204: None, **ACTION_ERRORS})
    def destroy(self, request, contract_id=None, entry_id=None):
        time_entry_services.entry_delete(actor=request.user, entry_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TimerStartSerializer, responses={201: TimeEntrySerializer, **ACTION_ERRORS})
    @action(detail=False, methods=["post"], url_path="timer/start")
    def timer_start(self, request, contract_id=None):
        entry = time_entry_services.timer_start(
            actor=request.user, contract_id=self.contract().pk, **_validated(TimerStartSerializer, request)
        )
        return self._answer(entry.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TimeEntrySerializer, 204: None, **ACTION_ERRORS})
    @action(detail=False, methods=["post"], url_path="timer/stop")
    def timer_stop(self, request, contract_id=None):
        logged = time_entry_services.timer_stop(actor=request.user, contract_id=self.contract().pk)
        if logged is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._answer(logged.entry.pk)


@extend_schema(tags=["hourly"])
class TimesheetViewSet(_ContractNested, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """/contracts/{contract_id}/timesheets/: every week of the contract, the current one live."""

    serializer_class = TimesheetSerializer
    queryset = Timesheet.objects.none()  # for the schema; requests use get_queryset
    lookup_url_kwarg = "timesheet_id"

    def get_queryset(self):
        return timesheet_services.timesheets_of(
            user=self.request.user, contract_id=self.contract().pk
        ).prefetch_related("entries")

    @extend_schema(request=DisputeSerializer, responses={200: TimesheetSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def dispute(self, request, contract_id=None, timesheet_id=None):
        timesheet = self.get_object()
        timesheet_services.timesheet_dispute(
            actor=request.user, timesheet_id=timesheet.pk, **_validated(DisputeSerializer, request)
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=timesheet.pk)).data)


@extend_schema(tags=["hourly"])
class BonusViewSet(_ContractNested, mixins.ListModelMixin):
    """/contracts/{contract_id}/bonuses/: bonuses on a contract of either type; POST pays one (client, FUND)."""

    serializer_class = BonusSerializer
    queryset = Bonus.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return bonus_services.bonuses_of(user=self.request.user, contract_id=self.contract().pk)

    @extend_schema(
        request=BonusInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BonusSerializer, **ACTION_ERRORS},
        summary="Pay a bonus: charged with the client fee, released to the freelancer less their fee",
    )
    def create(self, request, contract_id=None):
        contract = self.contract()
        key = idempotency_key_from_request(request, action="bonus_pay")
        bonus = bonus_services.bonus_pay(
            actor=request.user,
            contract_id=contract.pk,
            idempotency_key=key,
            **_validated(BonusInputSerializer, request),
        )
        return Response(BonusSerializer(bonus).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["hourly"])
class WeeklyUpdateViewSet(_ContractNested, mixins.ListModelMixin):
    """/contracts/{contract_id}/updates/: the freelancer's weekly updates on an hourly contract, newest week first;
    both sides read them, POST writes this week's (the freelancer)."""

    serializer_class = WeeklyUpdateSerializer
    queryset = WeeklyUpdate.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return self.contract().weekly_updates.all()

    @extend_schema(
        request=WeeklyUpdateInputSerializer,
        responses={201: WeeklyUpdateSerializer, **ACTION_ERRORS},
        summary="Post this week's update; posting again in the same week rewrites it",
    )
    def create(self, request, contract_id=None):
        update = update_services.weekly_update_post(
            actor=request.user, contract_id=self.contract().pk, **_validated(WeeklyUpdateInputSerializer, request)
        )
        return Response(WeeklyUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
