"""/api/v1/ for messaging: conversations you take part in, their messages, and your notifications."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.pagination import CappedLimitOffsetPagination
from messaging import selectors, services
from messaging.models import Conversation, Message, Notification

ERROR = inline_serializer("MessagingError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "reference", "read_at", "created_at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    sender_name = serializers.CharField(source="sender.display_name", read_only=True, default=None)

    class Meta:
        model = Message
        fields = ["id", "sender", "sender_name", "body", "created_at"]
        read_only_fields = ["id", "sender", "sender_name", "created_at"]


class ConversationSerializer(serializers.ModelSerializer):
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = ["id", "reference", "title", "participants", "created_at", "last_message_at"]
        read_only_fields = fields

    def get_participants(self, conversation) -> list[int]:
        return [p.user_id for p in conversation.participants.all()]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(self.request.user)

    @extend_schema(
        request=None, responses=inline_serializer("MarkedRead", fields={"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        return Response({"marked": services.notifications_mark_read(user=request.user)})


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConversationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Conversation.objects.none()
        return selectors.conversations_of(self.request.user)

    @extend_schema(methods=["GET"], responses=MessageSerializer(many=True), operation_id="conversations_messages_list")
    @extend_schema(
        methods=["POST"],
        request=MessageSerializer,
        responses={201: MessageSerializer, 400: ERROR, 404: ERROR},
        operation_id="conversations_messages_create",
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        conversation = selectors.conversation_get(user=request.user, conversation_id=int(pk))
        if conversation is None:
            raise Http404
        if request.method == "POST":
            data = MessageSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.message_post(
                conversation_id=conversation.pk, sender=request.user, body=data.validated_data["body"]
            )
            return Response(MessageSerializer(message).data, status=201)
        paginator = CappedLimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.messages_of(conversation=conversation), request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)
