"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path, re_path

from kernel.api_errors import unknown_endpoint

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("messaging.api_urls")),
    # Last: any other path under /api/v1/, whatever the method, answers 404 in the API's error format (not an HTML
    # page, not the CSRF check's 403); a known endpoint without its trailing slash gets a 308 to it.
    re_path(r"^.*$", unknown_endpoint),
]
