import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs the app registry loaded above)

from marketplace.routing import websocket_urlpatterns  # noqa: E402
from messaging.ws_auth import TokenOrSessionAuth  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": TokenOrSessionAuth(URLRouter(websocket_urlpatterns))}
)
