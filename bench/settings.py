"""Settings for benchmarks: production's request path without production's HTTPS plumbing.

``DEBUG`` off (no query log, cached templates), sessions saved on every request and one
database connection kept per process as in production (``CONN_MAX_AGE``, health checks),
tasks in-process (no broker), and the database from ``DATABASE_URL`` like every other
profile. Used by ``bench/seed_data.py`` and ``bench/run.py`` unless
``DJANGO_SETTINGS_MODULE`` says otherwise.
"""

from kmcs_site.settings.base import *  # noqa: F403

DEBUG = False
SESSION_SAVE_EVERY_REQUEST = True  # as kmcs_site.settings.production
# As kmcs_site.settings.production: under gunicorn a new connection per request cost about
# half of a single-case intake (72/s against ~150/s on the same quiet machine, issue 17.5).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Per-request INFO lines (a case created through the API...) would be timed too.
    "root": {"handlers": ["console"], "level": "WARNING"},
    # 409s of the duplicate guard are answers, not problems; axes logs every login.
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
