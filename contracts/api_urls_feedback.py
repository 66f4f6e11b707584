from django.urls import path

from contracts import api_feedback

urlpatterns = [
    path(
        "contracts/<int:contract_id>/feedback/",
        api_feedback.ContractFeedbackView.as_view(),
        name="api-contract-feedback",
    ),
    path(
        "freelancers/<int:profile_id>/work-history/",
        api_feedback.WorkHistoryView.as_view(),
        name="api-freelancer-work-history",
    ),
]
