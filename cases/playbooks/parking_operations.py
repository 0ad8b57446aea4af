"""Seed 001: [주차] 고객센터 업무처리 프로세스 (정기권, 주차장정보 변경 등).

Seed 001 is a set of routing tables: for a request kind, a partner (운영사) and a kind of site
or lot, *where* the request goes (channel, recipients), *how* (처리방법) and *who may do it*
(변경권한: All, or 팀장/부팀장 only). The tables are data (``partners``); this playbook asks
``env.route_for(...)`` and turns the answer into steps. Every step carries the route's allowed
roles, so a lead-only route proposes nothing an agent may carry out.

Outcome codes (stable):

- ``follow_route``: carry out the route (car-number change, unregistered pass, on-site payment
  cancel, lot information change, stop selling, and a mid-term cancel the customer accepted).
- ``explain_refund``: mid-term cancel before the customer has answered: explain the refund
  (경과일 수 x 일최대요금) with the figures and record whether they accept (``customer_agrees``),
  then evaluate again. No route yet: the seed's route depends on that answer.
- ``escalate_business_owner``: mid-term cancel, the customer does not accept the calculation
  (미수긍) -> Agit post mentioning the business owners the route names.
- ``needs_review``: no route answers these facts (the table has no row, e.g. a T월주차권 cancel
  the customer accepted: the seed only covers 미수긍 there): a lead looks at it; nothing is
  improvised.

Route keys passed to the env, per request kind (the seed's table columns):

- ``car_number_change`` / ``unregistered``: partner, site_kind;
- ``midterm_cancel``: partner, site_kind, customer_agrees;
- ``onsite_payment_cancel``: partner;
- ``lot_info_change``: partner, topic, integration (not for 계약정보: "모든 내용");
- ``stop_selling``: partner, integration.

The partner is always passed (the Env contract requires it; "other" when the agent gives none
for lot information, whose tables are not per partner).

Refund (DOMAIN.md): paid - elapsed days x daily maximum fee, never below 0; elapsed days count
the start day and the cancellation day. Computed by ``partners.refunds.season_pass_refund``
(pure), so the playbook and the partners app can never disagree; FACTS refuses a cancel date
before the start date first, with a Korean field error.

Special sites (seed 001 section 7): 케이트윈타워 is routed like any 아마노코리아 site (아마노쉐어);
63빌딩 adds its refund policy step to an on-site payment cancel.

하이파킹 수동현장 before the month's site contacts are shared (fact ``site_contact_known`` =
False; seed 001: "월초 담당자메일 공유 전에 문의 인입 시에는 고객분께 시간소요 양해>다음영업일
이메일확인 후 접수"): the customer is told it takes time, and the route's step is due at the end
of the next business day (``next_business_day``, Korean holidays included: step clocks).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rest_framework import serializers

from cases.consultation_types import PARKING_OPERATIONS
from partners.refunds import season_pass_refund

from . import _common as c
from .base import (
    ALL,
    LEADS,
    ConsultationRecord,
    Env,
    EscalationSpec,
    PlaybookError,
    Proposal,
    RouteInfo,
    Step,
)
from .center import center_rules
from .site_rules import (
    DEFAULT_PARTNERS,
    DEFAULT_SITE_KINDS,
    DEFAULT_SITES,
    SiteRule,
    partner_names,
    site_kind_names,
    site_rule,
)

CODE = "parking_operations"
VERSION = "2025.05.01-2"  # newest rule date in seed 001: 운영사별 담당자 25.5.1부터
#: -2: 하이파킹 site contact not yet shared -> next business day (step clocks, issue 9)

REQUEST_KINDS = {
    "car_number_change": "정기권 차량번호 변경",
    "unregistered": "정기권 미등록",
    "midterm_cancel": "정기권 중도해지, 환불",
    "onsite_payment_cancel": "정기권 현장결제 취소",
    "lot_info_change": "주차장 정보수정",
    "stop_selling": "노출/판매중지 요청",
    "parking_ticket": "주차권",
    "parking_refund": "주차요금 환불(현장 환불정책)",
}
# The 운영사 and the 현장 구분 are rows a lead edits (``partners.Partner``,
# ``partners.SiteKindOption``), read through ``env.partner_names(at)`` / ``env.site_kind_names(at)``
# (issue 15 A.2); ``DEFAULT_PARTNERS`` / ``DEFAULT_SITE_KINDS`` (site_rules) are only pure code's
# copy of today's rows. The rules below that name a kind (T월주차권, 수동현장) name its code.
INTEGRATIONS = {"linked": "연동", "unlinked": "비연동", "unaffiliated": "비제휴"}
TOPICS = {"fee": "주차요금", "address": "주소 및 기타", "contract": "계약정보"}
SPECIAL_SITES = {"building_63": "63빌딩", "k_twin_tower": "케이트윈타워"}
CHANNEL_LABELS = {
    "slack": "Slack",
    "email": "E-mail",
    "agit": "아지트",
    "partner_web": "운영사 웹사이트",
    "amano_share": "아마노쉐어 게시판",
    "google_sheet": "Google Sheet",
    "app_direct": "앱에서 직접 변경",
    "admin_direct": "주차 어드민 직접 변경",
    "hotline": "핫라인",
}
# channel kind -> (step kind, who the step then waits on)
_EXECUTION = {
    "slack": ("action", "partner"),
    "email": ("action", "partner"),
    "agit": ("post", "team"),
    "partner_web": ("action", None),
    "amano_share": ("post", "partner"),
    "google_sheet": ("action", "partner"),
    "app_direct": ("action", None),
    "admin_direct": ("action", None),
    "hotline": ("action", "partner"),
}
# 63빌딩's refund policy text lives on its Site row (partners.Site.special_policy, read through
# env.site_rule): that row is the single source (issue 15 A.2).
REFUND_RULE = "경과일 수 x 일최대요금"

#: Table 2's T월 주차권 rows ("직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)") are keyed on
#: the pass's month: the fact ``start_date`` (정기권 시작일) gives it (route key ``pass_month``).
SEASON_PASS_MONTH_KINDS = {"car_number_change", "unregistered"}

#: Table 7, 63빌딩 환불정책: "1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시 증빙
#: 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후 결제취소". Other claims are not in the policy.
DISCOUNT_CLAIMS = {
    "hanwha_employee": "한화생명 직원 할인 미적용",
    "fnb_discount": "식음업장 할인 미적용",
    "other": "그 외 (환불정책 대상 아님)",
}
SITE_EVIDENCE_REQUEST_SCRIPT = (
    "{claim} 건은 증빙 확인이 필요합니다. 할인 대상임을 확인할 수 있는 증빙을 보내 주시면 "
    "확인 후 처리해 드리겠습니다."
)
SITE_NO_EVIDENCE_SCRIPT = (
    "증빙이 없으신 경우 운영사에 확인해 보겠습니다. 결제하신 주차요금은 취소해 드리겠습니다."
)
#: Table 6 (주차권): "아지트 기존 업무 유지하되, 운영사 확인 요청이 필요한 경우 위 담당자 참고해서
#: 처리 / 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션". "위 담당자" = the
#: partner's contacts of the tables above; table 4 (현장결제 취소) is the one keyed by partner alone.
TICKET_OPERATOR_KIND = "onsite_payment_cancel"
OUTCOME_TITLES = {
    "follow_route": "처리경로 진행",
    "explain_refund": "환불금 안내",
    "escalate_business_owner": "미수긍 사업담당 멘션",
    "needs_review": "처리경로 확인 필요",
    "request_site_evidence": "증빙 확인 요청",
    "cancel_site_payment": "결제취소 (현장 환불정책)",
}

#: Every outcome this playbook gives, code -> Korean label (DOMAIN.md names only "a route"; the
#: codes are README's "Seed 001 outcome codes"): overrides pick from it.
OUTCOMES = dict(OUTCOME_TITLES)

_PARTNER_KINDS = {"car_number_change", "unregistered", "midterm_cancel", "onsite_payment_cancel"}
_SITE_KIND_KINDS = {"car_number_change", "unregistered", "midterm_cancel"}
_MIDTERM_FIELDS = {
    "paid_amount": "결제금액",
    "start_date": "정기권 시작일",
    "cancel_date": "해지일",
    "daily_max_fee": "일최대요금",
}


class Facts(c.FactsSerializer):
    request_kind = c.choice("요청 유형", REQUEST_KINDS)
    partner = c.row_choice(
        "운영사", "partners", DEFAULT_PARTNERS, "정기권 요청은 필수", default=None
    )
    site_kind = c.row_choice(
        "현장 구분",
        "site_kinds",
        DEFAULT_SITE_KINDS,
        "정기권 미등록·차량번호 변경·중도해지는 필수",
        default=None,
    )
    integration = c.choice(
        "연동 구분", INTEGRATIONS, "주차장 정보수정(요금·주소)과 판매중지는 필수", default=None
    )
    topic = c.choice("정보수정 항목", TOPICS, "주차장 정보수정은 필수", default=None)
    special_site = c.choice("특수 현장", SPECIAL_SITES, "63빌딩, 케이트윈타워", default=None)
    lot_name = c.text("주차장(현장) 명", default="", max_length=100)
    car_number = c.text("차량번호", default="", max_length=20)
    new_car_number = c.text("변경할 차량번호", "차량번호 변경 요청일 때", default="", max_length=20)
    details = c.text("요청 내용", "운영사·담당자에게 전달할 내용", default="", max_length=1000)
    partner_answer = c.text(
        "운영사 회신",
        "운영사·담당자 메일 회신 (회신 메일이 오면 자동 기록)",
        default="",
        max_length=2000,
    )
    paid_amount = c.integer("결제금액", "정기권 결제금액(원)", default=None, allow_null=True)
    start_date = c.day("정기권 시작일", "경과일 수는 시작일과 해지일을 모두 포함", default=None)
    cancel_date = c.day("해지일", "중도해지(해지 요청)일", default=None)
    daily_max_fee = c.integer("일최대요금", "현장의 일 최대요금(원)", default=None, allow_null=True)
    customer_agrees = c.boolean(
        "고객 수긍 여부",
        "경과일 수 x 일최대요금 안내에 수긍했는지 (비우면 아직 안내 전)",
        default=None,
        allow_null=True,
    )
    discount_claim = c.choice(
        "환불 요청 사유",
        DISCOUNT_CLAIMS,
        "63빌딩 환불정책: 한화생명 직원 할인·식음업장 할인 미적용",
        default=None,
    )
    evidence_provided = c.boolean(
        "증빙 확인 여부",
        "63빌딩: 할인 대상 증빙을 받아 확인했는지 (비우면 아직 요청 전, '아니오'는 증빙 없음)",
        default=None,
        allow_null=True,
    )
    operator_check_needed = c.boolean(
        "운영사 확인 필요 여부",
        "주차권: 운영사 확인 요청이 필요한 경우 '예' (운영사별 담당자 참고)",
        default=None,
        allow_null=True,
    )
    unresolvable = c.boolean(
        "처리불가 여부",
        "주차권: 아지트 기존 업무로 처리할 수 없으면 '예' (사업담당 멘션)",
        default=None,
        allow_null=True,
    )
    site_contact_known = c.boolean(
        "현장 담당자 확인 여부",
        "하이파킹 수동현장: 월초 현장별 담당자 메일 공유 전이면 '아니오' (다음 영업일 접수)",
        default=None,
        allow_null=True,
    )

    def validate(self, attrs: dict) -> dict:
        kind = attrs["request_kind"]
        errors: dict[str, str] = {}
        twin = attrs.get("special_site") == "k_twin_tower"  # routed as 아마노코리아
        if kind in _PARTNER_KINDS and not attrs.get("partner") and not twin:
            errors["partner"] = f"운영사: {REQUEST_KINDS[kind]} 요청에는 필수 항목입니다."
        if kind in _SITE_KIND_KINDS and not attrs.get("site_kind"):
            errors["site_kind"] = f"현장 구분: {REQUEST_KINDS[kind]} 요청에는 필수 항목입니다."
        if kind == "lot_info_change":
            if not attrs.get("topic"):
                errors["topic"] = "정보수정 항목: 주차장 정보수정 요청에는 필수 항목입니다."
            elif attrs["topic"] != "contract" and not attrs.get("integration"):
                errors["integration"] = "연동 구분: 주차요금·주소 정보수정에는 필수 항목입니다."
        if kind == "stop_selling" and not attrs.get("integration"):
            errors["integration"] = "연동 구분: 노출/판매중지 요청에는 필수 항목입니다."
        if kind == "midterm_cancel":
            errors.update(c.required_when(attrs, _MIDTERM_FIELDS, "중도해지 환불 계산에"))
            start, cancel = attrs.get("start_date"), attrs.get("cancel_date")
            if start and cancel and cancel < start:
                errors["cancel_date"] = "해지일: 정기권 시작일보다 빠를 수 없습니다."
        t_monthly = attrs.get("site_kind") == "t_monthly"
        if kind in SEASON_PASS_MONTH_KINDS and t_monthly and not attrs.get("start_date"):
            errors["start_date"] = (
                "정기권 시작일: T월 주차권 요청에는 필수 항목입니다 "
                "(25.3월 정기권부터 적용: 정기권의 이용월로 처리방법을 정합니다)."
            )
        if (
            kind == "parking_refund"
            and attrs.get("special_site") == "building_63"
            and not attrs.get("discount_claim")
        ):
            errors["discount_claim"] = "환불 요청 사유: 63빌딩 환불정책 요청에는 필수 항목입니다."
        if kind == "car_number_change" and not attrs.get("new_car_number"):
            errors["new_car_number"] = "변경할 차량번호: 차량번호 변경 요청에는 필수 항목입니다."
        # A special site's own partner / routes_like is data (partners.Site): checked in
        # propose through env (_special_site), with the same field error.
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


FACTS = Facts
#: Issue 16: a reply to the route's e-mail (step ``follow_route``, seed 001's 운영사 담당자 메일)
#: is recorded in ``partner_answer`` by the inbound-mail service (case_revise_facts).
AWAITED_REPLIES = {"follow_route": "partner_answer"}


# --------------------------------------------------------------------------- refund


def refund_figures(
    *, paid_amount: int, start_date: date, cancel_date: date, daily_max_fee: int
) -> dict:
    """The seed's refund, by the one calculator the partners app owns (pure, no I/O)."""
    refund = season_pass_refund(
        paid=paid_amount, daily_max=daily_max_fee, starts_on=start_date, cancelled_on=cancel_date
    )
    return {
        "paid_amount": refund.paid,
        "start_date": start_date,
        "cancel_date": cancel_date,
        "elapsed_days": refund.elapsed_days,
        "daily_max_fee": refund.daily_max,
        "deduction": refund.deduction,
        "refund": refund.refund,
    }


