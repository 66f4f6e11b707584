from django.urls import include, path

from contracts import views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:contract_id>/end/", views.contract_end, name="contract_end"),
    path("contracts/<int:contract_id>/milestones/add/", views.milestone_add, name="milestone_add"),
    path("contracts/offers/", views.offers_mine, name="offers"),
    path("contracts/offers/new/", views.offer_new, name="offer_new"),
    path("contracts/offers/<int:offer_id>/", views.offer_detail, name="offer_detail"),
    path("contracts/offers/<int:offer_id>/accept/", views.offer_accept, name="offer_accept"),
    path("contracts/offers/<int:offer_id>/decline/", views.offer_decline, name="offer_decline"),
    path("contracts/offers/<int:offer_id>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("contracts/milestones/<int:milestone_id>/fund/", views.milestone_fund, name="milestone_fund"),
    path("contracts/milestones/<int:milestone_id>/submit/", views.milestone_submit, name="milestone_submit"),
    path("contracts/milestones/<int:milestone_id>/approve/", views.milestone_approve, name="milestone_approve"),
    path(
        "contracts/milestones/<int:milestone_id>/request-changes/",
        views.milestone_request_changes,
        name="milestone_request_changes",
    ),
    path(
        "contracts/milestones/<int:milestone_id>/request-refund/",
        views.milestone_request_refund,
        name="milestone_request_refund",
    ),
    path(
        "contracts/milestones/<int:milestone_id>/agree-refund/",
        views.milestone_agree_refund,
        name="milestone_agree_refund",
    ),
    path(
        "contracts/milestones/<int:milestone_id>/reject-refund/",
        views.milestone_reject_refund,
        name="milestone_reject_refund",
    ),
    path("contracts/files/<int:file_id>/", views.submission_file, name="submission_file"),
    path("", include("contracts.urls_feedback")),
    path("", include("contracts.urls_disputes")),
]
