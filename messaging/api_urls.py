from django.urls import path
from rest_framework.routers import SimpleRouter

from messaging import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("conversations", api.ConversationViewSet, basename="conversation")

urlpatterns = [
    path("notification-preferences/", api.NotificationPreferencesView.as_view(), name="notification-preferences"),
    *router.urls,
]