def _refund_text(fig: dict) -> str:
    return (
        f"정기권 중도해지 시 환불금액은 결제금액에서 {REFUND_RULE}을 차감하여 산정됩니다.\n"
        f"- 결제금액: {c.won(fig['paid_amount'])}\n"
        f"- 이용기간: {c.ymd(fig['start_date'])} ~ {c.ymd(fig['cancel_date'])} "
        f"(경과일 수 {fig['elapsed_days']}일, 시작일과 해지일 포함)\n"
        f"- 차감금액: {fig['elapsed_days']}일 x {c.won(fig['daily_max_fee'])} = {c.won(fig['deduction'])}\n"
        f"- 환불 예정금액: {c.won(fig['refund'])}"
    )


# --------------------------------------------------------------------------- route


def route_key(facts: dict, site: SiteRule | None = None) -> dict[str, Any]:
    """The keyword arguments for ``env.route_for`` (see the module docstring). ``site`` is the
    special site's row (``env.site_rule``; today's values when not given)."""
    kind = facts["request_kind"]
    partner = facts.get("partner")
    if site is None and facts.get("special_site"):
        site = DEFAULT_SITES.get(facts["special_site"])
    if site is not None and site.routes_like:
        partner = site.routes_like  # 케이트윈타워: 아마노 타 현장과 동일하게 업무 적용
    key: dict[str, Any] = {"request_kind": kind, "partner": partner or "other"}
    if kind in _SITE_KIND_KINDS:
        key["site_kind"] = facts["site_kind"]
    if kind == "midterm_cancel":
        key["customer_agrees"] = facts["customer_agrees"]
    if kind == "lot_info_change":
        key["topic"] = facts["topic"]
        if facts["topic"] != "contract":
            key["integration"] = facts["integration"]
    if kind == "stop_selling":
        key["integration"] = facts["integration"]
    if (
        kind in SEASON_PASS_MONTH_KINDS
        and facts.get("site_kind") == "t_monthly"
        and facts.get("start_date")
    ):
        key["pass_month"] = facts["start_date"].replace(day=1)
    if kind == "parking_refund" and site is not None:
        # Table 7 is a site's policy: the site's row (``env.site_rule``) names it and its
        # operator (``Site.partner``), so the route is the site's route.
        key["site"] = site.name
        key["partner"] = None
    return key


