from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from contracts import admin_dashboard
from kernel import files
from marketplace import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/dashboard/", admin_dashboard.dashboard, name="admin-dashboard"),
    path("admin/", admin.site.urls),
    # Every stored file, served to whoever may read the row holding it (each app registers who that is).
    path("files/<str:kind>/<int:pk>/", files.serve, name="file"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("jobs.urls")),
    path("", include("contracts.urls")),
    path("", include("payments.urls")),
    path("", include("messaging.urls")),
    path("api/v1/", include("marketplace.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # 404 unless DEV_MAILBOX is on, and then for staff only (the views check, on every request).
    path("dev/mailbox/", views.dev_mailbox, name="dev-mailbox"),
    path("dev/mailbox/<str:name>", views.dev_mailbox_message, name="dev-mailbox-message"),
]
