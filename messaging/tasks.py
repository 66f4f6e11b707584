"""Messaging's background work: thin tasks that take ids, re-fetch and return when there is nothing to do."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from messaging.models import Notification


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_send(*, notification_id: int) -> None:
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.email:
        return
    context = {"notification": notification, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL.rstrip("/")}
    send_mail(
        subject=f"[{settings.SITE_NAME}] {notification.title}",
        message=render_to_string("messaging/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.user.email],
    )
