"""KMCS project package: settings, URLs, the Celery app, roles and the permission module."""

from .celery import app as celery_app

__all__ = ["celery_app"]
