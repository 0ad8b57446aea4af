"""Profile of the Celery worker that tests marked ``broker`` start: the test database
(``KMCS_TEST_DB_NAME``, the name pytest-django created) and the real broker."""

from .test import *  # noqa: F403
from .test import DATABASES, env

DATABASES["default"]["NAME"] = env.str("KMCS_TEST_DB_NAME")
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("KMCS_TEST_DB_NAME")
CELERY_TASK_ALWAYS_EAGER = False
