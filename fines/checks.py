"""System checks of the fines app (registered in FinesConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from .crypto import key_problems


@register(Tags.security, deploy=True)
def check_field_keys(app_configs, **kwargs):
    """``check --deploy``: account numbers must not be encrypted or hashed with keys derived
    from SECRET_KEY (a rotated SECRET_KEY would make every stored account unreadable, and one
    leaked secret would open both)."""
    return [
        Error(
            problem,
            hint="Set KMCS_FIELD_ENCRYPTION_KEYS and KMCS_ACCOUNT_HMAC_KEY in the environment.",
            id="fines.E001",
        )
        for problem in key_problems(
            settings.KMCS_FIELD_ENCRYPTION_KEYS, settings.KMCS_ACCOUNT_HMAC_KEY
        )
    ]
