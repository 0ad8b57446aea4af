from django.apps import AppConfig


class RulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rules"
    verbose_name = "센터 규칙"

    def ready(self):
        # The reference cache's signal receivers (request scope, edits seen at once).
        from django.db.models.signals import post_migrate

        from . import reference_cache  # noqa: F401
        from .reference_triggers import install_after_migrate

        # The triggers that version the cached tables (after every migrate: see the module).
        post_migrate.connect(install_after_migrate, sender=self)
