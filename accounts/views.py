"""Account pages: the freelancer profile (edit and public), the organization page, invitations, adding a side."""

import zoneinfo
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors
from accounts.forms import (
    PROFILE_FIELD_NAMES,
    InvitationForm,
    LanguageFormSet,
    OrganizationForm,
    PortfolioItemForm,
    ProfileForm,
    RoleForm,
    StartHiringForm,
    timezone_choices,
)
from accounts.models import Role, Skill
from accounts.permissions import OrgPerm, may_manage_member, organization_ids_with, role_allows
from accounts.services import auth as auth_services
from accounts.services import invitations as invitation_services
from accounts.services import organizations as organization_services
from accounts.services import profiles as profile_services
from kernel.errors import DomainError, InvalidInput, NotFound
from kernel.pages import add_refusal, attempt


def _own_profile_or_404(request):
    profile = selectors.freelancer_profile_of(request.user)
    if profile is None:
        raise Http404("You have no freelancer profile yet.")
    return profile


def _language_initial(profile) -> list[dict]:
    return [{"code": lang.code, "proficiency": lang.proficiency} for lang in profile.languages.all()]


@login_required
def profile_edit(request):
    profile = _own_profile_or_404(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        languages = LanguageFormSet(request.POST, prefix="languages")
        if form.is_valid() and languages.is_valid():
            try:
                profile_services.profile_update(profile=profile, **form.service_kwargs(), languages=languages.pairs())
            except InvalidInput as exc:
                add_refusal(form, exc, field_names=PROFILE_FIELD_NAMES)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:profile_edit")
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(profile))
        languages = LanguageFormSet(initial=_language_initial(profile), prefix="languages")
    return _render_profile_edit(request, profile, form, languages, PortfolioItemForm())


def _render_profile_edit(request, profile, form, languages, portfolio_form, status=200):
    selected = {int(pk) for pk in (form["skills"].value() or []) if str(pk).isdigit()}
    context = {
        "profile": profile,
        "form": form,
        "languages": languages,
        "portfolio_form": portfolio_form,
        "selected_skills": Skill.objects.filter(pk__in=selected).order_by("name"),
        "skill_groups": _skill_groups(exclude=selected),
        "timezones": timezone_choices(),
        "completeness": selectors.profile_completeness(profile),
    }
    return render(request, "accounts/profile_edit.html", context, status=status)


def _skill_groups(exclude: set[int]) -> list[tuple[str, list[Skill]]]:
    labels = dict(Skill.Category.choices)
    groups: dict[str, list[Skill]] = {}
    for skill in Skill.objects.exclude(pk__in=exclude).order_by("category", "name"):
        groups.setdefault(skill.category, []).append(skill)
    return [(labels[c], skills) for c, skills in groups.items()]


@require_GET
@login_required
def skill_search(request):
    """htmx: skills matching ?skill_q= that the profile has not chosen yet, as checkboxes to tick."""
    query = request.GET.get("skill_q", "").strip()
    chosen = {int(pk) for pk in request.GET.getlist("skills") if pk.isdigit()}
    skills = selectors.skills_search(q=query).exclude(pk__in=chosen)[:20] if query else []
    return render(request, "accounts/partials/skill_results.html", {"skills": skills, "query": query})


@require_POST
@login_required
def portfolio_add(request):
    profile = _own_profile_or_404(request)
    portfolio_form = PortfolioItemForm(request.POST, request.FILES)
    if portfolio_form.is_valid():
        d = portfolio_form.cleaned_data
        try:
            profile_services.portfolio_item_add(
                profile=profile, title=d["title"], description=d["description"], url=d["url"], image=d["image"]
            )
        except InvalidInput as exc:
            add_refusal(portfolio_form, exc)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect(reverse("accounts:profile_edit") + "#portfolio")
        else:
            messages.success(request, "Portfolio item added.")
            return redirect(reverse("accounts:profile_edit") + "#portfolio")
    form = ProfileForm(initial=ProfileForm.initial_for(profile))
    languages = LanguageFormSet(initial=_language_initial(profile), prefix="languages")
    return _render_profile_edit(request, profile, form, languages, portfolio_form, status=400)


