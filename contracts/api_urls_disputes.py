from rest_framework.routers import SimpleRouter

from contracts import api_disputes

router = SimpleRouter()
router.register("disputes", api_disputes.DisputeViewSet, basename="api-dispute")

urlpatterns = router.urls
