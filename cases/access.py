"""Who may work which case: the object rules of the case actions in ``kmcs_site.permissions``.

Leads, deputies and managers work every case; an agent works a case that is assigned to them
(the guardian object permission ``cases.work_case``, granted and revoked by ``case_assign``) or
an unassigned case of a service they work (``StaffProfile.services``). Seeing a case is the same
question: an agent never sees another agent's case (screens answer 404, not 403).

The permission module declares which actions are object-scoped (``OBJECT_SCOPED``) and imports
no app; :func:`register_rules` (called from ``CasesConfig.ready``) hands it the rules below, so
the dependency runs one way: cases -> kmcs_site.permissions.
"""

from __future__ import annotations

from kmcs_site.permissions import LEADS_AND_MANAGER, Role

#: Roles that see and work every case (and the auditor, who sees everything).
UNRESTRICTED_ROLES = frozenset(LEADS_AND_MANAGER | {Role.AUDITOR})
WORK_CASE_PERM = "cases.work_case"


def is_agent_only(roles: frozenset[str]) -> bool:
    """True when the case-level restrictions of an agent apply (no lead/manager/auditor role)."""
    return not (roles & UNRESTRICTED_ROLES)


def case_of(obj):
    """The case an object belongs to (admin inlines pass the parent case, services the row)."""
    from cases.models import Case

    return obj if isinstance(obj, Case) else obj.case


def agent_services(user) -> frozenset[str]:
    """The services ``user`` works, read once per user instance (one query)."""
    cached = getattr(user, "_kmcs_services", None)
    if cached is None:
        from cases.models import StaffProfile

        services = (
            StaffProfile.objects.filter(user_id=user.pk).values_list("services", flat=True).first()
        )
        cached = frozenset(services or ())
        user._kmcs_services = cached
    return cached


def forget_cached_access(user) -> None:
    """Drop what this module cached on a user instance (after a profile change)."""
    for attr in ("_kmcs_services",):
        if hasattr(user, attr):
            delattr(user, attr)


#: Where a case instance keeps the answers of :func:`holds_work_permission` (user pk -> bool).
_WORK_PERMISSION_ANSWERS = "_kmcs_work_permission"


def holds_work_permission(user, case) -> bool:
    """Does ``user`` hold the work permission on ``case``? Answered once per case instance
    and user: a case page asks ``user_can`` for each of its fifteen actions, and the case read
    for the page brings the answer along (:func:`remember_work_permission`)."""
    answers = case.__dict__.setdefault(_WORK_PERMISSION_ANSWERS, {})
    if user.pk not in answers:
        from cases.models import CaseUserObjectPermission

        answers[user.pk] = CaseUserObjectPermission.objects.filter(
            user_id=user.pk, content_object_id=case.pk, permission__codename="work_case"
        ).exists()
    return answers[user.pk]


def remember_work_permission(case, user, holds: bool) -> None:
    """Keep on ``case`` whether ``user`` holds its work permission (read with the case)."""
    case.__dict__.setdefault(_WORK_PERMISSION_ANSWERS, {})[user.pk] = holds


def forget_work_permission(case) -> None:
    """Drop the answers kept on ``case``: its assignment may have changed (services' mirror)."""
    case.__dict__.pop(_WORK_PERMISSION_ANSWERS, None)


def agent_may_work(user, case) -> bool:
    if case.pk is None:
        return False
    if case.assignee_id is None and case.service in agent_services(user):
        return True
    return holds_work_permission(user, case)


def message_case(obj):
    """The case ``obj`` is or belongs to: a case itself, or the case of an outbound message
    (generic relation: read by content type, one query); None for a message of no case."""
    from django.contrib.contenttypes.models import ContentType

    from cases.models import Case

    if isinstance(obj, Case):
        return obj
    if getattr(obj, "content_type_id", None) is None or obj.object_id is None:
        return None
    if obj.content_type_id != ContentType.objects.get_for_model(Case).pk:
        return None
    return Case.objects.filter(pk=obj.object_id).first()


def agent_may_take(user, roles: frozenset[str], case) -> bool:
    if case.assignee_id is not None:
        return False
    # An agent who filed the case (workspace intake) owns it, whatever their services.
    if case.created_by_id is not None and case.created_by_id == user.pk:
        return True
    return not is_agent_only(roles) or case.service in agent_services(user)


# --- the object rules, registered with kmcs_site.permissions --------------------------------
def case_work_rule(user, roles, obj) -> bool:
    """Working (or seeing) a case or a row of it: every case for leads, managers and auditors;
    an agent the cases they may work."""
    return not is_agent_only(roles) or agent_may_work(user, case_of(obj))


def case_revise_facts_rule(user, roles, obj) -> bool:
    """An agent revises the facts of a case assigned to them ("own cases"); an unassigned case
    is taken first, so every revision has an owner who answers for it."""
    return not is_agent_only(roles) or case_of(obj).assignee_id == user.pk


def case_take_rule(user, roles, obj) -> bool:
    return agent_may_take(user, roles, obj)


def message_rule(user, roles, obj) -> bool:
    """A message is seen and acted on as its case is (issue 12): an agent only the messages of
    the cases they may work; a message of no case only by the roles that see every case.
    ``obj`` is the message or its case (the case page asks before it picks a message)."""
    if not is_agent_only(roles):
        return True
    case = message_case(obj)
    return case is not None and agent_may_work(user, case)


#: action -> rule; every action here is declared in kmcs_site.permissions.OBJECT_SCOPED.
RULES = {
    "cases.case.view": case_work_rule,
    "cases.case.change": case_work_rule,
    "cases.case.decide": case_work_rule,
    "cases.case.close": case_work_rule,
    "cases.case.force_close": case_work_rule,
    "cases.casestep.change": case_work_rule,
    "cases.casestep.send": case_work_rule,
    "cases.casestep.mark_na": case_work_rule,
    "cases.escalationpost.add": case_work_rule,
    "cases.escalationpost.change": case_work_rule,
    "cases.escalationpost.publish": case_work_rule,
    "cases.escalationpost.retry": case_work_rule,
    "cases.caseemail.add": case_work_rule,
    "cases.caseemail.retry": case_work_rule,
    "cases.contactattempt.add": case_work_rule,
    "cases.caseattachment.add": case_work_rule,
    "cases.caseattachment.view": case_work_rule,
    "cases.case.link": case_work_rule,
    "cases.case.merge": case_work_rule,
    "cases.case.revise_facts": case_revise_facts_rule,
    "cases.case.take": case_take_rule,
    "templates_app.outboundmessage.view": message_rule,
    "templates_app.outboundmessage.retry": message_rule,
    "templates_app.outboundmessage.retry_dead_letter": message_rule,
    "templates_app.outboundmessage.mark_sent_by_hand": message_rule,
}


def register_rules() -> None:
    """Hand the rules above to the permission module (``CasesConfig.ready``; idempotent)."""
    from kmcs_site.permissions import register_object_rule

    for action, rule in RULES.items():
        register_object_rule(action, rule)
