from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from accounts import selectors
        from accounts.models import PortfolioItem
        from kernel import files

        files.register(PortfolioItem, readable=selectors.portfolio_items_visible_to, field="image", inline_images=True)
