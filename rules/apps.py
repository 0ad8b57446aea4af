from django.apps import AppConfig


class RulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rules"
    verbose_name = "센터 규칙"

    def ready(self):
        # The reference cache's signal receivers (request scope, edits seen at once).
        from . import reference_cache  # noqa: F401
