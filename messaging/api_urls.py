from django.urls import path

from kernel.routers import Router
from messaging import api

router = Router()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("conversations", api.ConversationViewSet, basename="conversation")
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = [
    path("notification-preferences/", api.NotificationPreferencesView.as_view(), name="notification-preferences"),
    *router.urls,
]
