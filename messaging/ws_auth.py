"""Who is on the other end of a WebSocket: the browser's session, or an API client's `Authorization: Token ...`
header (never a token in the URL, where it would end up in logs and browser history).

A browser's handshake must come from our own origin (cookies are sent cross-site, so an attacker's page could
otherwise open a socket as its visitor); a header-authenticated client sends no cookies, so the origin check
does not apply to it."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def _authorization(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _token_user(header: str):
    keyword, _, key = header.partition(" ")
    if keyword != TokenAuthentication.keyword or not key.strip():
        return AnonymousUser()
    try:
        user, _ = TokenAuthentication().authenticate_credentials(key.strip())
    except AuthenticationFailed:
        return AnonymousUser()
    return user


class TokenOrSessionAuth:
    def __init__(self, inner):
        self.session_app = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))
        self.inner = inner

    async def __call__(self, scope, receive, send):
        header = _authorization(scope)
        if header is None:
            return await self.session_app(scope, receive, send)
        return await self.inner({**scope, "user": await _token_user(header)}, receive, send)
