"""Bulk doors into the cases app: the streaming importer (``manage.py import_cases`` and the
batch machinery ``import_rides`` reuses) and the CSV/XLSX exporter.

The API (``cases.api``) and these doors share one definition of a playbook's facts (the
playbook's ``FACTS``) and one rule for unknown fields (:mod:`cases.intake.facts`).
"""
