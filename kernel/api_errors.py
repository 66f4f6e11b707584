"""API building blocks shared by every app: the error format and the idempotency helper."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import DomainError, InvalidInput

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
    """Every API error is JSON `{code, detail}`; bad input adds `errors`, every field's messages (a serializer's, a
    service's InvalidInput, or a Django ValidationError a model or validator raised)."""
    if isinstance(exc, InvalidInput):
        body = {"code": exc.code, "detail": exc.detail, "errors": exc.errors} if exc.errors else None
        return Response(body or {"code": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "invalid", "detail": " ".join(exc.messages), "errors": errors}, status=400)
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


@csrf_exempt  # nothing here acts on the session; without it a POST would meet the CSRF check's 403 page first
def unknown_endpoint(request, *args, **kwargs):
    """Any path under /api/v1/ that no route takes: 404 in the API's error format, whatever the method. A known
    endpoint typed without its trailing slash is redirected with 308, which keeps the method and the body."""
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_endpoint:
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponseRedirect(request.path + "/" + (f"?{query}" if query else ""))
            response.status_code = 308
            return response
    return JsonResponse({"code": "not_found", "detail": "There is no such API endpoint."}, status=404)
