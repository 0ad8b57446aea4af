"""API throttling: per client address and per token / logged-in user (DRF scoped rates).

Rates are read from ``settings.KMCS_API_THROTTLE_RATES`` on every request (not frozen at import
as DRF's class attribute is), so an environment or a test can change them; a missing or empty
rate means no limit. Counters live in the default cache (per process with the local-memory
cache; a shared cache such as Redis makes them per deployment). Over the rate the API answers
429 in its JSON error shape with ``Retry-After`` (cases.api.errors).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # DRF parses the rate in __init__ from THROTTLE_RATES; ours come from settings.
        self.THROTTLE_RATES = getattr(settings, "KMCS_API_THROTTLE_RATES", {}) or {}
        super().__init__()


class ApiIpThrottle(_SettingsRateThrottle):
    """Every request from one address (anonymous, wrong token or not): guessing tokens costs."""

    scope = "api_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ApiUserThrottle(_SettingsRateThrottle):
    """Per token for token clients (each token its own budget), per user for sessions;
    anonymous requests are left to the address throttle."""

    scope = "api_user"

    def get_cache_key(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return None
        token = request.auth
        ident = f"token-{token.pk}" if getattr(token, "pk", None) else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
