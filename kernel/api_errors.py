"""API building blocks shared by every app: the error format and the idempotency helper."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import DomainError

# DRF's own exceptions get a stable code derived from their class.
_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc, context):
    """Every API error is JSON `{code, detail}`; validation errors add `errors` with the per-field messages."""
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": code, "detail": "Some fields are not valid.", "errors": exc.detail}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        response.data = {"code": code, "detail": str(exc.detail)}
    return response


@csrf_exempt  # an API path: it answers 404 in JSON to every method, a DELETE included
def unknown_endpoint(request, *args, **kwargs):
    return JsonResponse({"code": "not_found", "detail": "There is no such API endpoint."}, status=404)
