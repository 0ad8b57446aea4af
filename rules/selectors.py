"""Reads of the center settings: the row in force at a moment, as the playbooks' value."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cases.playbooks.center import CenterRules
from cases.playbooks.site_rules import LotRule as LotRuleValue

from .models import CenterSettings, LotRule
from .reference_cache import reference_snapshot


def settings_in_force(at: datetime | None = None) -> CenterSettings | None:
    """The row with the latest ``effective_from`` at or before ``at`` (default now)."""
    at = at or timezone.now()
    return CenterSettings.objects.filter(effective_from__lte=at).order_by("-effective_from").first()


def center_rules(at: datetime | None = None) -> CenterRules:
    """The settings in force at ``at`` (default values before the first row's moment; the data
    migration's row starts in 2000). From :mod:`rules.reference_cache`, whose version the
    database answers on every request: a lead's change applies to the next proposal or payout
    without a restart, in every worker."""
    return reference_snapshot().center_rules(at or timezone.now())


def settings_list():
    return CenterSettings.objects.all()


def lot_rules(at: datetime | None = None) -> tuple[LotRuleValue, ...]:
    """Seed 000's lot rules in force on the Seoul day of ``at`` (default now), in the order
    they are tried. From :mod:`rules.reference_cache` (version checked per request): a lead's
    change applies to the next proposal."""
    at = at or timezone.now()
    day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return reference_snapshot().lot_rules(day)


def lot_rule_list():
    return LotRule.objects.all()
