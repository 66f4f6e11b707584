"""/api/v1/ for messaging: the conversations you may read, their messages, read state, direct conversations,
your notifications, your e-mail preferences and your reports to staff. Same services and selectors as the pages."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import NotFound
from kernel.files import FileUrlField
from kernel.pagination import CappedLimitOffsetPagination
from kernel.refs import MAX_PK, Kind, parse_ref
from messaging import kinds, selectors, services
from messaging.models import Conversation, Message, Notification, Report

ERROR = inline_serializer("MessagingError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})
ID_PATTERN = "[0-9]{1,18}"


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "reference", "read_at", "created_at"]
        read_only_fields = fields


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = FileUrlField(source="file", read_only=True)


class MessageSerializer(serializers.ModelSerializer):
    sender_name = serializers.CharField(source="sender.display_name", read_only=True, default=None)
    attachments = AttachmentSerializer(many=True, read_only=True)
    held_reason = serializers.CharField(source="held_explanation", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "sender_name", "body", "status", "held_reason", "attachments", "created_at"]
        read_only_fields = fields

    def to_representation(self, message):
        data = super().to_representation(message)
        if message.status == Message.Status.REMOVED:
            data.update(body="", attachments=[])
        return data


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ConversationSerializer(serializers.ModelSerializer):
    contract = serializers.SerializerMethodField()
    proposal = serializers.SerializerMethodField()
    unread = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "kind", "title", "contract", "proposal", "unread", "created_at", "last_message_at"]
        read_only_fields = fields

    def _about(self, conversation, kind: Kind) -> int | None:
        parsed = parse_ref(conversation.reference or "")
        return parsed[1] if parsed and parsed[0] == kind else None

    def get_contract(self, conversation) -> int | None:
        return self._about(conversation, Kind.CONTRACT)

    def get_proposal(self, conversation) -> int | None:
        return self._about(conversation, Kind.PROPOSAL)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(self.request.user)

    @extend_schema(
        request=inline_serializer(
            "MarkRead", fields={"ids": serializers.ListField(child=serializers.IntegerField(), required=False)}
        ),
        responses={200: inline_serializer("MarkedRead", fields={"marked": serializers.IntegerField()}), 400: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        """Mark the given notifications read, or all of them without `ids`."""
        data = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), required=False)
        ids = data.run_validation(request.data.get("ids")) if request.data.get("ids") is not None else None
        return Response({"marked": services.notifications_mark_read(user=request.user, ids=ids)})


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConversationSerializer
    lookup_value_regex = ID_PATTERN
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        return selectors.inbox_of(self.request.user)

    def _conversation(self, pk) -> Conversation:
        conversation = selectors.conversation_get(user=self.request.user, conversation_id=int(pk))
        if conversation is None:
            raise Http404
        return conversation

    @extend_schema(methods=["GET"], responses={200: MessageSerializer(many=True), 404: ERROR})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": MessageInputSerializer, "application/json": MessageInputSerializer},
        responses={201: MessageSerializer, 400: ERROR, 404: ERROR, 429: ERROR},
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """Messages you can see, oldest first; POST sends one (text, files or both). Before a contract exists, a
        message with contact details comes back with `status: held` and `held_reason`: it was not delivered."""
        conversation = self._conversation(pk)
        if request.method == "POST":
            data = MessageInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.message_post(
                conversation_id=conversation.pk,
                sender=request.user,
                body=data.validated_data["body"],
                files=data.validated_data["files"],
            )
            return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        paginator = CappedLimitOffsetPagination()
        messages = selectors.messages_of(conversation=conversation, user=request.user)
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: None, 404: ERROR})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """You have read everything in the conversation up to now (the others see the read receipt)."""
        services.conversation_mark_read(conversation_id=self._conversation(pk).pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=inline_serializer("DirectConversation", fields={"user": serializers.IntegerField()}),
        responses={201: ConversationSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=False, methods=["post"])
    def direct(self, request):
        """Open (or find) a direct conversation with someone you share a job or contract with."""
        other = serializers.IntegerField(min_value=1, max_value=2**62).run_validation(request.data.get("user"))
        try:
            conversation = services.direct_conversation_open(user=request.user, other_id=other)
        except NotFound:
            raise Http404 from None
        found = selectors.inbox_of(request.user).get(pk=conversation.pk)
        return Response(ConversationSerializer(found).data, status=status.HTTP_201_CREATED)


class PreferencesSerializer(serializers.Serializer):
    email = serializers.DictField(child=serializers.BooleanField())


class KindSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    group = serializers.CharField()


class PreferencesOutSerializer(serializers.Serializer):
    email = serializers.DictField(child=serializers.BooleanField())
    kinds = KindSerializer(many=True)


class NotificationPreferencesView(APIView):
    """Whether you get an e-mail, per kind of notification (every kind is always shown in the app)."""

    def _body(self, email: dict) -> dict:
        listed = [kind for group in kinds.groups().values() for kind in group]
        return {"email": email, "kinds": [{"key": k.key, "title": k.title, "group": k.group} for k in listed]}

    @extend_schema(responses=PreferencesOutSerializer)
    def get(self, request):
        return Response(self._body(services.email_preferences_of(request.user)))

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesOutSerializer, 400: ERROR})
    def put(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = services.notification_preferences_set(user=request.user, email=data.validated_data["email"])
        return Response(self._body(email))

    patch = put


class ReportSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()
    subject = serializers.CharField(source="subject_title")
    status = serializers.SerializerMethodField(help_text="`open` until staff have looked at it, then `reviewed`.")

    class Meta:
        model = Report
        fields = ["id", "kind", "target_id", "subject", "category", "reason", "status", "created_at", "resolved_at"]
        read_only_fields = fields

    def get_kind(self, report) -> str:
        return report.kind_and_pk[0]

    def get_target_id(self, report) -> int:
        return report.kind_and_pk[1]

    def get_status(self, report) -> str:
        return "open" if report.is_open else "reviewed"


class ReportInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=20, help_text="`job`, `profile` or `message`.")
    target_id = serializers.IntegerField(min_value=1, max_value=MAX_PK)
    category = serializers.ChoiceField(choices=Report.Category.choices)
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Report a job, a profile or a message you can see to staff, and follow your reports. You are told (a
    notification) when staff have reviewed one; what they did to someone else's account is not shown."""

    serializer_class = ReportSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return selectors.reports_of(self.request.user)

    @extend_schema(request=ReportInputSerializer, responses={201: ReportSerializer, 400: ERROR, 404: ERROR, 409: ERROR})
    def create(self, request):
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=request.user,
            kind=data.validated_data["kind"],
            target_id=data.validated_data["target_id"],
            category=data.validated_data["category"],
            reason=data.validated_data["reason"],
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
