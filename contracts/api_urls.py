from django.urls import path

from contracts import api
from kernel.routers import Router

router = Router()
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
]
