from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.search, name="search"),
    path("jobs/new/", views.create, name="create"),
    path("jobs/mine/", views.my_jobs, name="mine"),
    path("jobs/<int:job_id>/", views.detail, name="detail"),
    path("jobs/<int:job_id>/edit/", views.edit, name="edit"),
    path("jobs/<int:job_id>/publish/", views.publish, name="publish"),
    path("jobs/<int:job_id>/close/", views.close, name="close"),
    path("jobs/<int:job_id>/propose/", views.propose, name="propose"),
    path("jobs/<int:job_id>/proposals/", views.review, name="review"),
    path("proposals/", views.my_proposals, name="my_proposals"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:proposal_id>/shortlist/", views.proposal_shortlist, name="proposal_shortlist"),
    path("proposals/<int:proposal_id>/decline/", views.proposal_decline, name="proposal_decline"),
    path("proposals/<int:proposal_id>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:proposal_id>/message/", views.proposal_message, name="proposal_message"),
    path("job-invitations/", views.invitations, name="invitations"),
    path("job-invitations/new/", views.invite, name="invite"),
    path("job-invitations/<int:invitation_id>/accept/", views.invitation_accept, name="invitation_accept"),
    path("job-invitations/<int:invitation_id>/decline/", views.invitation_decline, name="invitation_decline"),
    path("talent/", views.talent, name="talent"),
    path("saved-searches/", views.saved_searches, name="saved_searches"),
    path("saved-searches/<int:saved_search_id>/delete/", views.saved_search_delete, name="saved_search_delete"),
]