# "@owner1", "(@owner1", ", @owner2", but not the "@host" of an e-mail address.
_MENTION = re.compile(r"(?<![\w.\-])@[A-Za-z0-9_\-]+")


def mentions_of(route: RouteInfo) -> tuple[str, ...]:
    if route.mentions:
        return tuple(route.mentions)
    found: list[str] = []
    for text in (*route.recipients_to, *route.recipients_cc, route.procedure, route.notes):
        for mention in _MENTION.findall(text or ""):
            if mention not in found:
                found.append(mention)
    return tuple(found)


def _situation(facts: dict, partners: Mapping[str, str], site_kinds: Mapping[str, str]) -> str:
    kind = facts["request_kind"]
    parts = [REQUEST_KINDS[kind]]
    if facts.get("partner"):
        parts.append(partners[facts["partner"]])
    if facts.get("special_site"):
        parts.append(SPECIAL_SITES[facts["special_site"]])
    if facts.get("site_kind") and kind in _SITE_KIND_KINDS:
        parts.append(site_kinds[facts["site_kind"]])
    if facts.get("topic") and kind == "lot_info_change":
        parts.append(TOPICS[facts["topic"]])
    if facts.get("integration") and kind in ("lot_info_change", "stop_selling"):
        parts.append(INTEGRATIONS[facts["integration"]])
    if facts.get("discount_claim") and kind == "parking_refund":
        parts.append(DISCOUNT_CLAIMS[facts["discount_claim"]])
    return " / ".join(parts)


