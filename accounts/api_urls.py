from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-auth-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/profile/", api.MyProfileView.as_view(), name="api-me-profile"),
    path(
        "me/profile/portfolio/",
        api.PortfolioViewSet.as_view({"get": "list", "post": "create"}),
        name="api-me-portfolio",
    ),
    path(
        "me/profile/portfolio/<int:pk>/",
        api.PortfolioViewSet.as_view({"delete": "destroy"}),
        name="api-me-portfolio-item",
    ),
    path("skills/", api.SkillListView.as_view(), name="api-skills"),
    path("freelancers/", api.FreelancerViewSet.as_view({"get": "list"}), name="api-freelancers"),
    path("freelancers/<int:pk>/", api.FreelancerViewSet.as_view({"get": "retrieve"}), name="api-freelancer"),
    path("organizations/", api.OrganizationViewSet.as_view({"get": "list"}), name="api-organizations"),
    path(
        "organizations/<int:pk>/",
        api.OrganizationViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-organization",
    ),
    path(
        "organizations/<int:organization_id>/members/",
        api.MemberViewSet.as_view({"get": "list"}),
        name="api-organization-members",
    ),
    path(
        "organizations/<int:organization_id>/members/<int:pk>/",
        api.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="api-organization-member",
    ),
    path(
        "organizations/<int:organization_id>/invitations/",
        api.InvitationViewSet.as_view({"get": "list", "post": "create"}),
        name="api-organization-invitations",
    ),
]
