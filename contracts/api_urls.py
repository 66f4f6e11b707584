from django.urls import include, path

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
    path(
        "contracts/<int:contract_id>/time-entries/",
        api.TimeEntryViewSet.as_view({"get": "list", "post": "create"}),
        name="api-contract-time-entries",
    ),
    path(
        "contracts/<int:contract_id>/time-entries/timer/start/",
        api.TimeEntryViewSet.as_view({"post": "timer_start"}),
        name="api-contract-timer-start",
    ),
    path(
        "contracts/<int:contract_id>/time-entries/timer/stop/",
        api.TimeEntryViewSet.as_view({"post": "timer_stop"}),
        name="api-contract-timer-stop",
    ),
    path(
        "contracts/<int:contract_id>/time-entries/<int:entry_id>/",
        api.TimeEntryViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="api-contract-time-entry",
    ),
    path(
        "contracts/<int:contract_id>/timesheets/",
        api.TimesheetViewSet.as_view({"get": "list"}),
        name="api-contract-timesheets",
    ),
    path(
        "contracts/<int:contract_id>/timesheets/<int:timesheet_id>/",
        api.TimesheetViewSet.as_view({"get": "retrieve"}),
        name="api-contract-timesheet",
    ),
    path(
        "contracts/<int:contract_id>/timesheets/<int:timesheet_id>/dispute/",
        api.TimesheetViewSet.as_view({"post": "dispute"}),
        name="api-contract-timesheet-dispute",
    ),
    path(
        "contracts/<int:contract_id>/bonuses/",
        api.BonusViewSet.as_view({"get": "list", "post": "create"}),
        name="api-contract-bonuses",
    ),
    path(
        "contracts/<int:contract_id>/updates/",
        api.WeeklyUpdateViewSet.as_view({"get": "list", "post": "create"}),
        name="api-contract-updates",
    ),
    *router.urls,
    path("", include("contracts.api_urls_feedback")),
    path("", include("contracts.api_urls_disputes")),
]
