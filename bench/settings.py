"""Settings for benchmarks: production's request path without production's HTTPS plumbing.

``DEBUG`` off (no query log, cached templates), sessions saved on every request as in
production, tasks in-process (no broker), and the database from ``DATABASE_URL`` like every
other profile. Used by ``bench/seed_data.py`` and ``bench/run.py`` unless
``DJANGO_SETTINGS_MODULE`` says otherwise.
"""

from kmcs_site.settings.base import *  # noqa: F403

DEBUG = False
SESSION_SAVE_EVERY_REQUEST = True  # as kmcs_site.settings.production
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
