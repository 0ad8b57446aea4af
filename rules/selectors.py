"""Reads of the center settings: the row in force at a moment, as the playbooks' value."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cases.playbooks.center import CenterRules

from .models import CenterSettings

_FIELDS = tuple(CenterRules.__dataclass_fields__)


def settings_in_force(at: datetime | None = None) -> CenterSettings | None:
    """The row with the latest ``effective_from`` at or before ``at`` (default now)."""
    at = at or timezone.now()
    return CenterSettings.objects.filter(effective_from__lte=at).order_by("-effective_from").first()


def center_rules(at: datetime | None = None) -> CenterRules:
    """The settings in force at ``at``. Read on every call (no cache): a lead's change applies
    to the next proposal or payout without a restart."""
    row = settings_in_force(at)
    if row is None:
        # Only before the first row's moment (the data migration's row starts in 2000).
        return CenterRules()
    return CenterRules(**{name: getattr(row, name) for name in _FIELDS})


def settings_list():
    return CenterSettings.objects.all()
