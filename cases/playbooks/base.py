"""The contract every playbook module follows, and the value objects a proposal is made of.

A playbook module (``cases/playbooks/<code>.py``) exports:

- ``CODE``: the stable playbook code (``driver_nonride_cancel``...);
- ``VERSION``: a string bumped whenever the decision logic or the prescribed texts change; the
  case stores the version it was decided under;
- ``FACTS``: a DRF ``Serializer`` class, the one schema shared by the API, the agent form and
  the importer (Korean field labels and error messages);
- ``propose(facts: dict, at: datetime, env: Env) -> Proposal``: *pure* decision code. ``facts``
  is ``FACTS(data=...).validated_data``; ``at`` is the aware moment of the decision (campaign
  windows, dates in texts); ``env`` answers the few questions that need stored data (routes,
  campaigns) so the module itself does no I/O and is testable with :class:`StaticEnv`.

Optional, read by ``cases.services.case_decide`` when a lead decides differently from the
proposal (an override): ``OUTCOMES`` (the outcome codes the playbook can give, a collection or a
mapping whose values are codes; an override to another code is refused) and
``propose_outcome(facts, outcome, at, env) -> Proposal | None`` (the proposal *for a chosen
outcome*, so the override brings that outcome's own texts and messages). Its answer for the
outcome the facts lead to is exactly ``propose(facts, at, env)``; for another outcome it is
what ``propose`` gives when the facts lead there (same builders: steps, messages, memos,
record, escalation). It raises :class:`PlaybookError` (Korean, naming the fact) when the
outcome's texts need a fact the case lacks or contradicts: the lead revises the facts first.
``None`` means the playbook has no texts for that outcome on these facts; then, as for a
playbook without the hook, the case records the outcome and reason, and the follow-up is done
by hand.

Nothing here touches the database. ``cases.services`` turns a Proposal into rows, messages and
posts; the simulator API returns it as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .center import CenterRules
from .site_rules import (
    DEFAULT_LOT_RULES,
    DEFAULT_PARTNERS,
    DEFAULT_SITE_KINDS,
    DEFAULT_SITES,
    LotRule,
    SiteRule,
)

SEOUL = ZoneInfo("Asia/Seoul")

# Who may carry out a step: role codes (see kmcs_site.permissions.Role).
ALL = frozenset({"agent", "team_lead", "deputy_lead", "manager"})
LEADS = frozenset({"team_lead", "deputy_lead"})
MANAGER = frozenset({"manager"})
LEADS_AND_MANAGER = LEADS | MANAGER

# Who a waiting step waits on (step clocks, issue 9).
WAITS_ON = ("customer", "driver", "partner", "cpo", "team", "payout_batch")

# Result types of the consultation record (처리결과), seed 002.
RESULT_TYPES = {
    "approved": "승인",
    "rejected_unable": "반려 (처리불가)",
    "rejected_already_processed": "반려 (기처리 완료)",
    # Seed 002 4.: "처리결과(유형) | 반려 (기타: 접수유형 외 다른 문의)", stored in full.
    "rejected_other": "반려 (기타: 접수유형 외 다른 문의)",
    "rejected_duplicate": "반려 (중복 접수)",
}


class PlaybookError(Exception):
    """A playbook cannot decide with these facts (shown to the user as a message)."""


@dataclass(frozen=True)
class Step:
    """One thing to do, in order. ``roles`` says who may do it; ``script`` is what to say."""

    code: str
    label: str
    roles: frozenset[str] = ALL
    script: str = ""
    kind: str = "action"  # action | say | sms | memo | post | payout | check
    waits_on: str | None = None  # one of WAITS_ON when the step waits on someone
    due_rule: str | None = None  # e.g. "business_days:5", "days:14", "payout_batch"
    #: An automatic step sends its messages by itself once every step before it is done (or
    #: not applicable); any other SMS step waits for the agent's "send" at that step.
    auto: bool = False


@dataclass(frozen=True)
class MessageSpec:
    """A message of the plan: the CEMS template name, its audience and the values to render.

    ``step`` is the code of the step that sends it (deciding drafts the message; it goes out
    when the case reaches that step). Empty: the proposal's first SMS step (kind ``sms``).
    """

    template: str
    audience: str  # "customer" | "driver"
    context: Mapping[str, Any] = field(default_factory=dict)
    step: str = ""


@dataclass(frozen=True)
class ConsultationRecord:
    """상담이력: 제목 / 문의내용 / 처리내용, with the layout the seed prescribes."""

    title: str
    inquiry: str
    notes: str


@dataclass(frozen=True)
class EscalationSpec:
    """An internal post (아지트): board, template name and the body to post."""

    board: str
    template: str = ""
    body: str = ""
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteInfo:
    """What the partners' route table says for an operations request (seed 001)."""

    route_id: int | None
    channel_kind: str
    channel_target: str
    recipients_to: tuple[str, ...]
    recipients_cc: tuple[str, ...]
    procedure: str
    allowed_roles: frozenset[str]
    notes: str = ""
    mentions: tuple[str, ...] = ()  # Agit mentions (e.g. "@owner4"), when the channel is a post


