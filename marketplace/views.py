"""Pages that belong to no single app: the home page, the dashboard that gathers each role's work, and the
development mailbox."""

from email import policy
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
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
