"""How the case admin writes a case's parts for people: labelled rows, numbered steps, and the
history's facts and proposal, in Korean (never the stored JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from cases.labels import due_rule_label, fact_label, format_fact, outcome_label
from cases.models import StepKind
from cases.playbooks import get_playbook
from kmcs_site.history import EMPTY
from kmcs_site.privacy import mask_text


def rows_html(rows: Iterable[tuple[Any, Any]]):
    """(label, value) pairs as a definition list (values escaped): what the admin shows
    instead of raw JSON with English keys."""
    rows = list(rows)
    if not rows:
        return "-"
    return format_html(
        '<dl class="kmcs-rows">{}</dl>',
        format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((str(k), str(v)) for k, v in rows)),
    )


def steps_html(steps: Iterable[Mapping[str, Any]]):
    """The proposal's steps as a numbered Korean list (label, kind, who, due): what deciding
    wrote as the checklist, instead of the snapshot's JSON."""
    from cases.views.presenters import roles_label

    items = []
    for step in steps or ():
        kind = step.get("kind", "")
        details = [str(StepKind(kind).label) if kind in StepKind.values else kind]
        details.append(roles_label(step.get("roles") or ()))
        if step.get("due_rule"):
            details.append(due_rule_label(step["due_rule"]))
        items.append((step.get("label", ""), " · ".join(d for d in details if d)))
    if not items:
        return ""
    return format_html(
        '<ol class="kmcs-steps">{}</ol>',
        format_html_join(
            "", '<li class="kmcs-step">{} <span class="quiet">({})</span></li>', items
        ),
    )


@lru_cache(maxsize=32)
def _facts_fields(playbook: str) -> dict[str, Any]:
    try:
        return dict(get_playbook(playbook).FACTS().fields)
    except LookupError:
        return {}


def facts_history_text(facts: Any, record: Any = None) -> str:
    """A case's facts in its history page: "결제(취소)금액: 12,000원 · ..." (the playbook's
    labels, won amounts, phones masked). Only the facts that changed reach here
    (kmcs_site.admin.KoreanHistoryValues)."""
    if not isinstance(facts, Mapping):
        return mask_text(str(facts))
    fields = _facts_fields(getattr(record, "playbook", "") or "")
    text = " · ".join(
        f"{fact_label(k, fields.get(k))}: {format_fact(k, v)}" for k, v in facts.items()
    )
    return mask_text(text) or EMPTY


def outcome_history_text(code: Any, record: Any = None) -> str:
    """An outcome code in the history page as its playbook's label ("승인 (미운행 결제취소)")."""
    return outcome_label(getattr(record, "playbook", "") or "", str(code)) or EMPTY


def proposal_history_text(proposal: Any, record: Any = None) -> str:
    """A case's stored proposal in its history page: its outcome and reason, in Korean."""
    if not isinstance(proposal, Mapping):
        return mask_text(str(proposal))
    parts = []
    if proposal.get("outcome"):
        playbook = getattr(record, "playbook", "") or ""
        parts.append(f"{_('제안 결과')}: {outcome_label(playbook, proposal['outcome'])}")
    if proposal.get("reason"):
        parts.append(f"{_('사유')}: {proposal['reason']}")
    steps = [s.get("label", "") for s in proposal.get("steps") or () if isinstance(s, Mapping)]
    if steps:
        parts.append(f"{_('단계')} {len(steps)}개")
    return mask_text(" · ".join(parts)) or EMPTY
