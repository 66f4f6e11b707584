from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self):
        # Registers messaging's outbox handlers (in the web process, which enqueues, and the worker, which runs
        # them) and who may download a message's files.
        from kernel import files
        from messaging import delivery, selectors  # noqa: F401
        from messaging.models import MessageAttachment

        files.register(MessageAttachment, readable=selectors.message_attachments_readable_by)