@require_POST
@login_required
def portfolio_delete(request, item_id: int):
    profile = _own_profile_or_404(request)
    try:
        profile_services.portfolio_item_delete(profile=profile, item_id=item_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, "Portfolio item removed.")
    return redirect(reverse("accounts:profile_edit") + "#portfolio")


def _window_in_zone(profile, zone) -> tuple[datetime, datetime]:
    """The freelancer's window today, as start and end datetimes in `zone` (from its stored UTC minutes)."""
    today = dj_timezone.now().astimezone(UTC).date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(minutes=profile.work_utc_start_minute)
    end = start + timedelta(minutes=profile.work_minutes)
    return start.astimezone(zone), end.astimezone(zone)


def freelancer_public(request, profile_id: int):
    try:
        profile = selectors.public_profile(profile_id)
    except NotFound as exc:
        raise Http404 from exc
    viewer_zone = dj_timezone.get_current_timezone()
    viewer_start, viewer_end = _window_in_zone(profile, viewer_zone)
    context = {
        "profile": profile,
        "viewer_zone_name": str(viewer_zone),
        "viewer_window": f"{viewer_start:%H:%M}–{viewer_end:%H:%M}",
        "own_window": f"{profile.work_start:%H:%M}–{profile.work_end:%H:%M}",
        "same_zone": str(viewer_zone) == profile.timezone,
        "is_owner": request.user.is_authenticated and profile.user_id == request.user.pk,
        "can_hire": profile.user_id != request.user.pk and bool(organization_ids_with(request.user, OrgPerm.HIRE)),
        "local_time_there": f"{dj_timezone.now().astimezone(zoneinfo.ZoneInfo(profile.timezone)):%H:%M}",
    }
    return render(request, "accounts/freelancer_public.html", context)


@login_required
def organization_home(request):
    """The organization link in the header: the user's first organization (each has its own page)."""
    membership = selectors.memberships_of(request.user).first()
    if membership is None:
        messages.info(request, "You are not part of an organization yet: start hiring to create one.")
        return redirect("dashboard")
    return redirect("accounts:organization_detail", organization_id=membership.organization_id)


