"""WebSocket routes."""

from django.urls import path

from messaging.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/notifications/", LiveConsumer.as_asgi()),
    path("ws/conversations/<int:conversation_id>/", LiveConsumer.as_asgi()),
]
