"""Accounts API: tokens, me, skills, public freelancer profiles, my profile, organizations and their members."""

from collections.abc import Mapping

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.shortcuts import get_object_or_404
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.models import (
    FreelancerProfile,
    Membership,
    Organization,
    OrganizationInvitation,
    PortfolioItem,
    ProfileLanguage,
    Role,
    Skill,
)
from accounts.permissions import OrgPerm, has_org_perm
from accounts.services.auth import api_token_issue, api_token_revoke
from accounts.services.invitations import invitation_create
from accounts.services.organizations import member_change_role, member_remove, organization_update
from accounts.services.profiles import (
    portfolio_item_add,
    portfolio_item_delete,
    profile_update,
    user_update,
)
from kernel.errors import DomainError, NotFound, PermissionDenied
from kernel.files import FileUrlField
from kernel.money import CentsField
from kernel.transitions import AllowedTransitionsField

# The error body every endpoint may return (kernel.api_errors.exception_handler builds it).
ErrorSerializer = inline_serializer(
    "Error",
    fields={
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(required=False, child=serializers.ListField(child=serializers.CharField())),
    },
)


def _errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


# --- Token ---


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """POST: exchange e-mail and password for an API token (the same token each time until it is revoked).
    DELETE: revoke the token the call is made with (or the logged-in user's); a password change revokes it too."""

    def perform_authentication(self, request):
        # Asking for a token takes no other credentials: a stale token header or a session must not stand in the way.
        if request.method == "DELETE":
            super().perform_authentication(request)

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **_errors(400, 403, 429)},
        description="400 `invalid_credentials` for a wrong e-mail or password; 403 `email_not_verified` until the "
        "address is confirmed through the link we e-mailed; 429 `throttled` after repeated failures for "
        "the address or the account (the web login counts too).",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = api_token_issue(
            request=request._request, email=data.validated_data["email"], password=data.validated_data["password"]
        )
        return Response({"token": key})

    @extend_schema(request=None, responses={204: None, **_errors(401)})
    def delete(self, request):
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Skills ---


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "category"]


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Part of the skill's name."),
        OpenApiParameter("category", str, enum=Skill.Category.values),
    ]
)
class SkillListView(generics.ListAPIView):
    """The shared skill list, searchable (anyone may read it)."""

    serializer_class = SkillSerializer
    permission_classes = [AllowAny]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.skills_search(
            q=self.request.query_params.get("q", ""), category=self.request.query_params.get("category", "")
        )


# --- Profiles ---


class LanguageSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=settings.LANGUAGES)
    proficiency = serializers.ChoiceField(choices=ProfileLanguage.Proficiency.choices)
    name = serializers.CharField(read_only=True)


class PortfolioItemSerializer(serializers.ModelSerializer):
    image = FileUrlField(required=False, allow_null=True)

    class Meta:
        model = PortfolioItem
        fields = ["id", "title", "description", "url", "image", "created_at"]
        read_only_fields = ["id", "created_at"]

    def to_internal_value(self, data):
        # DRF's ImageField checks with Pillow too, but our rule (size limit, allowed formats, one message) is the
        # service's: take the raw file and let portfolio_item_add decide.
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's 400: "Invalid data. Expected a dictionary"
        image = data.get("image")
        values = super().to_internal_value({k: v for k, v in data.items() if k != "image"})
        if image and not isinstance(image, UploadedFile):
            raise serializers.ValidationError({"image": ["Send the image as a file (multipart/form-data)."]})
        if image:
            values["image"] = image
        return values


class PublicProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.display_name", read_only=True)
    skills = SkillSerializer(many=True, read_only=True)
    languages = LanguageSerializer(many=True, read_only=True)
    portfolio_items = PortfolioItemSerializer(many=True, read_only=True)
    country = CountryField(country_dict=False, required=False, allow_blank=True)

    class Meta:
        model = FreelancerProfile
        fields = [
            "id",
            "name",
            "headline",
            "overview",
            "hourly_rate_cents",
            "currency",
            "country",
            "timezone",
            "work_start",
            "work_end",
            "work_utc_start_minute",
            "work_minutes",
            "availability_hours_per_week",
            "experience_level",
            "job_success_score",
            "skills",
            "languages",
            "portfolio_items",
        ]
        read_only_fields = fields


