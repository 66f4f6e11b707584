from django.urls import include, path
from rest_framework.routers import SimpleRouter

from contracts import api

router = SimpleRouter()
router.register("offers", api.OfferViewSet, basename="api-offer")
router.register("contracts", api.ContractViewSet, basename="api-contract")
router.register("milestones", api.MilestoneViewSet, basename="api-milestone")

urlpatterns = [
    path(
        "contracts/<int:contract_id>/milestones/",
        api.ContractMilestoneViewSet.as_view({"get": "list", "post": "create"}),
        name="api-contract-milestones",
    ),
    *router.urls,
    path("", include("contracts.api_urls_feedback")),
    path("", include("contracts.api_urls_disputes")),
]