def _draft(facts: dict, figures: dict | None, extra: str = "") -> str:
    kind = facts["request_kind"]
    lines = [f"[{REQUEST_KINDS[kind]} 요청]"]
    if facts.get("lot_name"):
        lines.append(f"-주차장: {facts['lot_name']}")
    if kind == "car_number_change":
        lines.append(f"-차량번호: {facts.get('car_number') or '-'} → {facts['new_car_number']}")
    elif facts.get("car_number"):
        lines.append(f"-차량번호: {facts['car_number']}")
    if figures:
        lines.append(
            f"-결제금액: {c.won(figures['paid_amount'])} / 이용기간: {c.ymd(figures['start_date'])} ~ "
            f"{c.ymd(figures['cancel_date'])} ({figures['elapsed_days']}일)"
        )
        lines.append(
            f"-{REFUND_RULE}: {figures['elapsed_days']}일 x {c.won(figures['daily_max_fee'])} = "
            f"{c.won(figures['deduction'])} → 환불 예정 {c.won(figures['refund'])}"
        )
    if facts.get("details"):
        lines.append(f"-요청내용: {facts['details']}")
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _channel_words(route: RouteInfo) -> str:
    label = CHANNEL_LABELS.get(route.channel_kind, route.channel_kind)
    target = (route.channel_target or "").strip()
    if not target or target == label:
        return label
    # Targets often carry their kind already ("E-mail 하이파킹 ...", "아지트 정기권 ...").
    return target if target.startswith(label) else f"{label} {target}"


