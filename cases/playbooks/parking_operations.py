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
from datetime import datetime

from rest_framework import serializers

from cases.consultation_types import PARKING_OPERATIONS

from . import _common as c
from .base import (
    ALL,
    LEADS,
    ConsultationRecord,
    Env,
    EscalationSpec,
    PlaybookError,
    Proposal,
    Step,
)
from .center import center_rules
from .parking_operations_facts import (  # noqa: F401
    FACTS,
    Facts,
)
from .parking_operations_routes import (  # noqa: F401
    _MENTION,
    HIPARKING_DELAY_SCRIPT,
    _channel_words,
    _draft,
    _next_business_day_steps,
    _operator_check_step,
    _parking_ticket,
    _refund_text,
    _roles,
    _route_steps,
    _site_contact_pending,
    _site_refund,
    _situation,
    mentions_of,
    refund_figures,
    route_key,
)
from .parking_operations_scripts import (  # noqa: F401
    _EXECUTION,
    _MIDTERM_FIELDS,
    _PARTNER_KINDS,
    _SITE_KIND_KINDS,
    CHANNEL_LABELS,
    CODE,
    DISCOUNT_CLAIMS,
    INTEGRATIONS,
    OUTCOME_TITLES,
    OUTCOMES,
    REFUND_RULE,
    REQUEST_KINDS,
    SEASON_PASS_MONTH_KINDS,
    SITE_EVIDENCE_REQUEST_SCRIPT,
    SITE_NO_EVIDENCE_SCRIPT,
    SPECIAL_SITES,
    TICKET_OPERATOR_KIND,
    TOPICS,
    VERSION,
)
from .site_rules import (
    SiteRule,
    partner_names,
    site_kind_names,
    site_rule,
)

#: is recorded in ``partner_answer`` by the inbound-mail service (case_revise_facts).
AWAITED_REPLIES = {"follow_route": "partner_answer"}


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
