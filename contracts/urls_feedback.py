from django.urls import path

from contracts import views_feedback

urlpatterns = [
    path("contracts/<int:contract_id>/feedback/", views_feedback.feedback, name="feedback"),
]
