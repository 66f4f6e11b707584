from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile_edit, name="profile_edit"),
    path("profile/skills/search/", views.skill_search, name="skill_search"),
    path("profile/portfolio/", views.portfolio_add, name="portfolio_add"),
    path("profile/portfolio/<int:item_id>/delete/", views.portfolio_delete, name="portfolio_delete"),
    path("freelancers/<int:profile_id>/", views.freelancer_public, name="freelancer_public"),
    path("organization/", views.organization_home, name="organization"),
    path("organizations/<int:organization_id>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:organization_id>/invite/", views.organization_invite, name="organization_invite"),
    path(
        "organizations/<int:organization_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:membership_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("start-freelancing/", views.start_freelancing, name="start_freelancing"),
    path("start-hiring/", views.start_hiring, name="start_hiring"),
    path("api-access/", views.api_access, name="api_access"),
]
