"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("messaging.api_urls")),
]
