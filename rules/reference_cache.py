"""Reference data a proposal reads, cached per process under a version the database keeps.

Every intake proposal asks the same few questions of tables leads edit a few times a month:
the center settings, seed 000's lot rules, the campaigns, the SMS templates (approved version,
the lead's on/off switch). Read one query each per request they cost more than the rest of an
intake (issue 17.5). This module keeps them in memory, all rows of each table (they are small),
and answers "what is in force at this moment" in Python, as the queries did.

Never stale after an edit, also in another worker: the version is read from the database, in
one statement, before the snapshot is used: ``rules.ReferenceVersion``'s token, which database
triggers (``rules.reference_triggers``) replace with a random one on every insert, update or
delete of these tables, whatever wrote it (services, admin, ``QuerySet.update``,
``bulk_create``, ``loaddata``, raw SQL). An edit committed by any process changes the token and
the next read loads the tables again; a rolled-back edit takes its token back with it. The
version is read once per request (``request_started`` opens a scope, ``request_finished`` closes
it) and on every call outside a request (workers, shell). A history row written in this process
(an edit made in the same request) drops the snapshot at once. No version row (a database just
flushed) = no process cache: every read loads the tables.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import post_create_historical_record


def watched_models():
    from cases.models import Campaign
    from rules.models import CenterSettings, LotRule
    from templates_app.models import SmsTemplate, SmsTemplateVersion

    return (CenterSettings, LotRule, Campaign, SmsTemplate, SmsTemplateVersion)


@dataclass(frozen=True)
class ReferenceSnapshot:
    version: str | None
    #: (effective_from, CenterRules), latest first.
    center: tuple
    #: (effective_from, effective_to or None, LotRule value), in the order they are tried.
    lots: tuple
    #: campaign code -> ((starts_on, ends_on, Campaign value), ...) by starts_on.
    campaigns: dict
    #: template code -> its lead's switch (``enabled``).
    template_enabled: dict
    #: template code -> its approved SmsTemplateVersion (template joined); read only.
    approved: dict

    def center_rules(self, at: datetime):
        from cases.playbooks.center import CenterRules

        if timezone.is_naive(at):  # as the ORM reads a naive moment: the current time zone
            at = timezone.make_aware(at)
        for effective_from, rules in self.center:
            if effective_from <= at:
                return rules
        return CenterRules()

    def lot_rules(self, day: date) -> tuple:
        return tuple(
            rule for start, end, rule in self.lots if start <= day and (end is None or end >= day)
        )

    def active_campaign(self, code: str, day: date):
        for starts_on, ends_on, value in self.campaigns.get(code, ()):
            if starts_on <= day <= ends_on:
                return value
        return None


_STATE = threading.local()
_LOCK = threading.Lock()
_PROCESS: dict[str, Any] = {"snapshot": None}


def reference_version() -> str | None:
    """The version of the reference tables as the database has it now (one statement)."""
    from rules.models import ReferenceVersion

    from .reference_triggers import ROW_ID

    tokens = ReferenceVersion.objects.filter(pk=ROW_ID).values_list("token", flat=True)
    return next(iter(tokens), None)


def _load(version: str | None) -> ReferenceSnapshot:
    from cases.models import Campaign
    from cases.playbooks.center import CenterRules
    from cases.playbooks.site_rules import LotRule as LotRuleValue
    from rules.models import CenterSettings, LotRule
    from templates_app.models import SmsTemplate, SmsTemplateVersion

    fields = tuple(CenterRules.__dataclass_fields__)
    center = tuple(
        (row.effective_from, CenterRules(**{name: getattr(row, name) for name in fields}))
        for row in CenterSettings.objects.order_by("-effective_from")
    )
    lots = tuple(
        (
            row.effective_from,
            row.effective_to,
            LotRuleValue(
                code=row.code,
                label=row.label,
                action=row.action,
                name_keywords=_terms(row.name_keywords),
                district_keywords=_terms(row.district_keywords),
                public_only=row.public_only,
                center_name=row.center_name,
                center_phone=row.center_phone,
            ),
        )
        for row in LotRule.objects.order_by("priority", "code")
    )
    campaigns: dict[str, list] = {}
    for row in Campaign.objects.order_by("starts_on", "pk"):
        campaigns.setdefault(row.code, []).append((row.starts_on, row.ends_on, row.as_value()))
    enabled = dict(SmsTemplate.objects.values_list("code", "enabled"))
    approved = {
        v.template.code: v
        for v in SmsTemplateVersion.objects.filter(
            status=SmsTemplateVersion.Status.APPROVED
        ).select_related("template")
    }
    return ReferenceSnapshot(
        version=version,
        center=center,
        lots=lots,
        campaigns={code: tuple(rows) for code, rows in campaigns.items()},
        template_enabled=enabled,
        approved=approved,
    )


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def reference_snapshot() -> ReferenceSnapshot:
    """The reference tables as committed now (or as this transaction sees them)."""
    in_request = getattr(_STATE, "in_request", False)
    if in_request:
        held = getattr(_STATE, "snapshot", None)
        if held is not None:
            return held
    version = reference_version()
    snapshot = _PROCESS["snapshot"]
    if version is None or snapshot is None or snapshot.version != version:
        snapshot = _load(version)
        if version is not None:  # unversioned: held for this request at most
            with _LOCK:
                _PROCESS["snapshot"] = snapshot
    if in_request:
        _STATE.snapshot = snapshot
    return snapshot


def reference_cache_clear() -> None:
    """Drop this process's snapshot (the next read loads the tables again)."""
    with _LOCK:
        _PROCESS["snapshot"] = None
    _STATE.snapshot = None


@receiver(request_started)
def _open_scope(**kwargs) -> None:
    _STATE.in_request = True
    _STATE.snapshot = None


@receiver(request_finished)
def _close_scope(**kwargs) -> None:
    _STATE.in_request = False
    _STATE.snapshot = None


@receiver(post_create_historical_record)
def _forget_on_edit(sender, instance, **kwargs) -> None:
    if isinstance(instance, watched_models()):
        reference_cache_clear()
