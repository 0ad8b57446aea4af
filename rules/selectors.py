"""Reads of the center settings: the row in force at a moment, as the playbooks' value."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from cases.playbooks.center import CenterRules
from cases.playbooks.site_rules import LotRule as LotRuleValue

from .models import CenterSettings, LotRule

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


def lot_rules(at: datetime | None = None) -> tuple[LotRuleValue, ...]:
    """Seed 000's lot rules in force on the Seoul day of ``at`` (default now), in the order
    they are tried. Read on every call: a lead's change applies to the next proposal."""
    at = at or timezone.now()
    day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    rows = (
        LotRule.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("priority", "code")
    )
    return tuple(
        LotRuleValue(
            code=row.code,
            label=row.label,
            action=row.action,
            name_keywords=_terms(row.name_keywords),
            district_keywords=_terms(row.district_keywords),
            public_only=row.public_only,
            center_name=row.center_name,
            center_phone=row.center_phone,
        )
        for row in rows
    )


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def lot_rule_list():
    return LotRule.objects.all()
