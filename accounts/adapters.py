import zoneinfo

from allauth.account.adapter import DefaultAccountAdapter

from accounts.services.signup import signup_complete


class AccountAdapter(DefaultAccountAdapter):
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
