from django.urls import path

from contracts import views_disputes as views

urlpatterns = [
    path("disputes/", views.dispute_list, name="dispute_list"),
    path("disputes/<int:dispute_id>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/<int:dispute_id>/evidence/", views.dispute_evidence, name="dispute_evidence"),
    path("disputes/<int:dispute_id>/settle/", views.settlement_propose, name="settlement_propose"),
    path("disputes/<int:dispute_id>/offers/<int:offer_id>/accept/", views.settlement_accept, name="settlement_accept"),
    path(
        "disputes/<int:dispute_id>/offers/<int:offer_id>/decline/", views.settlement_decline, name="settlement_decline"
    ),
    path("contracts/milestones/<int:milestone_id>/dispute/", views.dispute_open, name="dispute_open"),
]
