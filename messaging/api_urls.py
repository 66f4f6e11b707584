from kernel.routers import Router
from messaging import api

router = Router()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("conversations", api.ConversationViewSet, basename="conversation")

urlpatterns = router.urls