def _route_steps(
    route: RouteInfo, roles: frozenset[str], draft: str, mentions: tuple[str, ...]
) -> list[Step]:
    step_kind, waits_on = _EXECUTION.get(route.channel_kind, ("action", "partner"))
    if mentions:
        # The procedure is an @mention (e.g. table 5 "parking admin | @owner4, @owner5, @owner6,
        # @owner7 멘션"): whatever the channel cell says, the work is an Agit post to them.
        step_kind, waits_on = "post", "team"
    script_lines = [f"처리방법: {route.procedure}"]
    if route.channel_kind == "email":
        script_lines.append(f"수신: {', '.join(route.recipients_to) or '-'}")
        script_lines.append(f"참조: {', '.join(route.recipients_cc) or '-'}")
    if mentions:
        script_lines.append(f"멘션: {' '.join(mentions)}")
    if route.notes:
        script_lines.append(f"비고: {route.notes}")
    script_lines += ["", draft]
    steps = [
        Step(
            "follow_route",
            f"{_channel_words(route)}: {route.procedure}",
            roles,
            "\n".join(script_lines),
            kind=step_kind,
            waits_on=waits_on,
        ),
        Step(
            "notify_customer",
            "처리 결과 확인 후 고객 안내" if waits_on else "처리 완료 고객 안내",
            roles,
            kind="say",
            waits_on=waits_on,
        ),
    ]
    return steps


HIPARKING_DELAY_SCRIPT = (
    "요청하신 건은 현장 담당자 확인에 시간이 소요되어, 다음 영업일에 확인 후 접수해 드릴 "
    "예정입니다. 번거로우시겠지만 양해 부탁드립니다."
)


def _site_contact_pending(facts: dict, route: RouteInfo) -> bool:
    """하이파킹 수동현장 by e-mail while this month's site contact is not known yet."""
    return (
        facts.get("partner") == "hiparking"
        and facts.get("site_kind") in ("manual_normal", "manual_special")
        and route.channel_kind == "email"
        and facts.get("site_contact_known") is False
    )


def _next_business_day_steps(steps: list[Step], roles: frozenset[str]) -> list[Step]:
    """Tell the customer it takes time, then send on the next business day (due rule)."""
    out = [
        Step("explain_delay", "고객 시간소요 양해 안내", roles, HIPARKING_DELAY_SCRIPT, kind="say")
    ]
    for step in steps:
        if step.code == "follow_route":
            step = dataclasses.replace(
                step,
                label=f"{step.label} (다음 영업일 현장 담당자 메일 확인 후 접수)",
                due_rule="next_business_day",
            )
        out.append(step)
    return out


# The Agit board when a route names none: the center setting agit_parking_board (issue 15).


def _site_refund(facts: dict, route: RouteInfo, roles, steps: list[Step], proposal) -> Proposal:
    """Table 7, 63빌딩 환불정책: "1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시
    증빙 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후 결제취소". Evidence not asked yet ->
    ask for it; evidence checked -> cancel; no evidence -> say the operator will be asked, then
    cancel. Another claim is not in the policy: a lead looks at it."""
    site = SPECIAL_SITES[facts["special_site"]]
    policy = f"{site} 환불정책: {route.procedure}"
    claim = facts["discount_claim"]
    if claim == "other":
        steps.append(
            Step(
                "review",
                f"{site} 환불정책 대상 아님: 팀장·부팀장 확인",
                LEADS,
                policy,
                kind="check",
                waits_on="team",
            )
        )
        reason = f"{site} 환불정책 대상 아님 ({DISCOUNT_CLAIMS[claim]}): 팀장·부팀장 확인"
        return proposal("needs_review", reason, steps, route=route)
    label = DISCOUNT_CLAIMS[claim]
    evidence = facts.get("evidence_provided")
    if evidence is None:
        steps.append(
            Step(
                "request_evidence",
                f"증빙 확인 요청 ({label})",
                roles,
                f"{SITE_EVIDENCE_REQUEST_SCRIPT.format(claim=label)}\n\n{policy}",
                kind="say",
                waits_on="customer",
            )
        )
        reason = f"{site} 환불정책: {label} 주장, 증빙 확인 요청"
        return proposal("request_site_evidence", reason, steps, route=route)
    cancel = Step(
        "cancel_payment", f"{_channel_words(route)}: 결제취소", roles, policy, kind="action"
    )
    if evidence:
        steps += [
            Step("check_evidence", f"증빙 확인 ({label})", roles, policy, kind="check"),
            cancel,
            Step("notify_customer", "결제취소 완료 고객 안내", roles, kind="say"),
        ]
        reason = f"{site} 환불정책: {label}, 증빙 확인 후 결제취소"
    else:
        steps += [
            Step(
                "explain_operator_check",
                "증빙 없음: 운영사 확인 안내 후 결제취소",
                roles,
                SITE_NO_EVIDENCE_SCRIPT,
                kind="say",
            ),
            cancel,
        ]
        reason = f"{site} 환불정책: {label}, 증빙 없음 - 운영사 확인해보겠다고 안내 후 결제취소"
    return proposal("cancel_site_payment", reason, steps, route=route)


