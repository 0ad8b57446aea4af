"""The Celery app. Configured from Django settings (CELERY_* names).

Without CELERY_BROKER_URL the tasks run eagerly in-process (after commit, because callers
enqueue with transaction.on_commit); with it, a Redis broker and real workers.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmcs_site.settings.dev")

app = Celery("kmcs_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
