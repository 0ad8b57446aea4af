"""Reference data of templates_app: every CEMS template of the code catalogue.

``run`` is what ``manage.py kmcs_bootstrap`` calls; the data migration ``0002`` calls the same
``services.catalogue_sync`` on a fresh database. Idempotent: creates the templates that are
missing (approved version 1) and never overwrites one that exists, edited or not.
"""

from __future__ import annotations

from typing import TextIO

from .catalogue import CATALOGUE
from .services import SyncReport, catalogue_sync


def run(*, stdout: TextIO) -> SyncReport:
    return catalogue_sync(catalogue=CATALOGUE, stdout=stdout)
