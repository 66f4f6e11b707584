"""Conversation pages: a list of the user's conversations and one conversation with a post form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from kernel.errors import DomainError
from messaging import selectors, services
from messaging.forms import MessageForm


@login_required
def conversations(request):
    return render(
        request, "messaging/conversations.html", {"conversations": selectors.conversations_with_unread_of(request.user)}
    )


@login_required
def conversation(request, conversation_id: int):
    found = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    if found is None:
        raise Http404
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(conversation_id=found.pk, sender=request.user, body=form.cleaned_data["body"])
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            return redirect("messaging:conversation", found.pk)
    context = {"conversation": found, "messages_list": selectors.messages_of(conversation=found), "form": form}
    services.conversation_mark_read(conversation_id=found.pk, user=request.user)
    return render(request, "messaging/conversation.html", context, status=400 if form.errors else 200)


@login_required
def notifications(request):
    shown = list(selectors.notifications_of(request.user)[:100])
    # Seeing the list is reading it: the rows keep their unread look for this view, and the bell's count drops.
    services.notifications_mark_read(user=request.user, ids=[n.pk for n in shown if n.read_at is None])
    return render(request, "messaging/notifications.html", {"notifications": shown})


@login_required
def notifications_count(request):
    """The header's unread badge, fetched by htmx after each page loads; empty when nothing is unread."""
    return render(
        request,
        "messaging/partials/notifications_count.html",
        {"unread_count": selectors.unread_notification_count(request.user)},
    )
