from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from contracts import admin_dashboard
from marketplace import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/dashboard/", admin_dashboard.dashboard, name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("jobs.urls")),
    path("", include("contracts.urls")),
    path("", include("payments.urls")),
    path("", include("messaging.urls")),
    path("api/v1/", include("marketplace.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += [
        path("dev/mailbox/", views.dev_mailbox, name="dev-mailbox"),
        path("dev/mailbox/<str:name>", views.dev_mailbox_message, name="dev-mailbox-message"),
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