@dataclass(frozen=True)
class Proposal:
    playbook: str
    version: str
    outcome: str
    reason: str
    consultation_type: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    messages: tuple[MessageSpec, ...] = ()
    record: ConsultationRecord | None = None
    result_type: str | None = None  # a key of RESULT_TYPES, where the seed names one
    billing_memo: str = ""
    operations_memo: str = ""
    escalation: EscalationSpec | None = None
    route: RouteInfo | None = None
    figures: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    starts_on: date
    ends_on: date  # inclusive; an extension moves it
    #: Seed 000 strikes "사용기한 : ~~24.12.31까지~~": no expiry is said or sent unless a lead
    #: sets one on the campaign (then "- 사용기한 : <date>까지").
    coupon_expires_on: date | None = None

    def is_active(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on


class Env(Protocol):
    """Stored data a playbook may ask about. ``cases.playbooks.env.DatabaseEnv`` reads the DB."""

    def active_campaign(self, code: str, at: datetime) -> Campaign | None: ...

    def center_rules(self, at: datetime) -> CenterRules:
        """The center settings in force at ``at`` (cutoff, split, thresholds; issue 15)."""
        ...

    def lot_rules(self, at: datetime) -> tuple[LotRule, ...]:
        """Seed 000's lot rules in force at ``at``, in the order they are tried (issue 15)."""
        ...

    def site_rule(self, code: str, at: datetime) -> SiteRule | None:
        """Seed 001's special site with this code (None: not a known site; issue 15)."""
        ...

    def partner_names(self, at: datetime) -> Mapping[str, str]:
        """The 운영사 in use at ``at``, code -> name (``partners.Partner`` rows; issue 15)."""
        ...

    def site_kind_names(self, at: datetime) -> Mapping[str, str]:
        """The 현장 구분 in use, code -> name (``partners.SiteKindOption`` rows; issue 15)."""
        ...

    def route_for(
        self,
        *,
        request_kind: str,
        partner: str,
        site_kind: str | None = None,
        integration: str | None = None,
        topic: str | None = None,
        customer_agrees: bool | None = None,
        site: str | None = None,  # a special site's name (seed 001 table 7: 63빌딩)
        pass_month: date | None = None,  # the season pass's month (25.3월 정기권부터)
        at: datetime | None = None,
    ) -> RouteInfo: ...


@dataclass
class StaticEnv:
    """An Env from plain values, for tests and for the simulator's dry runs."""

    campaigns: tuple[Campaign, ...] = ()
    routes: Mapping[tuple, RouteInfo] = field(default_factory=dict)
    center: CenterRules = field(default_factory=CenterRules)
    lots: tuple[LotRule, ...] = DEFAULT_LOT_RULES
    sites: Mapping[str, SiteRule] = field(default_factory=lambda: dict(DEFAULT_SITES))
    partners: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PARTNERS))
    site_kinds: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SITE_KINDS))

    def center_rules(self, at: datetime) -> CenterRules:
        return self.center

    def lot_rules(self, at: datetime) -> tuple[LotRule, ...]:
        return self.lots

    def site_rule(self, code: str, at: datetime) -> SiteRule | None:
        return self.sites.get(code)

    def partner_names(self, at: datetime) -> Mapping[str, str]:
        return self.partners

    def site_kind_names(self, at: datetime) -> Mapping[str, str]:
        return self.site_kinds

    def active_campaign(self, code: str, at: datetime) -> Campaign | None:
        # Campaign days are Seoul calendar days: 2025-01-01 00:30 KST is a UTC 12-31 moment.
        day = at.astimezone(SEOUL).date() if at.tzinfo is not None else at.date()
        for campaign in self.campaigns:
            if campaign.code == code and campaign.is_active(day):
                return campaign
        return None

    def route_for(self, **key) -> RouteInfo:
        wanted = tuple(sorted((k, v) for k, v in key.items() if v is not None and k != "at"))
        try:
            return self.routes[wanted]
        except KeyError:
            raise PlaybookError(f"경로가 없습니다: {dict(wanted)}") from None
