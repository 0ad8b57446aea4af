from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications and their optional e-mail copy (issue 14 item 5)."""

    name = "notifications"
    verbose_name = _("알림")
    default_auto_field = "django.db.models.BigAutoField"
