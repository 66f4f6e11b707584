import ipaddress
import zoneinfo

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from accounts.services.signup import signup_complete


def client_ip(request) -> str:
    """The address the request came from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost of them saw (counted from the right of X-Forwarded-For, which each proxy appends to). Entries to
    the left of those were written by the client and are never believed."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if not count or len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # allauth's rate limits (login, sign-up, password reset) key on this address.
        return client_ip(request)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        user.first_name = data.get("first_name", "")
        user.last_name = data.get("last_name", "")
        user.save()
        # The browser tells us its zone (a hidden field filled by a small script); anything unknown is UTC.
        tz = data.get("timezone") or "UTC"
        if tz not in zoneinfo.available_timezones():
            tz = "UTC"
        signup_complete(
            user=user, intent=data["intent"], organization_name=data.get("organization_name", ""), timezone=tz
        )
        return user
