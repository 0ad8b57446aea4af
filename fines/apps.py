from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinesConfig(AppConfig):
    name = "fines"
    verbose_name = _("과태료·지급")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check of the account keys)
