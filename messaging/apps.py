from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self):
        # Registers messaging's outbox handlers, in the web process (which enqueues) and the worker (which runs).
        from messaging import delivery  # noqa: F401
