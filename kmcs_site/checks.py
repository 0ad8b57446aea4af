"""System checks of the shared site (registered in KmcsSiteConfig.ready)."""

from __future__ import annotations

from django.core.checks import Error, Tags, register

from .permissions import OBJECT_SCOPED, missing_object_rules


@register(Tags.security)
def check_object_rules(app_configs, **kwargs):
    """Every object-scoped action has its rule registered by its app (``AppConfig.ready``).

    A missing rule already fails closed (``user_can`` says no for every object); this check
    says so at start-up instead of as a screen nobody can open."""
    return [
        Error(
            f"{action}: no object rule registered (expected from the {OBJECT_SCOPED[action]!r} app).",
            hint="Register it with kmcs_site.permissions.register_object_rule in the app's "
            "AppConfig.ready().",
            id="kmcs_site.E001",
        )
        for action in missing_object_rules()
    ]
