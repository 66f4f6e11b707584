from rest_framework.routers import SimpleRouter

from messaging import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("conversations", api.ConversationViewSet, basename="conversation")

urlpatterns = router.urls