def _operator_check_step(facts: dict, roles, draft: str, env: Env, at: datetime) -> Step:
    """Table 6 "운영사 확인 요청이 필요한 경우 위 담당자 참고해서 처리": the partner's contacts
    of table 4 (the table keyed by partner alone), read from the route table."""
    lines = ["운영사 확인 요청이 필요한 경우 위 담당자 참고해서 처리"]
    partner = facts.get("partner")
    if partner:
        try:
            op = env.route_for(request_kind=TICKET_OPERATOR_KIND, partner=partner, at=at)
        except PlaybookError as exc:
            lines.append(f"운영사별 담당자를 찾지 못했습니다: {exc}")
        else:
            name = partner_names(env, at).get(partner, partner)
            lines.append(f"{name}: {_channel_words(op)} - {op.procedure}")
            if op.recipients_to:
                lines.append(f"수신: {', '.join(op.recipients_to)}")
            if op.recipients_cc:
                lines.append(f"참조: {', '.join(op.recipients_cc)}")
            if mentions_of(op):
                lines.append(f"멘션: {' '.join(mentions_of(op))}")
    else:
        lines.append("운영사를 지정하면 운영사별 담당자를 안내합니다.")
    return Step(
        "operator_check",
        "운영사 확인 요청 (운영사별 담당자 참고)",
        roles,
        "\n".join([*lines, "", draft]),
        kind="action",
        waits_on="partner",
    )


def _parking_ticket(facts, route, roles, mentions, steps, proposal, env, at) -> Proposal:
    """Table 6 (주차권): "아지트 기존 업무 유지하되, 운영사 확인 요청이 필요한 경우 위 담당자
    참고해서 처리 / 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션"."""
    board = (route.channel_target if route.channel_kind == "agit" else "") or center_rules(
        env, at
    ).agit_parking_board
    if facts.get("unresolvable"):
        body = _draft(
            facts, None, "-처리불가: 아지트 기존 업무로 처리할 수 없어 사업담당 확인 요청"
        )
        steps += [
            Step(
                "post_agit",
                f"아지트 작성: 사업담당 멘션 {' '.join(mentions)}".rstrip(),
                roles,
                body,
                kind="post",
                waits_on="team",
            ),
            Step(
                "notify_customer", "사업담당 답변 후 고객 안내", roles, kind="say", waits_on="team"
            ),
        ]
        reason = f"주차권 처리불가: 사업담당 멘션 ({' '.join(mentions) or '경로의 멘션 없음'})"
        return proposal(
            "escalate_business_owner",
            reason,
            steps,
            route=route,
            escalation=EscalationSpec(board=board, body=body, mentions=mentions),
        )
    draft = _draft(facts, None)
    if facts.get("operator_check_needed"):
        steps.append(_operator_check_step(facts, roles, draft, env, at))
    steps += [
        Step(
            "follow_route",
            f"{_channel_words(route)}: 아지트 기존 업무 유지",
            roles,
            f"처리방법: {route.procedure}\n\n{draft}",
            kind="post",
            waits_on="team",
        ),
        Step("notify_customer", "처리 결과 확인 후 고객 안내", roles, kind="say", waits_on="team"),
    ]
    reason = f"{_channel_words(route)}: 아지트 기존 업무 유지 (처리불가 시 사업담당 멘션)"
    # The usual Agit post, without the business owners: they are mentioned only 처리불가 시.
    return proposal(
        "follow_route",
        reason,
        steps,
        route=route,
        escalation=EscalationSpec(board=board, body=draft),
    )


def _roles(route: RouteInfo) -> tuple[frozenset[str], str]:
    if route.allowed_roles:
        return frozenset(route.allowed_roles), ""
    # A route that names nobody is not a licence for everybody: leads take it.
    return LEADS, " (경로에 변경권한이 없어 팀장·부팀장 처리)"


# --------------------------------------------------------------------------- proposal


