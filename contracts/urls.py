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
    # Hourly contracts
    path("contracts/<int:contract_id>/timer/", views.timer_state, name="timer_state"),
    path("contracts/<int:contract_id>/timer/start/", views.timer_start, name="timer_start"),
    path("contracts/<int:contract_id>/timer/stop/", views.timer_stop, name="timer_stop"),
    path("contracts/<int:contract_id>/time/add/", views.entry_add, name="entry_add"),
    path("contracts/<int:contract_id>/weekly-update/", views.weekly_update, name="weekly_update"),
    path("contracts/<int:contract_id>/pause/", views.contract_pause, name="contract_pause"),
    path("contracts/<int:contract_id>/resume/", views.contract_resume, name="contract_resume"),
    path("contracts/<int:contract_id>/terms/", views.contract_terms, name="contract_terms"),
    path("contracts/<int:contract_id>/bonus/", views.bonus_pay, name="bonus_pay"),
    path("contracts/time/<int:entry_id>/edit/", views.entry_edit, name="entry_edit"),
    path("contracts/time/<int:entry_id>/delete/", views.entry_delete, name="entry_delete"),
    path("contracts/timesheets/<int:timesheet_id>/", views.timesheet_detail, name="timesheet_detail"),
    path("contracts/timesheets/<int:timesheet_id>/dispute/", views.timesheet_dispute, name="timesheet_dispute"),
    path("contracts/documents/<int:document_id>/", views.document_detail, name="document_detail"),
    path("contracts/documents/<int:document_id>/csv/", views.document_csv, name="document_csv"),
    path("contracts/documents/<int:document_id>/pdf/", views.document_pdf, name="document_pdf"),
    path("", include("contracts.urls_feedback")),
    path("", include("contracts.urls_disputes")),
]
