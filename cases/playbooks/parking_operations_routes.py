"""Seed 001 ([주차] 고객센터 업무처리 프로세스): the refund figures, the partner route and the steps that follow it.

Split from ``cases.playbooks.parking_operations`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from partners.refunds import season_pass_refund

from . import _common as c
from .base import (
    LEADS,
    Env,
    EscalationSpec,
    PlaybookError,
    Proposal,
    RouteInfo,
    Step,
)
from .center import center_rules
from .parking_operations_scripts import (
    _EXECUTION,
    _SITE_KIND_KINDS,
    CHANNEL_LABELS,
    DISCOUNT_CLAIMS,
    INTEGRATIONS,
    REFUND_RULE,
    REQUEST_KINDS,
    SEASON_PASS_MONTH_KINDS,
    SITE_EVIDENCE_REQUEST_SCRIPT,
    SITE_NO_EVIDENCE_SCRIPT,
    SPECIAL_SITES,
    TICKET_OPERATOR_KIND,
    TOPICS,
)
from .site_rules import (
    DEFAULT_SITES,
    SiteRule,
    partner_names,
)

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
