"""Deciding a fine's case: the playbook's proposal through cases.services.case_decide, then
what only the fines app can do (the second Agit post of a consigned call, the payout)."""

from __future__ import annotations

from django.db import transaction

from cases.playbooks.base import Proposal
from fines import codes
from fines.models import FineNotice, FinePayout

from ._common import audited_save, now_or


@transaction.atomic
def fine_decide(*, notice: FineNotice, proposal: Proposal, actor, at=None) -> FinePayout | None:
    """Decide ``notice``'s case as ``proposal`` says; create the payout for ``payout``.

    Order (seed: "SMS 선발송 후 답변내용 저장"): the decision queues the customer's and the
    driver's SMS first, then the payout row is written; all of it commits together or not at
    all, and the SMS leave the outbox after the commit.
    """
    from cases.services.decisions import case_decide
    from cases.services.escalations import escalation_post_create

    at = now_or(at)
    case_decide(case=notice.case, actor=actor, proposal=proposal, at=at)
    for extra in (proposal.figures or {}).get("extra_escalations") or ():
        escalation_post_create(
            case=notice.case,
            actor=actor,
            board=extra["board"],
            template=extra.get("template", ""),
            body=extra["body"],
            reason="playbook",
            at=at,
        )
    answer = (proposal.figures or {}).get("answer")
    if answer and not proposal.messages:
        # No SMS to send first: the board answer is saved with the decision.
        from cases.services.workflow import case_answer_save

        case_answer_save(case=notice.case, text=answer, actor=actor, at=at)
    if notice.outcome != proposal.outcome:
        notice.outcome = proposal.outcome
        audited_save(notice, actor, reason="처리 결정", validate_constraints=False)
    if proposal.outcome != codes.PAYOUT:
        return None
    from .payouts import payout_create

    return payout_create(
        notice=notice,
        actor=actor,
        charge_driver=bool((proposal.figures or {}).get("charge_driver", True)),
        manual=False,  # the decision's payout: the notice's amount to the notice's account
        at=at,
    )
