from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("제휴사·라우팅")

    def ready(self) -> None:
        # Fact forms offer the 운영사 and 현장 구분 rows in use (issue 15 A.2); playbooks ask
        # their env.
        from cases.playbooks._common import CHOICE_SOURCES

        from .selectors import partner_names, site_kind_names

        CHOICE_SOURCES["partners"] = partner_names
        CHOICE_SOURCES["site_kinds"] = site_kind_names
