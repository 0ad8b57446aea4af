"""Lot and site rules as the playbooks see them: plain values, no database (issue 15 A.2).

- :class:`LotRule`: seed 000 "정책 및 참고사항": a kind of lot (성북구 공영, 속초시 공영, 인천공항)
  that is not decided like the others, what the center does instead (``action``: one of the
  playbook's lot-rule outcomes) and the control center's name and phone.
- :data:`DEFAULT_PARTNERS`: seed 001's 운영사 (``partners.Partner`` rows; code -> name).
- :class:`SiteRule`: seed 001 table 7: a special site (63빌딩 환불정책, 케이트윈타워 handled like
  아마노) with its partner, the partner it is routed like (``Site.routes_like``) and its policy.

``DatabaseEnv`` answers them from ``rules.LotRule`` and ``partners.Site`` (rows leads edit in
the admin, with history and effective dates); :class:`~cases.playbooks.base.StaticEnv` carries
the defaults below, which are today's values, so pure tests need no database. Stored data wins
everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: The lot-rule outcomes of seed 000 (``parking_double_payment``).
LOT_ACTIONS = {
    "refer_control_center": "고객이 직접 관제센터로 문의 안내",
    "center_contacts_control_center": "센터에서 관제센터로 연락하여 조치 후 고객 사후 안내",
    "escalate_agit": "아지트로 확인 요청",
}


def _terms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(text, tuple):
        return text
    return tuple(t.strip() for t in (text or "").replace("\n", ",").split(",") if t.strip())


@dataclass(frozen=True)
class LotRule:
    code: str
    label: str  # how texts name the lot kind: "성북구 공영주차장"
    action: str  # a key of LOT_ACTIONS
    name_keywords: tuple[str, ...] = ()  # any of them in the lot name
    district_keywords: tuple[str, ...] = ()  # any of them in the lot's district
    public_only: bool = False  # only 공영주차장 (the is_public_lot fact, else '공영' in the name)
    center_name: str = ""
    center_phone: str = ""

    def matches(self, facts: dict) -> bool:
        name, district = facts.get("lot_name") or "", facts.get("lot_district") or ""
        hit = any(k in name for k in self.name_keywords) or any(
            k in district for k in self.district_keywords
        )
        if not hit:
            return False
        if not self.public_only:
            return True
        public = facts.get("is_public_lot")
        return ("공영" in name) if public is None else bool(public)


#: Seed 000, 정책 및 참고사항, in the order they are tried (인천공항 first: "모든 요청").
DEFAULT_LOT_RULES: tuple[LotRule, ...] = (
    LotRule(
        code="incheon_airport",
        label="인천공항 주차장",
        action="escalate_agit",
        name_keywords=("인천공항", "인천국제공항"),
        district_keywords=("인천공항",),
    ),
    LotRule(
        code="seongbuk",
        label="성북구 공영주차장",
        action="refer_control_center",
        district_keywords=("성북구",),
        public_only=True,
        center_name="성북구통합관제센터",
        center_phone="02-6925-0023",
    ),
    LotRule(
        code="sokcho",
        label="속초시 공영주차장",
        action="center_contacts_control_center",
        district_keywords=("속초",),
        public_only=True,
        center_name="속초시 관제센터",
        center_phone="033-636-4240/ 033-637-6242",
    ),
)


def match_lot_rule(facts: dict, rules: tuple[LotRule, ...]) -> LotRule | None:
    """The first rule (in the given order) whose lot the facts describe."""
    for rule in rules:
        if rule.matches(facts):
            return rule
    return None


def lot_rules(env, at: datetime) -> tuple[LotRule, ...]:
    """``env.lot_rules(at)``; an Env written before the question existed gets today's rules."""
    ask = getattr(env, "lot_rules", None)
    return tuple(ask(at)) if ask is not None else DEFAULT_LOT_RULES


#: Seed 001's 운영사 as ``partners/seed_data.py`` loads the ``partners.Partner`` rows (code ->
#: name). ``DatabaseEnv`` answers the active rows a lead edits; this is only pure code's list.
DEFAULT_PARTNERS: dict[str, str] = {
    "kmpark": "케이엠파크",
    "kmpns": "케이엠파킹앤스페이스",
    "amano": "아마노코리아",
    "hiparking": "하이파킹",
    "nicepark": "한국전자금융(나이스파크)",
    "skshieldus": "SK쉴더스",
    "urbanport": "어반포트",
    "other": "그 외",
}


#: Seed 001's 현장 구분 as ``partners`` migration 0009 loads the ``partners.SiteKindOption`` rows.
DEFAULT_SITE_KINDS: dict[str, str] = {
    "manual_normal": "수동현장(일반)",
    "manual_special": "수동현장(특수)",
    "t_monthly": "T월주차권(연동)",
}


def site_kind_names(env, at: datetime) -> dict[str, str]:
    """``env.site_kind_names(at)``: the 현장 구분 in use (code -> name); an Env written before
    the question existed gets today's list."""
    ask = getattr(env, "site_kind_names", None)
    return dict(ask(at)) if ask is not None else dict(DEFAULT_SITE_KINDS)


def partner_names(env, at: datetime) -> dict[str, str]:
    """``env.partner_names(at)``: the 운영사 in use (code -> name); an Env written before the
    question existed gets today's list."""
    ask = getattr(env, "partner_names", None)
    return dict(ask(at)) if ask is not None else dict(DEFAULT_PARTNERS)


@dataclass(frozen=True)
class SiteRule:
    code: str  # the fact's stable code ("building_63", "k_twin_tower")
    name: str
    partner: str  # partner code of the site
    routes_like: str = ""  # partner code whose routes the site follows (Site.routes_like)
    special_policy: str = ""

    @property
    def routing_partner(self) -> str:
        return self.routes_like or self.partner


#: Seed 001 table 7 (as partners/seed_data.py loads the Site rows).
DEFAULT_SITES: dict[str, SiteRule] = {
    "building_63": SiteRule(
        code="building_63",
        name="63빌딩",
        partner="other",
        special_policy=(
            "63빌딩 환불정책: 1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시 "
            "증빙 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후 결제취소"
        ),
    ),
    "k_twin_tower": SiteRule(
        code="k_twin_tower",
        name="케이트윈타워",
        partner="other",
        routes_like="amano",
        special_policy="아마노 타 현장과 동일하게 업무 적용 (아마노쉐어 통해 처리)",
    ),
}


def site_rule(env, code: str, at: datetime) -> SiteRule | None:
    """``env.site_rule(code, at)``: the special site with this code (None: no such site)."""
    ask = getattr(env, "site_rule", None)
    return ask(code, at) if ask is not None else DEFAULT_SITES.get(code)
