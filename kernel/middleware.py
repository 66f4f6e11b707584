import zoneinfo

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone


class RejectNulBytesMiddleware:
    """PostgreSQL refuses NUL in text, and forms and serializers refuse it in what they read; a path or query
    string carrying one (`?country=a%00b`) is refused here, before any view hands it to a query, with a 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, vs in request.GET.lists() for v in vs):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid_input", "detail": "NUL bytes are not allowed."}, status=400)
            return HttpResponseBadRequest("NUL bytes are not allowed.")
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the viewer's own zone: the profile's, else the organization's, else UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = getattr(request.user, "timezone_name", None) if request.user.is_authenticated else None
        if tz_name:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """One strict CSP for every page: our own scripts and styles only (htmx is served from static/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The API docs page (Swagger UI from the sidecar) runs an inline bootstrap script.
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response


# Stripe.js (card collection) loads from js.stripe.com, talks to api.stripe.com and frames its card fields:
# allowed only when Stripe keys are configured, so the sandbox keeps the strict 'self'-only policy.
_STRIPE_SOURCES = {
    "script-src": "https://js.stripe.com",
    "frame-src": "https://js.stripe.com https://hooks.stripe.com",
    "connect-src": "https://api.stripe.com",
}


def content_security_policy() -> str:
    if not settings.STRIPE_PUBLISHABLE_KEY:
        return settings.CSP_POLICY
    directives = dict(part.strip().split(" ", 1) for part in settings.CSP_POLICY.split(";") if part.strip())
    for name, sources in _STRIPE_SOURCES.items():
        directives[name] = directives.get(name, "'self'") + " " + sources
    return "; ".join(f"{name} {value}" for name, value in directives.items())
