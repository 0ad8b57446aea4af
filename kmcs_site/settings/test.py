"""Test profile: fast hashing, in-memory mail, tasks eager unless a test asks for a worker.

Tests marked ``broker`` switch the Celery app to the real broker themselves (see
tests/conftest.py); everything else runs tasks in-process after commit.
"""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
if STORAGES["attachments"]["BACKEND"].endswith("FileSystemStorage"):  # noqa: F405
    # No fixed location: the attachments (and the fine notices, stored in the same storage)
    # follow MEDIA_ROOT, including a test's own (settings.MEDIA_ROOT = tmp_path), so a test
    # that counts the files under MEDIA_ROOT sees them.
    STORAGES["attachments"]["OPTIONS"].pop("location", None)  # noqa: F405
# No API throttling by default: the suite makes thousands of API requests from one address in
# a minute. tests/api/test_api_probes.py sets low rates to test the throttles themselves.
KMCS_API_THROTTLE_RATES = {"api_user": None, "api_ip": None}
# Read replica (issue 17.7): off in tests, so a run with DATABASE_REPLICA_URL set (CI's replica
# pass) reads the primary everywhere except in tests/perf/test_replica.py, which turns it on.
KMCS_REPLICA_READS = False
# Local memory whatever CACHE_URL says: parallel test workers must not share throttle counters,
# breaker state or replay keys (tests/security/test_shared_cache.py tests a shared cache itself).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