@extend_schema(
    parameters=[
        OpenApiParameter("skill", str, description="A skill's id or slug."),
        OpenApiParameter("country", str, description="ISO 3166 country code, e.g. PT."),
    ]
)
class FreelancerViewSet(viewsets.ReadOnlyModelViewSet):
    """Public freelancer profiles: anyone, signed in or not, may read them."""

    serializer_class = PublicProfileSerializer
    permission_classes = [AllowAny]
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.public_profiles(skill=params.get("skill", ""), country=params.get("country", ""))

    @extend_schema(responses={200: PublicProfileSerializer, **_errors(404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class MyProfileSerializer(PublicProfileSerializer):
    """The owner's view and edit of a profile; the rules are the profile service's, as on the page."""

    skill_ids = serializers.PrimaryKeyRelatedField(
        source="skills", queryset=Skill.objects.all(), many=True, required=False, write_only=True
    )
    languages = LanguageSerializer(many=True, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    hourly_rate_cents = CentsField(required=False, allow_null=True)

    class Meta(PublicProfileSerializer.Meta):
        fields = [*PublicProfileSerializer.Meta.fields, "skill_ids"]
        read_only_fields = [
            "id",
            "name",
            "currency",
            "work_utc_start_minute",
            "work_minutes",
            "job_success_score",
            "skills",
            "portfolio_items",
        ]

    def update(self, instance, validated_data):
        kwargs = dict(validated_data)
        if "skills" in kwargs:
            kwargs["skill_ids"] = [s.pk for s in kwargs.pop("skills")]
        if "languages" in kwargs:
            kwargs["languages"] = [(lang["code"], lang["proficiency"]) for lang in kwargs["languages"]]
        return profile_update(profile=instance, **kwargs)


def _my_profile(request) -> FreelancerProfile:
    profile = selectors.freelancer_profile_of(request.user)
    if profile is None:
        raise DomainError("not_a_freelancer", "You have no freelancer profile: start freelancing first.", status=404)
    return profile


class MyProfileView(generics.GenericAPIView):
    serializer_class = MyProfileSerializer

    @extend_schema(responses={200: MyProfileSerializer, **_errors(401, 403, 404)})
    def get(self, request):
        return Response(self.get_serializer(_my_profile(request)).data)

    @extend_schema(responses={200: MyProfileSerializer, **_errors(400, 401, 403, 404)})
    def patch(self, request):
        serializer = self.get_serializer(_my_profile(request), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = serializer.save()
        return Response(self.get_serializer(selectors.freelancer_profile_of(profile.user)).data)


class PortfolioViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """My portfolio items; images are checked by content and size (settings.MAX_IMAGE_BYTES)."""

    serializer_class = PortfolioItemSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PortfolioItem.objects.none()
        return _my_profile(self.request).portfolio_items.all()

    @extend_schema(responses={201: PortfolioItemSerializer, **_errors(400, 401, 404, 409)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        item = portfolio_item_add(
            profile=_my_profile(request),
            title=d["title"],
            description=d.get("description", ""),
            url=d.get("url", ""),
            image=d.get("image"),
        )
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **_errors(401, 404)})
    def destroy(self, request, *args, **kwargs):
        portfolio_item_delete(profile=_my_profile(request), item_id=int(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Me ---


class MembershipSummarySerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization_id", "organization_name", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    is_freelancer = serializers.BooleanField(read_only=True)
    is_client = serializers.BooleanField(read_only=True)
    freelancer_profile_id = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    def get_freelancer_profile_id(self, user) -> int | None:
        profile = selectors.freelancer_profile_of(user)
        return profile.pk if profile else None

    @extend_schema_field(MembershipSummarySerializer(many=True))
    def get_memberships(self, user):
        return MembershipSummarySerializer(selectors.memberships_of(user), many=True).data


class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer

    @extend_schema(responses={200: MeSerializer, **_errors(401, 403)})
    def get(self, request):
        return Response(self.get_serializer(request.user).data)

    @extend_schema(responses={200: MeSerializer, **_errors(400, 401, 403)})
    def patch(self, request):
        serializer = self.get_serializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user_update(user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(request.user).data)


# --- Organizations ---


class OrganizationSerializer(serializers.ModelSerializer):
    country = CountryField(country_dict=False, required=False, allow_blank=True)
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "country", "timezone", "created_at", "my_role"]
        read_only_fields = ["id", "created_at", "my_role"]

    def get_my_role(self, organization) -> str | None:
        user_id = self.context["request"].user.pk
        return next((m.role for m in organization.memberships.all() if m.user_id == user_id), None)


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My organizations. Changing one needs the manage-organization permission of your role."""

    serializer_class = OrganizationSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.organizations_of(self.request.user).order_by("name", "id")

    @extend_schema(responses={200: OrganizationSerializer, **_errors(401, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=OrganizationSerializer, responses={200: OrganizationSerializer, **_errors(400, 401, 403, 404)}
    )
    def partial_update(self, request, pk=None):
        organization = selectors.organization_for(request.user, _int_or_404(pk))
        serializer = self.get_serializer(organization, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization_update(actor=request.user, organization_id=organization.pk, **serializer.validated_data)
        return Response(self.get_serializer(selectors.organization_for(request.user, organization.pk)).data)


def _int_or_404(value) -> int:
    if not str(value).isdigit():
        raise NotFound()
    return int(value)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "name", "email", "role", "created_at"]
        read_only_fields = ["id", "user_id", "name", "email", "created_at"]


class MemberViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Members of one of my organizations: anyone in it may list them; changing them needs manage-members."""

    serializer_class = MemberSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return selectors.members_of(self.request.user, _int_or_404(self.kwargs["organization_id"]))

    @extend_schema(request=MemberSerializer, responses={200: MemberSerializer, **_errors(400, 401, 403, 404, 409)})
    def partial_update(self, request, organization_id=None, pk=None):
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "role" not in serializer.validated_data:
            raise serializers.ValidationError({"role": ["This field is required."]})
        membership = member_change_role(
            actor=request.user,
            organization_id=_int_or_404(organization_id),
            membership_id=_int_or_404(pk),
            role=serializer.validated_data["role"],
        )
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=membership.pk)).data)

    @extend_schema(responses={204: None, **_errors(401, 403, 404, 409)})
    def destroy(self, request, organization_id=None, pk=None):
        member_remove(actor=request.user, organization_id=_int_or_404(organization_id), membership_id=_int_or_404(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    allowed_transitions = AllowedTransitionsField()

    class Meta:
        model = OrganizationInvitation
        fields = ["id", "email", "role", "status", "allowed_transitions", "created_at", "accepted_at"]
        read_only_fields = ["id", "status", "allowed_transitions", "created_at", "accepted_at"]


class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Invitations of one of my organizations (needs manage-members); the invitee gets an e-mail to accept."""

    serializer_class = InvitationSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrganizationInvitation.objects.none()
        organization_id = _int_or_404(self.kwargs["organization_id"])
        invitations = selectors.invitations_of(self.request.user, organization_id)
        if not has_org_perm(self.request.user, organization_id, OrgPerm.MANAGE_MEMBERS):
            raise PermissionDenied()
        return invitations

    @extend_schema(responses={201: InvitationSerializer, **_errors(400, 401, 403, 404, 409)})
    def create(self, request, organization_id=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = invitation_create(
            actor=request.user, organization_id=_int_or_404(organization_id), **serializer.validated_data
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)
