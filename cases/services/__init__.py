"""Writes of the cases app: keyword-only, the acting user first-class, one transaction each,
``full_clean`` before save, the actor on every history row, and the permission question asked
inside the service too (``kmcs_site.permissions.user_can``), so every door gets the same answer.
Refusals raise :mod:`cases.exceptions` errors with Korean messages and change nothing.
"""

from cases.services.decisions import case_decide, case_propose, message_idempotency_key
from cases.services.escalations import (
    contact_attempt_log,
    default_board,
    escalation_post_create,
    escalation_post_mark_posted,
)
from cases.services.intake import CaseCreateResult, case_create, case_create_batch
from cases.services.plan import case_plan_replace_pending, plan_pending
from cases.services.privacy import case_phone_unmask
from cases.services.reference import (
    campaign_extend,
    campaign_save,
    consultation_type_add,
    consultation_type_set_active,
    staff_profile_set_services,
)
from cases.services.steps import (
    case_message_sent_by_hand,
    case_step_complete,
    case_step_mark_na,
    case_step_send,
)
from cases.services.workflow import (
    case_answer_save,
    case_assign,
    case_force_close,
    case_record_update,
    case_take,
    case_transition,
    posts_missing,
)

__all__ = [
    "CaseCreateResult",
    "campaign_extend",
    "campaign_save",
    "case_answer_save",
    "case_assign",
    "case_create",
    "case_create_batch",
    "case_decide",
    "case_force_close",
    "case_message_sent_by_hand",
    "case_phone_unmask",
    "case_plan_replace_pending",
    "case_propose",
    "case_record_update",
    "case_step_complete",
    "case_step_mark_na",
    "case_step_send",
    "case_take",
    "case_transition",
    "consultation_type_add",
    "consultation_type_set_active",
    "contact_attempt_log",
    "default_board",
    "escalation_post_create",
    "escalation_post_mark_posted",
    "message_idempotency_key",
    "plan_pending",
    "posts_missing",
    "staff_profile_set_services",
]
