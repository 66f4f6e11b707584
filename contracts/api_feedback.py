"""/api/v1/contracts/{id}/feedback/ and /api/v1/freelancers/{id}/work-history/: the same services and reads as the
pages. Hidden feedback is left out of every answer except to its author (the blind rule holds in the API too)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from contracts import reputation, selectors
from contracts.models import Feedback
from contracts.services import feedback as feedback_services
from contracts.services import score

ERROR = inline_serializer("FeedbackError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(ERROR, description="Invalid input."),
    403: OpenApiResponse(ERROR, description="A client member whose role may not hire."),
    404: OpenApiResponse(ERROR, description="Not found, or not yours."),
    409: OpenApiResponse(ERROR, description="Not ended yet, the window closed, or already left."),
}


class FeedbackSerializer(serializers.ModelSerializer):
    rating = serializers.CharField(read_only=True)
    private_feedback = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "side",
            "quality",
            "communication",
            "timeliness",
            "rating",
            "public_comment",
            "private_feedback",
            "show_earnings",
            "created_at",
            "revealed_at",
        ]

    def get_private_feedback(self, obj) -> str | None:
        """Only its author reads it back (and staff, in the admin)."""
        return obj.private_feedback if obj.author_id == self.context["request"].user.pk else None


class FeedbackInputSerializer(serializers.Serializer):
    quality = serializers.IntegerField(min_value=1, max_value=5)
    communication = serializers.IntegerField(min_value=1, max_value=5)
    timeliness = serializers.IntegerField(min_value=1, max_value=5)
    public_comment = serializers.CharField(max_length=2000)
    private_feedback = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    show_earnings = serializers.BooleanField(required=False, default=False)


class ContractFeedbackView(APIView):
    """The contract's feedback you may read (a party: yours, and the other side's once revealed); POST leaves yours."""

    @extend_schema(tags=["contracts"], responses={200: FeedbackSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, contract_id: int):
        contract = get_object_or_404(selectors.contracts_visible_to(request.user), pk=contract_id)
        rows = contract.feedback.filter(reputation.feedback_readable_by(request.user))
        return Response(FeedbackSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(tags=["contracts"], request=FeedbackInputSerializer, responses={201: FeedbackSerializer, **ERRORS})
    def post(self, request, contract_id: int):
        contract = get_object_or_404(selectors.contracts_visible_to(request.user), pk=contract_id)
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = feedback_services.feedback_leave(
            actor=request.user,
            contract_id=contract.pk,
            ratings={name: values[name] for name in feedback_services.CRITERIA},
            public_comment=values["public_comment"],
            private_feedback=values["private_feedback"],
            show_earnings=values["show_earnings"],
        )
        return Response(FeedbackSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED)


class WorkHistoryItemSerializer(serializers.Serializer):
    contract_title = serializers.CharField(source="contract.title")
    started = serializers.DateField()
    ended = serializers.DateField(allow_null=True)
    earned_cents = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField(source="contract.currency")
    rating = serializers.CharField(source="feedback.rating", allow_null=True, default=None)
    comment = serializers.CharField(source="feedback.public_comment", allow_null=True, default=None)


class WorkHistorySerializer(serializers.Serializer):
    job_success_score = serializers.IntegerField(allow_null=True)
    contracts_with_outcome = serializers.IntegerField()
    history = WorkHistoryItemSerializer(many=True)


class WorkHistoryView(APIView):
    """A freelancer's public work history and job success score (what their profile shows)."""

    permission_classes = [AllowAny]

    @extend_schema(tags=["freelancers"], responses={200: WorkHistorySerializer, 404: ERRORS[404]})
    def get(self, request, profile_id: int):
        profile = account_selectors.public_profile(profile_id)
        result = score.job_success_for(freelancer_id=profile.user_id)
        body = {
            "job_success_score": result.value,
            "contracts_with_outcome": result.with_outcome,
            "history": reputation.work_history(freelancer_id=profile.user_id),
        }
        return Response(WorkHistorySerializer(body).data)
