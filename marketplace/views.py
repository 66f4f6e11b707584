"""Pages that belong to no single app: the home page, the dashboard that gathers each role's work, and the
development mailbox."""

import functools
from email import policy
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render

from accounts import selectors as account_selectors


def home(request):
    if request.user.is_authenticated and not request.GET.get("about"):
        return redirect("dashboard")
    return render(request, "home.html")


@login_required
def dashboard(request):
    context = {
        "profile": account_selectors.freelancer_profile_of(request.user),
        "memberships": account_selectors.memberships_of(request.user),
    }
    return render(request, "dashboard.html", context)


def _mail_files() -> list[Path]:
    folder = Path(settings.MAILBOX_DIR)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)


def _parse(path: Path) -> list:
    # The file backend writes one file per connection, messages separated by a line of dashes.
    raw = path.read_bytes()
    chunks = [c.strip(b"\n") for c in raw.split(b"-" * 79) if c.strip()]
    return [BytesParser(policy=policy.default).parsebytes(chunk) for chunk in chunks]


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part else ""


def _dev_mailbox_page(view):
    """The mailbox shows password-reset links: it exists only while DEV_MAILBOX is on, and only for staff."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DEV_MAILBOX:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@_dev_mailbox_page
def dev_mailbox(request):
    rows = []
    for path in _mail_files():
        for index, message in enumerate(_parse(path)):
            rows.append(
                {
                    "name": f"{path.name}:{index}",
                    "to": message["to"],
                    "subject": message["subject"],
                    "date": message["date"],
                }
            )
    return render(request, "dev/mailbox.html", {"rows": rows, "folder": settings.MAILBOX_DIR})


@_dev_mailbox_page
def dev_mailbox_message(request, name: str):
    file_name, _, index = name.partition(":")
    path = Path(settings.MAILBOX_DIR) / Path(file_name).name
    if not path.is_file() or not index.isdigit():
        raise Http404
    messages = _parse(path)
    if int(index) >= len(messages):
        raise Http404
    message = messages[int(index)]
    return render(request, "dev/message.html", {"message": message, "body": _body(message)})
