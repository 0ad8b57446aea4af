"""A playbook's Proposal as the API shows it (the simulator and the intake response).

Pure apart from rendering the messages with their approved template versions
(:func:`cases.api.selectors.render_message_specs`, one query).
"""

from __future__ import annotations

from typing import Any

from cases.playbooks.base import RESULT_TYPES, Proposal
from cases.proposals import to_jsonable


def proposal_payload(proposal: Proposal) -> dict[str, Any]:
    from cases.api.selectors import render_message_specs

    record = proposal.record
    escalation = proposal.escalation
    route = proposal.route
    return {
        "playbook": proposal.playbook,
        "version": proposal.version,
        "outcome": proposal.outcome,
        "reason": proposal.reason,
        "steps": [
            {
                "code": step.code,
                "label": step.label,
                "roles": sorted(step.roles),
                "kind": step.kind,
                "script": step.script,
                "waits_on": step.waits_on,
            }
            for step in proposal.steps
        ],
        "messages": render_message_specs(proposal.messages),
        "memo": {
            "billing": proposal.billing_memo,
            "operations": proposal.operations_memo,
            "record": (
                {"title": record.title, "inquiry": record.inquiry, "notes": record.notes}
                if record is not None
                else None
            ),
            "consultation_type": list(proposal.consultation_type),
            "result_type": proposal.result_type,
            "result_type_label": RESULT_TYPES.get(proposal.result_type or ""),
            "escalation": (
                {
                    "board": escalation.board,
                    "template": escalation.template,
                    "body": escalation.body,
                    "mentions": list(escalation.mentions),
                }
                if escalation is not None
                else None
            ),
        },
        "route": to_jsonable(route) if route is not None else None,
        "figures": to_jsonable(proposal.figures) if proposal.figures is not None else None,
    }
