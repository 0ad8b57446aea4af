"""Reference data of the partners app for ``manage.py kmcs_bootstrap`` (seed 001).

The data migration loads the same rows on a fresh database; this completes or repairs an
existing one. Idempotent; never overwrites what people edited, never re-creates what they
deleted (see ``partners.seed_loader``).
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction

from .seed_loader import load


def run(*, stdout) -> None:
    with transaction.atomic():
        load(apps, stdout=stdout)
