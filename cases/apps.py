from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("상담 케이스")

    def ready(self) -> None:
        # Who may work which case: cases.access hands its object rules to the permission
        # module, which imports no app (kmcs_site.permissions.OBJECT_SCOPED declares them).
        from cases.access import register_rules

        register_rules()

        # A delivered message of a plan step settles the step (cases.services.plan): the
        # outbox (templates_app) saves the message and never imports cases.
        from django.db.models.signals import post_save

        from cases.services.steps import on_message_saved
        from templates_app.models import OutboundMessage

        post_save.connect(
            on_message_saved, sender=OutboundMessage, dispatch_uid="cases_step_on_delivery"
        )
