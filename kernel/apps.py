from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The building blocks every app imports and that import no app: errors, transitions, money, time windows,
    uploads, the API error format, pagination and the outbox."""

    name = "kernel"
