"""``DatabaseEnv``: the playbooks' :class:`~cases.playbooks.base.Env` answered from the database.

Playbooks stay pure; this is the one place where their questions (is a campaign on? which route
does seed 001 prescribe?) meet stored data. Campaign days are Seoul days: a decision at
2024-11-26T15:30Z is on 27 November in the center's calendar.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from cases.playbooks.base import Campaign, PlaybookError, RouteInfo
from cases.playbooks.center import CenterRules, center_rules
from cases.playbooks.site_rules import (
    LotRule,
    SiteRule,
    lot_rules,
    partner_names,
    site_kind_names,
    site_rule,
)


class DatabaseEnv:
    """Campaigns, center settings, lot rules and template switches come from
    :mod:`rules.reference_cache` (the database's version of them, checked once per request);
    partners' routes and site rules are read as asked."""

    def active_campaign(self, code: str, at: datetime) -> Campaign | None:
        from rules.reference_cache import reference_snapshot

        day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
        return reference_snapshot().active_campaign(code, day)

    def template_enabled(self, code: str, default: bool) -> bool:
        """A lead's "사용 (팀장 설정)" switch of the SMS template ``code`` (issue 15 B 004);
        ``default`` when no such template is stored."""
        from rules.reference_cache import reference_snapshot

        row = reference_snapshot().template_enabled.get(code)
        return default if row is None else bool(row)

    def center_rules(self, at: datetime) -> CenterRules:
        from rules.selectors import center_rules

        return center_rules(at)

    def lot_rules(self, at: datetime) -> tuple[LotRule, ...]:
        from rules.selectors import lot_rules

        return lot_rules(at)

    def site_rule(self, code: str, at: datetime) -> SiteRule | None:
        from partners.selectors import site_rule

        return site_rule(code, at)

    def partner_names(self, at: datetime) -> dict[str, str]:
        from partners.selectors import partner_names

        return partner_names()

    def site_kind_names(self, at: datetime) -> dict[str, str]:
        from partners.selectors import site_kind_names

        return site_kind_names()

    def route_for(
        self,
        *,
        request_kind: str,
        partner: str,
        site_kind: str | None = None,
        integration: str | None = None,
        topic: str | None = None,
        customer_agrees: bool | None = None,
        site: str | None = None,
        pass_month: date | None = None,
        at: datetime | None = None,
    ) -> RouteInfo:
        from partners.selectors import RouteError, route_for, route_info

        try:
            route = route_for(
                request_kind=request_kind,
                partner=partner,
                site_kind=site_kind,
                integration=integration,
                topic=topic,
                customer_agrees=customer_agrees,
                site=site,
                pass_month=pass_month,
                at=at,
            )
        except RouteError as exc:
            # The playbook turns this into its own message; the route table's wording is kept.
            raise PlaybookError(str(exc)) from exc
        return route_info(route)


class MemoEnv:
    """An Env that asks another one each question once: a batch intake proposes hundreds of
    cases at one moment, and they ask the same few questions (is the coupon campaign on
    today? which route for this partner?). Answers and refusals are both remembered."""

    def __init__(self, env=None):
        self.env = env or DatabaseEnv()
        self._answers: dict[tuple, tuple[bool, object]] = {}

    def _ask(self, key: tuple, question):
        if key not in self._answers:
            try:
                self._answers[key] = (True, question())
            except PlaybookError as exc:
                self._answers[key] = (False, exc)
        ok, answer = self._answers[key]
        if not ok:
            raise answer
        return answer

    def active_campaign(self, code: str, at: datetime) -> Campaign | None:
        day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
        return self._ask(("campaign", code, day), lambda: self.env.active_campaign(code, at))

    def template_enabled(self, code: str, default: bool) -> bool:
        ask = getattr(self.env, "template_enabled", None)
        if ask is None:
            return default
        return self._ask(("template", code, default), lambda: ask(code, default))

    def center_rules(self, at: datetime) -> CenterRules:
        # Not memoised by day: a batch proposes at one moment, so one question per batch.
        return self._ask(("center", at), lambda: center_rules(self.env, at))

    def lot_rules(self, at: datetime) -> tuple[LotRule, ...]:
        return self._ask(("lots", at), lambda: lot_rules(self.env, at))

    def site_rule(self, code: str, at: datetime) -> SiteRule | None:
        return self._ask(("site", code, at), lambda: site_rule(self.env, code, at))

    def partner_names(self, at: datetime) -> dict[str, str]:
        return self._ask(("partners", at), lambda: partner_names(self.env, at))

    def site_kind_names(self, at: datetime) -> dict[str, str]:
        return self._ask(("site_kinds", at), lambda: site_kind_names(self.env, at))

    def route_for(self, **question) -> RouteInfo:
        key = ("route", *sorted((k, v) for k, v in question.items()))
        return self._ask(key, lambda: self.env.route_for(**question))
