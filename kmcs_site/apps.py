from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, using="default", **kwargs):
    from .permissions import sync_role_permissions

    sync_role_permissions(using=using)


class KmcsSiteConfig(AppConfig):
    name = "kmcs_site"
    verbose_name = _("KMCS 기본 설정")

    def ready(self):
        from . import checks  # noqa: F401  (every object-scoped action has its rule: E001)

        # Roles' model permissions follow the ACTIONS table after every migrate. Connected for
        # this app only (dispatch_uid) and run once per migrate, after all apps' permissions.
        post_migrate.connect(_sync_roles, dispatch_uid="kmcs_site.sync_roles")
