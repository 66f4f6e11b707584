from django.conf import settings


def site(request):
    """Site name and the business numbers pages quote, so the copy always matches the rules in force."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DEBUG": settings.DEBUG,
        "DEV_MAILBOX": settings.DEV_MAILBOX,
        "RULES": {
            "client_fee_percent": settings.CLIENT_FEE_PERCENT,
            "freelancer_fee_percent": settings.FREELANCER_FEE_PERCENT,
            "auto_approve_days": settings.AUTO_APPROVE_DAYS,
            "security_hold_days": settings.SECURITY_HOLD_DAYS,
        },
    }
