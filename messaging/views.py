"""Messaging pages: the inbox, a conversation (live over WebSocket, with an htmx polling fallback), reports,
notifications and e-mail preferences; message files are served by kernel.files. Each view parses, calls one
service or selector, and renders."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kernel.errors import DomainError, NotFound
from kernel.pages import add_refusal
from kernel.refs import Kind, parse_ref, ref
from messaging import selectors, services
from messaging.forms import MessageForm, PreferencesForm, ReportForm


def _conversation_or_404(request, conversation_id: int):
    found = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    if found is None:
        raise Http404
    return found


@login_required
def conversations(request):
    q = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    return render(
        request, "messaging/conversations.html", {"conversations": selectors.inbox_of(request.user, q=q), "q": q}
    )


@login_required
def conversation(request, conversation_id: int):
    found = _conversation_or_404(request, conversation_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.message_post(
                conversation_id=found.pk,
                sender=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            if request.htmx:
                response = render(request, "messaging/partials/message_form.html", {"form": MessageForm()})
                response.headers["HX-Trigger"] = "message-sent"
                return response
            if message.status == message.Status.HELD:
                messages.warning(request, message.held_explanation)
            return redirect("messaging:conversation", found.pk)
    if request.htmx and request.method == "POST":
        return render(request, "messaging/partials/message_form.html", {"form": form})
    services.conversation_mark_read(conversation_id=found.pk, user=request.user)
    context = {
        "conversation": found,
        "messages_list": selectors.messages_of(conversation=found, user=request.user),
        "people": selectors.people_in(found),
        "seen_by": selectors.seen_by(conversation=found, user=request.user),
        "about_url": _about_url(found),
        "form": form,
    }
    return render(request, "messaging/conversation.html", context, status=400 if form.errors else 200)


_ABOUT_PAGES = {Kind.CONTRACT: "contracts:contract_detail", Kind.PROPOSAL: "jobs:proposal_detail"}


def _about_url(conversation) -> str:
    parsed = parse_ref(conversation.reference or "")
    return reverse(_ABOUT_PAGES[parsed[0]], args=[parsed[1]]) if parsed and parsed[0] in _ABOUT_PAGES else ""


@login_required
def conversation_messages(request, conversation_id: int):
    """The messages after `after` (a message id), for the live update and the polling fallback; reading them
    here is reading them, so the read receipt moves."""
    found = _conversation_or_404(request, conversation_id)
    after = request.GET.get("after", "")
    after_id = int(after) if after.isascii() and after.isdigit() and len(after) < 19 else 0
    services.conversation_mark_read(conversation_id=found.pk, user=request.user)
    new = selectors.messages_of(conversation=found, user=request.user, after_id=after_id)
    return render(request, "messaging/partials/messages.html", {"messages_list": new, "conversation": found})


@login_required
def about(request, kind: str, object_id: int):
    """The conversation about a contract or proposal, for links from their pages (404 if it is not yours)."""
    if kind not in _ABOUT_PAGES:
        raise Http404
    found = selectors.conversation_by_reference(user=request.user, reference=ref(kind, object_id))
    if found is None:
        raise Http404
    return redirect("messaging:conversation", found.pk)


@login_required
@require_POST
def direct(request, user_id: int):
    try:
        found = services.direct_conversation_open(user=request.user, other_id=user_id)
    except NotFound:
        raise Http404 from None
    return redirect("messaging:conversation", found.pk)


@login_required
def report(request):
    """Report a job, a profile or a message to staff (`?target=job:12`). The small forms beside each of them post
    here; an invalid one comes back as this page with its errors."""
    source = request.POST if request.method == "POST" else request.GET
    target = source.get("target", "")
    parsed = parse_ref(target)
    try:
        found = parsed and selectors.reportable_for(request.user, *parsed)
    except LookupError:
        found = None
    if not found:
        raise Http404
    form = ReportForm(request.POST or None, initial={"target": target, "next": source.get("next", "")})
    if form.is_valid():
        kind, pk = parsed
        data = form.cleaned_data
        try:
            services.report_create(
                reporter=request.user, kind=kind, target_id=pk, category=data["category"], reason=data["reason"]
            )
        except DomainError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Thank you: staff will look at it, and we will tell you when they have.")
            return redirect(_local(request, data["next"]) or "home")
    return render(request, "messaging/report.html", {"form": form, "found": found})


def _local(request, url: str) -> str:
    """`url` if it is a page of this site, else ""."""
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else ""


@login_required
def notifications(request):
    shown = list(selectors.notifications_of(request.user)[:100])
    return render(request, "messaging/notifications.html", {"notifications": shown})


@login_required
@require_POST
def notifications_mark_read(request):
    """Mark one notification read (`id`), or all of them."""
    one = request.POST.get("id", "")
    ids = [int(one)] if one.isascii() and one.isdigit() and len(one) < 19 else None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("messaging:notifications")


@login_required
def notification_open(request, notification_id: int):
    """Follow a notification's link, marking it read on the way."""
    found = selectors.notifications_of(request.user).filter(pk=notification_id).first()
    if found is None:
        raise Http404
    services.notifications_mark_read(user=request.user, ids=[found.pk])
    return redirect(_local(request, found.url) or "messaging:notifications")


@login_required
def notifications_count(request):
    """The header's unread badge, fetched by htmx after each page loads and on each live "bell" event."""
    return render(
        request,
        "messaging/partials/notifications_count.html",
        {"unread_count": selectors.unread_notification_count(request.user)},
    )


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, current=services.email_preferences_of(request.user))
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_set(user=request.user, email=form.cleaned_data)
        messages.success(request, "E-mail preferences saved.")
        return redirect("messaging:preferences")
    context = {"form": form, "message_email_minutes": settings.MESSAGE_EMAIL_AFTER_MINUTES}
    return render(request, "messaging/preferences.html", context)
