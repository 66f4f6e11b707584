"""/api/v1/disputes/: the same services and reads as the dispute pages. A party sees its contracts' disputes
(anyone else: 404); who may act is decided by the services (a member without the role: 403); a rule that refuses
is 409 with a stable code. Opening (it holds money) and accepting a settlement (it settles money) take an
`Idempotency-Key` header."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from contracts import selectors_disputes
from contracts.models import Dispute, DisputeEvent, DisputeEvidence, EvidenceFile, SettlementOffer
from contracts.services import disputes as dispute_services
from kernel.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotency_key_from_request
from kernel.money import CentsField

ERROR = inline_serializer("DisputesError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(ERROR, description="Invalid input."),
    403: OpenApiResponse(ERROR, description="A party, but your role may not act on payments."),
    404: OpenApiResponse(ERROR, description="Not found, or not yours."),
    409: OpenApiResponse(ERROR, description="A rule refused it; `code` says which (e.g. dispute_exists)."),
}


class EvidenceFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceFile
        fields = ["id", "name", "content_type", "size"]


class EvidenceSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name", default=None, read_only=True)
    files = EvidenceFileSerializer(many=True, read_only=True)

    class Meta:
        model = DisputeEvidence
        fields = ["id", "side", "author_name", "text", "files", "created_at"]


class SettlementOfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = SettlementOffer
        fields = ["id", "side", "freelancer_cents", "client_cents", "note", "status", "created_at", "answered_at"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisputeEvent
        fields = ["from_status", "to_status", "note", "created_at"]


class DisputeSerializer(serializers.ModelSerializer):
    week_start = serializers.DateField(read_only=True, allow_null=True, help_text="A timesheet dispute's week.")
    subject = serializers.SerializerMethodField(help_text="What is disputed: the milestone's title, or the week.")

    def get_subject(self, dispute) -> str:
        if dispute.milestone_id:
            return dispute.milestone.title
        return f"Hours of the week of {dispute.week_start:%d %b %Y}" if dispute.week_start else ""

    class Meta:
        model = Dispute
        fields = [
            "id",
            "contract",
            "milestone",
            "week_start",
            "subject",
            "opened_by_side",
            "reason",
            "amount_cents",
            "currency",
            "status",
            "opened_at",
            "respond_by",
            "responded_at",
            "escalated_at",
            "resolution",
            "freelancer_cents",
            "client_cents",
            "resolution_reason",
            "resolved_at",
        ]


class DisputeDetailSerializer(DisputeSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)
    offers = SettlementOfferSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(DisputeSerializer.Meta):
        fields = [*DisputeSerializer.Meta.fields, "evidence", "offers", "events"]


class OpenSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = serializers.CharField(max_length=5000)
    evidence = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class EvidenceInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class SettlementOfferInputSerializer(serializers.Serializer):
    freelancer_cents = CentsField(min_cents=0)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _validated(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


@extend_schema(tags=["disputes"])
class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Dispute.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors_disputes.disputes_visible_to(self.request.user).prefetch_related(
            "evidence__files", "evidence__author", "offers", "events"
        )

    def get_serializer_class(self):
        return DisputeSerializer if self.action == "list" else DisputeDetailSerializer

    def _detail(self, dispute_id: int, code=status.HTTP_200_OK) -> Response:
        dispute = selectors_disputes.dispute_get(user=self.request.user, dispute_id=dispute_id)
        return Response(DisputeDetailSerializer(dispute).data, status=code)

    @extend_schema(
        request=OpenSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: DisputeDetailSerializer, **ERRORS},
    )
    def create(self, request):
        """Open a dispute on a funded or submitted milestone: its amount is held at once."""
        key = idempotency_key_from_request(request, action="dispute_open")
        data = _validated(OpenSerializer, request)
        dispute = dispute_services.dispute_open_milestone(
            actor=request.user,
            milestone_id=data["milestone"],
            reason=data["reason"],
            evidence=data["evidence"],
            request_key=key,
        )
        return self._detail(dispute.pk, status.HTTP_201_CREATED)

    @extend_schema(request=EvidenceInputSerializer, responses={201: EvidenceSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def evidence(self, request, pk=None):
        """Add a statement (and files); the other party's first statement is its response."""
        data = _validated(EvidenceInputSerializer, request)
        evidence = dispute_services.dispute_add_evidence(
            actor=request.user, dispute_id=self.get_object().pk, text=data["text"], files=data["files"]
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SettlementOfferInputSerializer, responses={201: SettlementOfferSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def offers(self, request, pk=None):
        """Propose a split of the held amount: the freelancer's part in cents, the client gets the rest."""
        data = _validated(SettlementOfferInputSerializer, request)
        offer = dispute_services.settlement_propose(
            actor=request.user,
            dispute_id=self.get_object().pk,
            freelancer_cents=data["freelancer_cents"],
            note=data["note"],
        )
        return Response(SettlementOfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, parameters=[IDEMPOTENCY_KEY_PARAMETER], responses={200: DisputeDetailSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path=r"offers/(?P<offer_id>\d+)/accept")
    def accept(self, request, pk=None, offer_id=None):
        """Accept the other party's proposal: the dispute resolves in one ledger entry."""
        idempotency_key_from_request(request, action="dispute_settle")
        dispute = self.get_object()
        dispute_services.settlement_accept(actor=request.user, dispute_id=dispute.pk, offer_id=int(offer_id))
        return self._detail(dispute.pk)

    @extend_schema(request=None, responses={200: SettlementOfferSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path=r"offers/(?P<offer_id>\d+)/decline")
    def decline(self, request, pk=None, offer_id=None):
        offer = dispute_services.settlement_decline(
            actor=request.user, dispute_id=self.get_object().pk, offer_id=int(offer_id)
        )
        return Response(SettlementOfferSerializer(offer).data)
