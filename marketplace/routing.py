"""WebSocket routes; the messaging app adds its consumers here."""

websocket_urlpatterns: list = []