def _organization_or_404(request, organization_id: int):
    try:
        return selectors.organization_for(request.user, organization_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def organization_detail(request, organization_id: int):
    organization = _organization_or_404(request, organization_id)
    my_role = next(m.role for m in organization.memberships.all() if m.user_id == request.user.pk)
    if request.method == "POST":
        form = OrganizationForm(request.POST)
        if form.is_valid() and attempt(
            request,
            lambda: organization_services.organization_update(
                actor=request.user, organization_id=organization.pk, **form.cleaned_data
            ),
            "Organization saved.",
        ):
            return redirect("accounts:organization_detail", organization_id=organization.pk)
    else:
        form = OrganizationForm(initial=OrganizationForm.initial_for(organization))
    return _render_organization(request, organization, my_role, form=form, invite_form=InvitationForm())


def _render_organization(request, organization, my_role, *, form, invite_form, status=200):
    grantable = [(value, label) for value, label in Role.choices if may_manage_member(my_role, value)]
    members = [
        {"membership": m, "manageable": may_manage_member(my_role, m.role) and m.user_id != request.user.pk}
        for m in organization.memberships.all()
    ]
    can_manage_members = role_allows(my_role, OrgPerm.MANAGE_MEMBERS)
    context = {
        "organization": organization,
        "my_role": my_role,
        "my_role_label": Role(my_role).label,
        "my_membership": next(m for m in organization.memberships.all() if m.user_id == request.user.pk),
        "can_manage_org": role_allows(my_role, OrgPerm.MANAGE_ORGANIZATION),
        "can_manage_members": can_manage_members,
        "form": form,
        "invite_form": invite_form,
        "grantable_roles": grantable,
        "members": members,
        "invitations": selectors.invitations_of(request.user, organization.pk) if can_manage_members else [],
        "timezones": timezone_choices(),
    }
    return render(request, "accounts/organization.html", context, status=status)


@require_POST
@login_required
def organization_invite(request, organization_id: int):
    organization = _organization_or_404(request, organization_id)
    form = InvitationForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        if attempt(
            request,
            lambda: invitation_services.invitation_create(
                actor=request.user, organization_id=organization.pk, **form.cleaned_data
            ),
            f"Invitation sent to {email}.",
        ):
            return redirect(reverse("accounts:organization_detail", args=[organization.pk]) + "#invitations")
        return redirect(reverse("accounts:organization_detail", args=[organization.pk]) + "#invitations")
    my_role = next(m.role for m in organization.memberships.all() if m.user_id == request.user.pk)
    return _render_organization(
        request,
        organization,
        my_role,
        form=OrganizationForm(initial=OrganizationForm.initial_for(organization)),
        invite_form=form,
        status=400,
    )


@require_POST
@login_required
def invitation_revoke(request, organization_id: int, invitation_id: int):
    _organization_or_404(request, organization_id)
    attempt(
        request,
        lambda: invitation_services.invitation_revoke(
            actor=request.user, organization_id=organization_id, invitation_id=invitation_id
        ),
        "Invitation revoked.",
    )
    return redirect(reverse("accounts:organization_detail", args=[organization_id]) + "#invitations")


@require_POST
@login_required
def member_role(request, organization_id: int, membership_id: int):
    _organization_or_404(request, organization_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: organization_services.member_change_role(
                actor=request.user,
                organization_id=organization_id,
                membership_id=membership_id,
                role=form.cleaned_data["role"],
            ),
            "Role changed.",
        )
    else:
        messages.error(request, "Choose a role from the list.")
    return redirect(reverse("accounts:organization_detail", args=[organization_id]) + "#members")


@require_POST
@login_required
def member_remove(request, organization_id: int, membership_id: int):
    _organization_or_404(request, organization_id)
    leaving = selectors.memberships_of(request.user).filter(pk=membership_id).exists()
    ok = attempt(
        request,
        lambda: organization_services.member_remove(
            actor=request.user, organization_id=organization_id, membership_id=membership_id
        ),
        "You left the organization." if leaving else "Member removed.",
    )
    if ok and leaving:
        return redirect("dashboard")
    return redirect(reverse("accounts:organization_detail", args=[organization_id]) + "#members")


def invitation_accept(request, token: str):
    try:
        invitation = selectors.invitation_by_token(token)
    except NotFound as exc:
        raise Http404 from exc
    if request.method == "POST" and request.user.is_authenticated:
        if attempt(
            request,
            lambda: invitation_services.invitation_accept(user=request.user, token=token),
            f"Welcome to {invitation.organization.name}.",
        ):
            return redirect("accounts:organization_detail", organization_id=invitation.organization_id)
        return redirect("accounts:invitation_accept", token=token)
    context = {
        "invitation": invitation,
        "role_label": Role(invitation.role).label,
        "next_url": request.get_full_path(),
    }
    return render(request, "accounts/invitation_accept.html", context)


@require_POST
@login_required
def start_freelancing(request):
    zone = request.user.timezone_name or "UTC"
    profile_services.freelancer_profile_create(user=request.user, timezone=zone)
    messages.success(request, "You can now work as a freelancer. Fill in your profile so clients can find you.")
    return redirect("accounts:profile_edit")


@require_POST
@login_required
def start_hiring(request):
    form = StartHiringForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give your business a name to start hiring.")
        return redirect("dashboard")
    organization = organization_services.organization_create(
        owner=request.user, name=form.cleaned_data["organization_name"], timezone=request.user.timezone_name or "UTC"
    )
    messages.success(request, f"{organization.name} is ready. Invite your colleagues or post a job.")
    return redirect("accounts:organization_detail", organization_id=organization.pk)


# --- API access ---


@login_required
def api_access(request):
    """What can call the API as this user: today one token (made by POST /api/v1/auth/token/), revocable here."""
    if request.method == "POST":
        if auth_services.api_token_revoke(user=request.user):
            messages.success(request, "Your API token is revoked: programs using it can no longer act for you.")
        return redirect("accounts:api_access")
    return render(request, "accounts/api_access.html", {"token": auth_services.api_token_of(request.user)})
