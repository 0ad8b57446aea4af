"""Production profile: secrets from the environment, HTTPS only, PostgreSQL + Redis expected.

``manage.py check --deploy`` passes with no warning under this profile (tested).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment (50+ random characters) in production."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Account numbers at rest (fines.crypto): production never derives these from SECRET_KEY.
# base.py read them from the environment; here their absence is fatal.
from fines.crypto import key_problems  # noqa: E402  (pure: no settings or models used)

_key_problems = key_problems(
    KMCS_FIELD_ENCRYPTION_KEYS,  # noqa: F405
    KMCS_ACCOUNT_HMAC_KEY,  # noqa: F405
)
if _key_problems:
    raise ImproperlyConfigured("Production settings: " + " ".join(_key_problems))

# The replay guard, throttles and circuit breaker must be shared by every gunicorn and Celery
# process (base.py, CACHE_URL): a per-process cache would apply a replayed SMS report again in
# another worker and multiply the rate limits by the number of processes.
if CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in {"LocMemCache", "DummyCache"}:  # noqa: F405
    raise ImproperlyConfigured(
        "Production settings: CACHE_URL must name a cache shared by every process, e.g. "
        f"CACHE_URL=redis://127.0.0.1:6379/1 (got: {CACHE_URL or 'unset'!r})."  # noqa: F405
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Staff sessions end after 8 idle hours (one shift).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Templates compiled once per process (issue 17.2), said outright rather than left to Django's
# default: the same directories as base.py, read through the cached loader.
TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405  (loaders below list the app directories)
TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    )
]
# One connection per worker kept open between requests (issue 17.5: connecting cost about a
# fifth of a single-case intake); a broken one is noticed before use.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