def propose_outcome(facts: dict, outcome: str, at: datetime, env: Env) -> Proposal | None:
    """The proposal for ``outcome`` chosen by a lead (an override): what :func:`propose` gives
    when the facts lead there. The outcomes follow the route table and the customer's answer
    (seed 001), so:

    - ``explain_refund``: a mid-term cancel explained again (the answer is asked anew);
    - ``escalate_business_owner``: a mid-term cancel the customer did not accept (고객 수긍
      여부 '아니오') by its route's mentions;
    - ``follow_route``: the route of these facts (a mid-term cancel the customer accepted).

    Refused (PlaybookError naming the fact) when the customer's answer a mid-term cancel's
    outcome needs is missing or says otherwise, or no route answers the facts for a mention.
    ``None`` (the generic follow-up: the lead carries it out by hand, nothing is improvised)
    for ``follow_route`` when the route table has no row for these facts, and for the refund
    outcomes of a request that is not a mid-term cancel (the seed has no text for them).
    """
    label = OUTCOMES.get(outcome, outcome)
    if outcome not in OUTCOMES or outcome == "needs_review":
        c.refuse_override(label, "이 결과로 결정할 수 없습니다.")
    natural = propose(facts, at, env)
    if natural.outcome == outcome:
        return natural
    kind = facts["request_kind"]
    if outcome in ("request_site_evidence", "cancel_site_payment"):
        if kind != "parking_refund" or facts.get("special_site") != "building_63":
            return None  # table 7's texts are 63빌딩's
        if facts.get("discount_claim") in (None, "other"):
            return None  # not a claim the policy covers: done by hand
        if outcome == "request_site_evidence":
            return propose({**facts, "evidence_provided": None}, at, env)
        c.refuse_override(label, "증빙 확인 여부: 증빙 확인 결과(있음/없음)를 먼저 기록해 주세요.")
    if kind == "parking_ticket" and outcome == "escalate_business_owner":
        return propose({**facts, "unresolvable": True}, at, env)
    midterm = facts["request_kind"] == "midterm_cancel"
    agrees = facts.get("customer_agrees")
    if outcome in ("explain_refund", "escalate_business_owner") and not midterm:
        return None  # the seed's texts are a mid-term cancel's: another request is done by hand
    if outcome == "explain_refund":
        return propose({**facts, "customer_agrees": None}, at, env)
    if midterm and agrees is None:
        c.refuse_override(
            label, "고객 수긍 여부: 환불금 안내 후 고객의 수긍 여부를 먼저 기록해 주세요."
        )
    if outcome == "escalate_business_owner":
        if agrees:
            c.refuse_override(label, "고객 수긍 여부: 고객이 환불금에 수긍한 건입니다.")
        c.refuse_override(
            label, f"처리 경로 없음: 사업담당 멘션 경로가 없습니다 ({natural.reason})."
        )
    if midterm and agrees is False:
        c.refuse_override(
            label, "고객 수긍 여부: 고객이 미수긍한 건은 사업담당 멘션 경로로 진행합니다."
        )
    return None  # follow_route without a route: done by hand


def _rows_in_use(facts: dict, at: datetime, env: Env) -> tuple[dict, dict]:
    """(운영사, 현장 구분) rows in use (``env.partner_names`` / ``env.site_kind_names``); a fact
    naming none of them (a code never added, or one a lead retired) is its Korean error."""
    partners, site_kinds = partner_names(env, at), site_kind_names(env, at)
    errors = {}
    given = facts.get("partner")
    if given and given not in partners:
        errors["partner"] = [
            f"운영사: '{given}'은(는) 사용 중인 운영사가 아닙니다 (관리 화면 > 운영사에서 확인하세요)."
        ]
    given = facts.get("site_kind")
    if given and given not in site_kinds:
        errors["site_kind"] = [
            f"현장 구분: '{given}'은(는) 사용 중인 현장 구분이 아닙니다 "
            "(관리 화면 > 현장 구분에서 확인하세요)."
        ]
    if errors:
        raise serializers.ValidationError(errors)
    return partners, site_kinds


def _special_site(facts: dict, at: datetime, env: Env) -> SiteRule | None:
    """The special site's row (partners.Site through ``env.site_rule``): its routing partner
    (``routes_like``) and policy. A partner fact that contradicts the row is the fact's error."""
    code = facts.get("special_site")
    if not code:
        return None
    site = site_rule(env, code, at)
    if site is None:
        raise serializers.ValidationError(
            {
                "special_site": [
                    f"특수 현장: '{SPECIAL_SITES.get(code, code)}' 현장 정보가 없습니다."
                ]
            }
        )
    given = facts.get("partner")
    if site.routes_like and given not in (None, site.routes_like):
        like = partner_names(env, at).get(site.routes_like, site.routes_like)
        raise serializers.ValidationError(
            {"partner": [f"운영사: {site.name}는 {like} 현장과 동일하게 처리합니다."]}
        )
    return site


