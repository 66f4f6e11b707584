from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Registers who may make which status change of an invitation (kernel.transitions.register_actors).
        from accounts import selectors
        from accounts.models import PortfolioItem
        from accounts.services import invitations  # noqa: F401
        from kernel import files

        files.register(PortfolioItem, readable=selectors.portfolio_items_visible_to, field="image", inline_images=True)
