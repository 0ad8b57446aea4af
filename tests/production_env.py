"""The environment of a production process, for the tests that start one in a subprocess.

The production profile refuses to start without its own secret, account keys and a shared
cache; these are test-only values of the right shape. ``production_env(NAME=None)`` removes a
variable (to see production refuse to start without it), any other value replaces it.
"""

from __future__ import annotations

import os

PRODUCTION_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "kmcs_site.settings.production",
    "SECRET_KEY": "x9!" * 20 + "production-like-secret-key-for-the-tests-only",
    "ALLOWED_HOSTS": "kmcs.example",
    # Production refuses to start without its own account keys (issue 12)...
    "KMCS_FIELD_ENCRYPTION_KEYS": "Yb6VqVb0cN5Zr3m1d8H2kQ9sW4tX7uL0pE6aJ3fG1iM=",
    "KMCS_ACCOUNT_HMAC_KEY": "test-only-account-hmac-key-0123456789abcdef",
    # ...and with a per-process cache (issue 17).
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def environment(**overrides: str | None) -> dict[str, str]:
    """This process's environment with ``overrides`` on top (``None`` removes a variable)."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def production_env(**overrides: str | None) -> dict[str, str]:
    """This process's environment with the production settings and ``overrides`` on top."""
    return environment(**{**PRODUCTION_SETTINGS, **overrides})