def propose(facts: dict, at: datetime, env: Env) -> Proposal:
    kind = facts["request_kind"]
    ctype = PARKING_OPERATIONS[kind]
    partners, site_kinds = _rows_in_use(facts, at, env)
    situation = _situation(facts, partners, site_kinds)
    figures = None
    if kind == "midterm_cancel":
        figures = refund_figures(
            paid_amount=facts["paid_amount"],
            start_date=facts["start_date"],
            cancel_date=facts["cancel_date"],
            daily_max_fee=facts["daily_max_fee"],
        )
    check = Step(
        "check_request",
        f"요청 확인: {situation}",
        ALL,
        _draft(facts, figures),
        kind="check",
    )
    explain = (
        Step(
            "explain_refund", f"환불금 안내 ({REFUND_RULE})", ALL, _refund_text(figures), kind="say"
        )
        if figures
        else None
    )

    def proposal(outcome: str, reason: str, steps: list[Step], **kw) -> Proposal:
        record_lines = [f"-요청: {situation}", f"-처리: {reason}"]
        if figures:
            record_lines.append(
                f"-환불: {c.won(figures['paid_amount'])} - {figures['elapsed_days']}일 x "
                f"{c.won(figures['daily_max_fee'])} = {c.won(figures['refund'])}"
            )
        return Proposal(
            playbook=CODE,
            version=VERSION,
            outcome=outcome,
            reason=reason,
            consultation_type=ctype,
            steps=tuple(steps),
            record=ConsultationRecord(
                title=f"{REQUEST_KINDS[kind]} - {OUTCOME_TITLES[outcome]}",
                inquiry=REQUEST_KINDS[kind],
                notes="\n".join(record_lines),
            ),
            operations_memo=f"[{situation}] {reason}",
            figures=figures,
            **kw,
        )

    if kind == "midterm_cancel" and facts.get("customer_agrees") is None:
        return proposal(
            "explain_refund",
            f"중도해지 환불 안내: 환불 예정 {c.won(figures['refund'])} ({REFUND_RULE}), 고객 수긍 여부 확인 필요",
            [
                check,
                Step(
                    "explain_refund",
                    f"환불금 안내 ({REFUND_RULE}) 후 수긍 여부 확인",
                    ALL,
                    _refund_text(figures),
                    kind="say",
                    waits_on="customer",
                ),
            ],
        )

    site = _special_site(facts, at, env)
    key = route_key(facts, site)
    try:
        route = env.route_for(**key, at=at)
    except PlaybookError as exc:
        steps = [check] + ([explain] if explain else [])
        steps.append(
            Step(
                "review",
                "처리 경로 없음: 팀장·부팀장 확인 (처리불가 시 사업담당 멘션)",
                LEADS,
                str(exc),
                kind="check",
                waits_on="team",
            )
        )
        return proposal("needs_review", f"처리 경로 없음: {exc}", steps)

    roles, roles_note = _roles(route)
    mentions = mentions_of(route)
    # Once a route answers, every step is the route's to give: a lead-only route proposes
    # nothing an agent could carry out.
    steps = [dataclasses.replace(step, roles=roles) for step in (check, explain) if step]
    if site is not None and site.special_policy and kind == "onsite_payment_cancel":
        # Table 7 (63빌딩 환불정책): the site row's policy, as a lead keeps it.
        steps.append(
            Step(
                "site_policy",
                f"{site.name} 환불정책 확인",
                roles,
                site.special_policy,
                kind="check",
            )
        )

    if kind == "parking_refund" and facts.get("special_site") == "building_63":
        return _site_refund(facts, route, roles, steps, proposal)
    if kind == "parking_ticket":
        return _parking_ticket(facts, route, roles, mentions, steps, proposal, env, at)

    if kind == "midterm_cancel" and facts["customer_agrees"] is False:
        body = _draft(
            facts,
            figures,
            "-고객 미수긍: 경과일 수 x 일최대요금 안내에 수긍하지 않음, 사업담당 확인 요청",
        )
        steps.append(
            Step(
                "post_agit",
                f"아지트 작성: 사업담당 멘션 {' '.join(mentions)}".rstrip(),
                roles,
                body,
                kind="post",
                waits_on="team",
            )
        )
        steps.append(
            Step(
                "notify_customer", "사업담당 답변 후 고객 안내", roles, kind="say", waits_on="team"
            )
        )
        reason = f"중도해지 환불 미수긍: 사업담당 멘션 ({' '.join(mentions) or '경로의 멘션 없음'}){roles_note}"
        return proposal(
            "escalate_business_owner",
            reason,
            steps,
            route=route,
            escalation=EscalationSpec(
                board=route.channel_target or center_rules(env, at).agit_parking_board,
                body=body,
                mentions=mentions,
            ),
        )

    draft = _draft(facts, figures)
    route_steps = _route_steps(route, roles, draft, mentions)
    if _site_contact_pending(facts, route):
        route_steps = _next_business_day_steps(route_steps, roles)
    steps += route_steps
    escalation = None
    if route.channel_kind == "agit" or mentions:
        # An Agit route, or a row whose procedure is an @mention: the post is created at the
        # decision with the route's mention rows (board: the channel's when it is Agit).
        board = route.channel_target if route.channel_kind == "agit" else ""
        board = board or center_rules(env, at).agit_parking_board
        escalation = EscalationSpec(board=board, body=draft, mentions=mentions)
    reason = f"{_channel_words(route)}: {route.procedure}{roles_note}"
    return proposal("follow_route", reason, steps, route=route, escalation=escalation)
