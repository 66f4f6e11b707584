"""Job pages: parse input, call one service or selector, render. Domain errors become messages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import OrgPerm
from jobs import forms, selectors
from jobs.models import Job, Proposal
from jobs.search.params import JobSearchForm, TalentSearchForm
from jobs.search.query import job_search, talent_search
from jobs.services import invitations as invitation_services
from jobs.services import jobs as job_services
from jobs.services import proposals as proposal_services
from jobs.services import saved_searches as saved_search_services
from kernel.errors import DomainError
from kernel.pages import add_refusal, form_action, show_refusal

# Service argument names → this app's form field names, for refusals shown beside the fields.
FORM_FIELDS = {
    "skill_ids": "skills",
    "rate_min_cents": "rate_min",
    "rate_max_cents": "rate_max",
    "fixed_amount_cents": "fixed_amount",
    "rate_cents": "rate",
    "bid_cents": "bid",
}


def _job_or_404(request, job_id: int) -> Job:
    job = selectors.job_get(user=request.user, job_id=job_id)
    if job is None:
        raise Http404
    return job


def _form_page(request, form, save, template: str, context: dict):
    """A form's page: once it is posted and valid, `save()` answers (a refused rule becomes a form error);
    otherwise the page again, with status 400 when the form has errors."""
    if request.method == "POST" and form.is_valid():
        try:
            return save()
        except DomainError as exc:
            add_refusal(form, exc, field_names=FORM_FIELDS)
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


# --- Job search (freelancers) ---


# One URL answers with a whole page or, to htmx, only the results: caches (the browser's, for the back button) must
# keep the two apart, or going back shows the bare results without the page around them.
@login_required
@vary_on_headers("HX-Request")
def search(request):
    form = JobSearchForm(request.GET or None)
    params = form.params()
    page = job_search(params=params, user=request.user)
    context = {
        "form": form,
        "page": page,
        "query": params.to_query(),
        "has_profile": selectors.freelancer_window(request.user) is not None,
        "save_form": forms.SavedSearchForm(initial={"query": params.to_query()}),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "jobs/partials/search_results.html" if partial else "jobs/search.html"
    return render(request, template, context)


# --- Job pages ---


def detail(request, job_id: int):
    job = _job_or_404(request, job_id)
    context = {
        "job": job,
        "can_manage": request.user.is_authenticated and selectors.can(request.user, job, OrgPerm.POST_JOBS),
        "can_review": request.user.is_authenticated and selectors.can(request.user, job, OrgPerm.VIEW),
        "my_proposal": selectors.live_proposal_of(user=request.user, job=job),
        "invitation": selectors.invitation_of(user=request.user, job=job),
        "close_form": forms.CloseJobForm(),
    }
    return render(request, "jobs/detail.html", context)


def _organization_field(request, form):
    from django import forms as django_forms

    organizations = selectors.organizations_for_posting(request.user)
    form.fields["organization"] = django_forms.ModelChoiceField(
        queryset=organizations, empty_label=None, label="Post for", initial=organizations.first()
    )
    form.order_fields(["organization"])
    return organizations


@login_required
def create(request):
    form = forms.JobForm(request.POST or None, request.FILES or None)
    organizations = _organization_field(request, form)
    if not organizations.exists():
        if request.user.is_client:
            # A member whose role cannot post (finance, member) needs to know it is the role, not the membership.
            messages.error(
                request,
                "Your role in your organization does not include posting jobs: an owner or admin can make you a "
                "hiring manager.",
            )
        else:
            messages.error(request, "Join or start an organization that can post jobs first.")
        return redirect("dashboard")
    if not request.POST:
        first = organizations.first()
        form.initial.update(
            {"timezone": first.timezone, "budget_type": Job.BudgetType.HOURLY, "visibility": Job.Visibility.PUBLIC}
        )
        form.initial.setdefault("work_start", "09:00")
        form.initial.setdefault("work_end", "17:00")

    def save():
        job = job_services.job_create(
            user=request.user,
            organization_id=form.cleaned_data["organization"].pk,
            fields=form.to_fields(),
            attachments=form.cleaned_data["attachments"],
        )
        if "publish" in request.POST:
            return _publish(request, job.pk)
        messages.success(request, "Draft saved. Publish it when it is ready.")
        return redirect("jobs:detail", job.pk)

    return _form_page(request, form, save, "jobs/form.html", {"job": None})


@login_required
def edit(request, job_id: int):
    job = _job_or_404(request, job_id)
    try:
        job_services.job_check_editor(user=request.user, job=job)
    except DomainError as exc:
        show_refusal(request, exc)
    form = forms.JobForm(request.POST or None, request.FILES or None, initial=forms.JobForm.initial_for(job))

    def save():
        job_services.job_update(user=request.user, job_id=job.pk, fields=form.to_fields())
        for uploaded in form.cleaned_data["attachments"]:
            job_services.job_attachment_add(user=request.user, job_id=job.pk, uploaded=uploaded)
        messages.success(request, "Job saved.")
        return redirect("jobs:detail", job.pk)

    return _form_page(request, form, save, "jobs/form.html", {"job": job})


def _publish(request, job_id: int):
    return form_action(
        request,
        None,
        lambda: job_services.job_publish(user=request.user, job_id=job_id),
        success="Your job is open: freelancers can find it and send proposals.",
        redirect_to=reverse("jobs:detail", args=[job_id]),
    )


@login_required
@require_POST
def publish(request, job_id: int):
    return _publish(request, job_id)


@login_required
@require_POST
def close(request, job_id: int):
    form = forms.CloseJobForm(request.POST)
    return form_action(
        request,
        form,
        lambda: job_services.job_close(user=request.user, job_id=job_id, **form.cleaned_data),
        success="The job is closed.",
        redirect_to=reverse("jobs:detail", args=[job_id]),
        invalid="Say whether the job was filled or cancelled.",
    )


@login_required
def my_jobs(request):
    status = request.GET.get("status", "")
    if status not in Job.Status.values:
        status = ""
    context = {
        "jobs": selectors.organization_jobs(user=request.user, status=status),
        "status": status,
        "statuses": Job.Status.choices,
        "can_post": selectors.organizations_for_posting(request.user).exists(),
    }
    return render(request, "jobs/my_jobs.html", context)


# --- Proposals ---


@login_required
def propose(request, job_id: int):
    job = _job_or_404(request, job_id)
    existing = selectors.live_proposal_of(user=request.user, job=job)
    if existing is not None and request.method == "GET":
        # Only one live proposal per job: an empty form here could only end in a refusal after all the typing.
        messages.info(request, "You already have a proposal for this job: here it is.")
        return redirect("jobs:proposal_detail", existing.pk)
    form = forms.ProposalForm(request.POST or None, request.FILES or None, job=job)

    def save():
        proposal = proposal_services.proposal_submit(user=request.user, job_id=job.pk, **form.service_kwargs())
        messages.success(request, "Proposal sent.")
        return redirect("jobs:proposal_detail", proposal.pk)

    return _form_page(request, form, save, "jobs/propose.html", {"job": job})


@login_required
def review(request, job_id: int):
    job = _job_or_404(request, job_id)
    if not selectors.can(request.user, job, OrgPerm.VIEW):
        raise Http404
    sort = request.GET.get("sort", "newest")
    context = {
        "job": job,
        "rows": selectors.with_overlap(selectors.proposals_for_review(user=request.user, job=job, sort=sort), job),
        "sort": sort,
        "sorts": [("newest", "Newest"), ("rate", "Rate or bid"), ("score", "Job success"), ("overlap", "Overlap")],
        "can_hire": selectors.can(request.user, job, OrgPerm.HIRE),
    }
    return render(request, "jobs/review.html", context)


@login_required
def proposal_detail(request, proposal_id: int):
    proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    if proposal is None:
        raise Http404
    context = {
        "proposal": proposal,
        "is_author": proposal.freelancer.user_id == request.user.pk,
        "can_hire": selectors.can(request.user, proposal.job, OrgPerm.HIRE),
    }
    return render(request, "jobs/proposal_detail.html", context)


def _proposal_action(request, proposal_id: int, service, success: str, next_url: str | None = None):
    return form_action(
        request,
        None,
        lambda: service(user=request.user, proposal_id=proposal_id),
        success=success,
        redirect_to=next_url or reverse("jobs:proposal_detail", args=[proposal_id]),
    )


def _safe_next(request) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    return target if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else None


@login_required
@require_POST
def proposal_shortlist(request, proposal_id: int):
    return _proposal_action(
        request, proposal_id, proposal_services.proposal_shortlist, "Shortlisted.", _safe_next(request)
    )


@login_required
@require_POST
def proposal_decline(request, proposal_id: int):
    return _proposal_action(
        request, proposal_id, proposal_services.proposal_decline, "Proposal declined.", _safe_next(request)
    )


@login_required
@require_POST
def proposal_withdraw(request, proposal_id: int):
    return _proposal_action(request, proposal_id, proposal_services.proposal_withdraw, "Proposal withdrawn.")


@login_required
@require_POST
def proposal_message(request, proposal_id: int):
    """The conversation about a proposal (opened when it was sent; opened here for proposals sent before)."""
    try:
        conversation = proposal_services.proposal_conversation(user=request.user, proposal_id=proposal_id)
    except DomainError as exc:
        show_refusal(request, exc)
    return redirect("messaging:conversation", conversation.pk)


@login_required
def my_proposals(request):
    proposals = selectors.proposals_of_freelancer(request.user)
    return render(request, "jobs/my_proposals.html", {"proposals": proposals, "live": Proposal.LIVE})


# --- Invitations ---


@login_required
def invitations(request):
    return render(request, "jobs/invitations.html", {"invitations": selectors.invitations_of_freelancer(request.user)})


@login_required
@require_POST
def invitation_accept(request, invitation_id: int):
    return form_action(
        request,
        None,
        lambda: invitation_services.invitation_accept(user=request.user, invitation_id=invitation_id),
        success="Invitation accepted: write your proposal.",
        redirect_to="jobs:invitations",
        success_to=lambda invitation: reverse("jobs:propose", args=[invitation.job_id]),
    )


@login_required
@require_POST
def invitation_decline(request, invitation_id: int):
    return form_action(
        request,
        None,
        lambda: invitation_services.invitation_decline(user=request.user, invitation_id=invitation_id),
        success="Invitation declined.",
        redirect_to="jobs:invitations",
    )


@login_required
@require_POST
def invite(request):
    form = forms.InvitationForm(request.POST)
    return form_action(
        request,
        form,
        lambda: invitation_services.invitation_create(
            user=request.user,
            job_id=form.cleaned_data["job"],
            freelancer_id=form.cleaned_data["freelancer"],
            message=form.cleaned_data["message"],
        ),
        success="Invitation sent.",
        redirect_to=lambda: _safe_next(request) or reverse("jobs:detail", args=[form.cleaned_data["job"]]),
        invalid="Choose a job and a freelancer to invite.",
        invalid_to="jobs:talent",
    )


# --- Talent search (clients) ---


@login_required
@vary_on_headers("HX-Request")
def talent(request):
    default_zone = selectors.default_timezone_of(request.user)
    initial = {"timezone": default_zone, "work_start": "09:00", "work_end": "17:00"}
    form = TalentSearchForm(request.GET or None, initial=initial)
    params = form.params(default_timezone=default_zone)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": talent_search(params=params),
        "query": query.urlencode(),
        "open_jobs": selectors.jobs_to_invite_to(request.user),
        "timezone": params.timezone,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "jobs/partials/talent_results.html" if partial else "jobs/talent.html"
    return render(request, template, context)


# --- Saved searches ---


@login_required
def saved_searches(request):
    if request.method == "POST":
        form = forms.SavedSearchForm(request.POST)
        return form_action(
            request,
            form,
            lambda: saved_search_services.saved_search_create(user=request.user, **form.cleaned_data),
            success="Search saved: we will tell you about new matching jobs.",
            redirect_to="jobs:saved_searches",
            invalid="Give the search a name.",
        )
    return render(request, "jobs/saved_searches.html", {"searches": selectors.saved_searches_of(request.user)})


@login_required
@require_POST
def saved_search_delete(request, saved_search_id: int):
    return form_action(
        request,
        None,
        lambda: saved_search_services.saved_search_delete(user=request.user, saved_search_id=saved_search_id),
        success="Saved search deleted.",
        redirect_to="jobs:saved_searches",
    )
