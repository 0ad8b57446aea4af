"""The one place that answers "may this user do this action (on this object)?".

Roles are Django groups (created by ``kmcs_site/migrations/0001_roles.py``). Every screen, admin
``has_*_permission``, API permission class and service asks :func:`user_can`; nothing else
decides who may do what. The groups' Django model permissions are *derived* from the same
:data:`ACTIONS` table by :func:`sync_role_permissions` (run after every migrate), so Django's own
machinery (admin index, ``user.has_perm``) never disagrees with this module.

Action codes:
- model actions ``"<app_label>.<model_name>.<verb>"`` with verb ``view/add/change/delete``
  map onto Django's model permissions;
- other actions (``"cases.case.decide"``, ``"partners.route.execute"``...) are business actions;
  some have an *object rule* that looks at the object too (case assignment, a route's
  allowed roles).

To add an action: add one row to ``ACTIONS`` (and an object rule if it depends on the object).
The role x action test matrix in ``tests/test_permissions_matrix.py`` reads this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    AGENT = "agent"
    TEAM_LEAD = "team_lead"
    DEPUTY_LEAD = "deputy_lead"
    MANAGER = "manager"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


ROLE_LABELS = {
    Role.AGENT: _("상담사"),
    Role.TEAM_LEAD: _("팀장"),
    Role.DEPUTY_LEAD: _("부팀장"),
    Role.MANAGER: _("담당자(관리자)"),
    Role.AUDITOR: _("감사"),
    Role.INTEGRATION: _("연동 시스템"),
}

#: "All" in the seeds: every agent and up.
ALL_AGENTS = frozenset({Role.AGENT, Role.TEAM_LEAD, Role.DEPUTY_LEAD, Role.MANAGER})
#: "팀장, 부팀장" in the seeds.
LEADS = frozenset({Role.TEAM_LEAD, Role.DEPUTY_LEAD})
LEADS_AND_MANAGER = LEADS | {Role.MANAGER}
#: Everyone who may read the back office (auditors read everything, change nothing).
READERS = ALL_AGENTS | {Role.AUDITOR}
ALL_ROLES = frozenset(Role)

MODEL_VERBS = ("view", "add", "change", "delete")


class UnknownAction(LookupError):
    """Asked about an action that is not in ACTIONS: a programming error, never a 'no'."""


def _model_actions(
    label: str,
    *,
    view: Iterable[Role] = READERS,
    add: Iterable[Role] = (),
    change: Iterable[Role] = (),
    delete: Iterable[Role] = (),
) -> dict[str, frozenset[Role]]:
    return {
        f"{label}.view": frozenset(view),
        f"{label}.add": frozenset(add),
        f"{label}.change": frozenset(change),
        f"{label}.delete": frozenset(delete),
    }


#: action code -> roles that may do it. The single source of "who may do what".
ACTIONS: dict[str, frozenset[Role]] = {
    # --- accounts (Django's own models, admin only for leads) ----------------------------------
    **_model_actions("auth.user", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    **_model_actions("auth.group", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    # --- audit ---------------------------------------------------------------------------------
    "audit.history.read": frozenset({Role.AUDITOR} | LEADS_AND_MANAGER),
    # --- templates_app ---------------------------------------------------------------------
    # SMS templates: everyone reads; leads and the manager write drafts and approve them.
    # Versions are written through the template form (drafts) and never deleted.
    **_model_actions("templates_app.smstemplate", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER),
    **_model_actions(
        "templates_app.smstemplateversion", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER
    ),
    "templates_app.smstemplate.approve": LEADS_AND_MANAGER,
    # Preview changes nothing, but business actions exclude auditors (they read records).
    "templates_app.smstemplate.preview": ALL_AGENTS,
    # The outbox is a record: nobody edits or deletes a message in the admin.
    **_model_actions("templates_app.outboundmessage"),
    "templates_app.outboundmessage.retry": LEADS_AND_MANAGER,
    # Dead letter (transient failures used up every attempt): leads send it again (issue 16).
    "templates_app.outboundmessage.retry_dead_letter": LEADS_AND_MANAGER,
    # "SMS 선발송 후 답변내용 저장": any agent who sent it through CEMS by hand records it.
    "templates_app.outboundmessage.mark_sent_by_hand": ALL_AGENTS,
    # --- cases -----------------------------------------------------------------------------
    # Agents act only on cases they may work (assigned to them through the guardian object
    # permission ``cases.work_case``, or unassigned in a service they work); the object rules
    # at the end of this module say so. Cases are never deleted: they are the record.
    **_model_actions("cases.case", add=ALL_AGENTS, change=ALL_AGENTS),
    **_model_actions("cases.consultationtype", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER),
    **_model_actions("cases.campaign", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER),
    **_model_actions("cases.casestep", change=ALL_AGENTS),
    **_model_actions("cases.escalationpost", add=ALL_AGENTS, change=ALL_AGENTS),
    # Issue 16: KMCS writes a post on Agit through the webhook (the agent asks, as writing it by
    # hand); a post that failed for good is sent again by a lead or the manager.
    "cases.escalationpost.publish": ALL_AGENTS,
    "cases.escalationpost.retry": LEADS_AND_MANAGER,
    # Case e-mail to a CPO / partner (issue 16): whoever works the case sends it (seed 001's
    # 변경권한 is the route step's own roles); a failed or uncertain mail is re-sent by a lead.
    # Rows are written by the services only (outbox, inbound replies): no change, no delete.
    **_model_actions("cases.caseemail", add=ALL_AGENTS),
    "cases.caseemail.retry": LEADS_AND_MANAGER,
    # Spent webhook tokens (replay guard): only auditors read them, nobody edits them.
    **_model_actions("cases.inboundmailtoken", view=frozenset({Role.AUDITOR})),
    **_model_actions("cases.contactattempt", add=ALL_AGENTS),
    # Attachments (issue 14.4): the customer's evidence, added by whoever works the case, read
    # (downloaded) by whoever sees it. They are the record: no edit, no delete.
    **_model_actions("cases.caseattachment", add=ALL_AGENTS),
    **_model_actions(
        "cases.staffprofile",
        view=LEADS_AND_MANAGER | {Role.AUDITOR},
        add=LEADS_AND_MANAGER,
        change=LEADS_AND_MANAGER,
    ),
    **_model_actions("cases.unmasklog", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    # Intake (case_create): every agent, and the integration role (chatbot board API), which
    # may create cases but neither read nor change them.
    "cases.case.intake": ALL_AGENTS | {Role.INTEGRATION},
    # An agent takes an unassigned case of a service they work; leads assign anyone's.
    "cases.case.take": ALL_AGENTS,
    "cases.case.assign": LEADS_AND_MANAGER,
    "cases.case.decide": ALL_AGENTS,
    # Deciding against the playbook is a lead's call: the seeds prescribe every outcome and
    # send what they do not decide ("처리불가 시 사업담당 멘션", needs_review) up the line.
    "cases.case.override": LEADS_AND_MANAGER,
    "cases.case.close": ALL_AGENTS,
    # Closing with steps still open (neither done nor N/A), with a reason kept in the history:
    # a lead's or the manager's call; an agent closes only a finished checklist.
    "cases.case.force_close": LEADS_AND_MANAGER,
    # The plan (issue 13.4/13.5): send a step's drafted SMS once the case reaches that step,
    # and mark a step not applicable with a reason. Same people as ticking a step.
    "cases.casestep.send": ALL_AGENTS,
    "cases.casestep.mark_na": ALL_AGENTS,
    "cases.case.reopen": LEADS_AND_MANAGER,
    # Recording what a case learned after intake (CPO/team answer, the customer accepting a
    # refund, a missing fact): the agent on their own (assigned) case, leads and the manager on
    # any. The revision re-proposes; on a decided case it redoes the pending steps.
    "cases.case.revise_facts": ALL_AGENTS,
    # Revisions are written by that service only (the case page, the admin's revise page).
    **_model_actions("cases.factrevision"),
    # Seeing a full phone number is logged (cases.UnmaskLog).
    "cases.case.unmask": LEADS_AND_MANAGER,
    # Related cases (issue 14.3): whoever works a case links it to a case they may see, and
    # merges a duplicate they work into its original (cases.services.relations). Links are
    # written by that service only: the admin reads them.
    **_model_actions("cases.caselink"),
    "cases.case.link": ALL_AGENTS,
    "cases.case.merge": ALL_AGENTS,
    # --- fines (seed 004) ------------------------------------------------------------------
    # Agents take in fines and pay general / consigned ones (seed: 챗보드 상담사); special-issue
    # fines, penalty notices, evidence overrides and disputes are the manager's (담당자).
    # The payout ledger is read by every agent (seed: 과태료 관리 → 콜ID 검색 → 지급 여부 확인),
    # masked; the full account number only for leads and managers, logged.
    **_model_actions("fines.ride", add=ALL_AGENTS, change=LEADS_AND_MANAGER),
    **_model_actions("fines.finenotice", add=ALL_AGENTS),
    **_model_actions("fines.finepayout", add=ALL_AGENTS),
    **_model_actions("fines.payoutbatch", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    **_model_actions("fines.banktransfer", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    **_model_actions("fines.accountunmasklog", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
    **_model_actions("fines.parkingdispute", add={Role.MANAGER}, change={Role.MANAGER}),
    "fines.finenotice.manage": frozenset({Role.MANAGER}),
    "fines.finenotice.override_evidence": frozenset({Role.MANAGER}),
    "fines.finepayout.cancel": LEADS_AND_MANAGER,
    # Four-eyes on money (issue 12): a manual payout (made by hand, after a cancel, to another
    # account) is approved or rejected by a lead or manager who did not create it (object
    # rule below); agents and auditors never approve.
    "fines.finepayout.approve": LEADS_AND_MANAGER,
    "fines.finepayout.unmask": LEADS_AND_MANAGER,
    "fines.finepayout.run_batch": LEADS_AND_MANAGER,
    # Issue 16: the daily reconciliation report (paid payouts vs the bank's statement).
    "fines.finepayout.reconcile": LEADS_AND_MANAGER,
    # Issue 16: a lead records what the bank said about a payout in 확인 필요 (paid / nothing
    # moved), audited; it never sends money (fines.services.settlement).
    "fines.finepayout.settle": LEADS,
    # --- partners (seed 001) ---------------------------------------------------------------
    # Reference data everyone reads (auditors too); leads and managers keep it current; only
    # leads delete (deactivating a route is the everyday way to retire it).
    **_model_actions(
        "partners.partner", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER, delete=LEADS
    ),
    **_model_actions(
        "partners.site", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER, delete=LEADS
    ),
    **_model_actions(
        "partners.channel", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER, delete=LEADS
    ),
    **_model_actions(
        "partners.contact", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER, delete=LEADS
    ),
    **_model_actions(
        "partners.route", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER, delete=LEADS
    ),
    # The 현장 구분 list (issue 15 A.2): a kind is retired (사용 off), never deleted, since routes
    # and past cases name it.
    **_model_actions("partners.sitekindoption", add=LEADS_AND_MANAGER, change=LEADS_AND_MANAGER),
    # A channel's To/Cc and a route's @mentions are rows pointing at contacts (issue 15):
    # edited on the channel / route page by whoever edits those; removing one is an edit.
    **_model_actions(
        "partners.channelrecipient",
        add=LEADS_AND_MANAGER,
        change=LEADS_AND_MANAGER,
        delete=LEADS_AND_MANAGER,
    ),
    **_model_actions(
        "partners.routemention",
        add=LEADS_AND_MANAGER,
        change=LEADS_AND_MANAGER,
        delete=LEADS_AND_MANAGER,
    ),
    # --- rules (issue 15: center settings) -----------------------------------------------
    # Leads and the manager change the center's settings (a change for later is a new row);
    # agents have no access; auditors read (and read the history). Rows are never deleted:
    # a past setting explains a past decision.
    **_model_actions(
        "rules.centersettings",
        view=LEADS_AND_MANAGER | {Role.AUDITOR},
        add=LEADS_AND_MANAGER,
        change=LEADS_AND_MANAGER,
    ),
    # Seed 000's lot rules (issue 15 A.2): everyone reads them (agents say the phone numbers),
    # leads and the manager edit; rows are never deleted, a rule ends by its end date.
    **_model_actions(
        "rules.lotrule",
        add=LEADS_AND_MANAGER,
        change=LEADS_AND_MANAGER,
    ),
    # Carrying a route out (post, mail, change in the admin). With a route (or a RouteInfo) the
    # object rule below applies the seed's 변경권한 column: "All" or 팀장·부팀장 only.
    "partners.route.execute": ALL_AGENTS,
    # Quoting the season-pass refund (경과일 수 x 일최대요금) to a customer.
    "partners.refund.calculate": ALL_AGENTS,
    # --- workspace ---------------------------------------------------------------------------
    # Screens of the agent workspace (cases.views) that are not one model action. What a
    # screen *does* to a case is the cases.* row above with its object rule; these rows only
    # open the screens. Verbs are not view/add/change/delete on purpose: they are no Django
    # model permissions. Auditors read through audit.history.read, never the workspace.
    "workspace.queue.read": ALL_AGENTS,
    "workspace.case.read": ALL_AGENTS,
    # The agent's "new case" form (intake by a person; the integration role uses the API).
    "workspace.case.intake": ALL_AGENTS,
    # Where "/" sends a user first: leads and managers to the admin (agents go to their
    # queue, auditors to the history, by the rows above).
    "workspace.home.admin": LEADS_AND_MANAGER,
    # The search box of every workspace page (issue 14.1); results are scoped per case by
    # the case list's selector, as the case list is.
    "workspace.search.read": ALL_AGENTS,
    # --- notifications (issue 14 item 5) ---------------------------------------------------
    # Each person reads and marks read only their own notifications (the views look them up
    # among the user's rows) and sets their own e-mail choice. Auditors are told nothing: they
    # hold no case, step, message or approval of their own.
    "notifications.inbox.read": ALL_AGENTS,
    "notifications.inbox.mark_read": ALL_AGENTS,
    "notifications.preference.edit": ALL_AGENTS,
    # --- clocks & dashboard ------------------------------------------------------------------
    # The lead dashboard (/dashboard/) shows aggregates only (counts, medians, totals; no phone,
    # no account) and edits nothing. Leads and managers read it; so do auditors, whose job is
    # to check that promises are kept (a ".view" action is a read, which auditors hold).
    "dashboard.view": LEADS_AND_MANAGER | {Role.AUDITOR},
    # Every overdue step (the leads' 'overdue' queue). Agents see only their own cases' overdue
    # steps in the same queue, through the scoped selector; auditors use the dashboard.
    "clocks.overdue.read": LEADS_AND_MANAGER,
    # --- api ---------------------------------------------------------------------------------
    # /api/v1/ (cases.api) and the bulk import command. The integration role (chatbot board)
    # evaluates playbooks and files cases but reads none back. Reading cases through the API
    # is the model action cases.case.view (auditors included, scoped per case by its object
    # rule); exporting is a lead's, and a full phone number in an export also needs
    # cases.case.unmask (each case logged in UnmaskLog).
    "api.schema.read": ALL_AGENTS | {Role.INTEGRATION},
    "api.playbook.evaluate": ALL_AGENTS | {Role.INTEGRATION},
    "api.case.create": ALL_AGENTS | {Role.INTEGRATION},
    "api.case.export": LEADS_AND_MANAGER,
    "api.case.import": LEADS_AND_MANAGER | {Role.INTEGRATION},
}

#: action code -> rule(user, roles, obj) applied after the role check when an object is given.
ObjectRule = Callable[[Any, frozenset[str], Any], bool]
OBJECT_RULES: dict[str, ObjectRule] = {}

#: The actions whose answer depends on the object too, and the app that registers the rule
#: (in its ``AppConfig.ready``, through :func:`register_object_rule`). Declared here, next to
#: ACTIONS, so this module still says who may do what, without importing any app: the rule
#: bodies need the apps' models, and the apps import this module. An action listed here with
#: no rule registered is refused for every object (:func:`user_can`) and fails the system
#: check ``kmcs_site.E001``: a forgotten registration never widens access.
OBJECT_SCOPED: dict[str, str] = {
    # cases (cases.access): an agent works the cases assigned to them or unassigned in their
    # services; leads, managers (and auditors, for reading) every case.
    "cases.case.view": "cases",
    "cases.case.change": "cases",
    "cases.case.decide": "cases",
    "cases.case.close": "cases",
    "cases.case.force_close": "cases",
    "cases.casestep.change": "cases",
    "cases.casestep.send": "cases",
    "cases.casestep.mark_na": "cases",
    "cases.escalationpost.add": "cases",
    "cases.escalationpost.change": "cases",
    "cases.escalationpost.publish": "cases",
    "cases.escalationpost.retry": "cases",
    "cases.caseemail.add": "cases",
    "cases.caseemail.retry": "cases",
    "cases.contactattempt.add": "cases",
    # Attachments (issue 14.4): added and opened on the cases one may work / see.
    "cases.caseattachment.add": "cases",
    "cases.caseattachment.view": "cases",
    # Related cases (issue 14.3): link and merge the cases one may work.
    "cases.case.link": "cases",
    "cases.case.merge": "cases",
    # An agent revises the facts of a case assigned to them ("own cases").
    "cases.case.revise_facts": "cases",
    "cases.case.take": "cases",
    # A message is seen and acted on as its case is (issue 12); the outbox (templates_app)
    # knows no cases, so the cases app registers these rules.
    "templates_app.outboundmessage.view": "cases",
    "templates_app.outboundmessage.retry": "cases",
    "templates_app.outboundmessage.retry_dead_letter": "cases",
    "templates_app.outboundmessage.mark_sent_by_hand": "cases",
    # Seed 001's 변경권한 per route (a partners.Route or a playbook's RouteInfo).
    "partners.route.execute": "kmcs_site",
    # Four-eyes on money: never the person who created (requested) the payout.
    "fines.finepayout.approve": "kmcs_site",
}


def register_object_rule(action: str, rule: ObjectRule) -> ObjectRule:
    """Register the object rule of ``action`` (an app's ``AppConfig.ready`` calls this)."""
    if action not in ACTIONS:
        raise UnknownAction(action)
    if action not in OBJECT_SCOPED:
        raise UnknownAction(f"{action}: not declared object-scoped in OBJECT_SCOPED")
    OBJECT_RULES[action] = rule
    return rule


def object_rule(*actions: str) -> Callable[[ObjectRule], ObjectRule]:
    """Decorator form of :func:`register_object_rule`, for one rule serving several actions."""

    def decorator(fn: ObjectRule) -> ObjectRule:
        for action in actions:
            register_object_rule(action, fn)
        return fn

    return decorator


def missing_object_rules() -> list[str]:
    """The object-scoped actions no app registered a rule for (the system check reads this)."""
    return sorted(action for action in OBJECT_SCOPED if action not in OBJECT_RULES)


def user_roles(user) -> frozenset[str]:
    """The role codes of ``user``, cached on the instance so a page asks the database once."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_kmcs_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(name for name in names if name in ALL_ROLES)
        user._kmcs_roles = cached
    return cached


def roles_for(action: str) -> frozenset[Role]:
    try:
        return ACTIONS[action]
    except KeyError:
        raise UnknownAction(action) from None


def user_can(user, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``obj``)? The only permission question in KMCS.

    Superusers may do everything (break-glass; demo users are never superusers).
    """
    allowed = roles_for(action)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = user_roles(user)
    if not roles & allowed:
        return False
    if obj is not None and action in OBJECT_SCOPED:
        rule = OBJECT_RULES.get(action)
        # Fail closed: an object-scoped action whose app did not register its rule is a "no".
        return rule is not None and rule(user, roles, obj)
    return True


def model_action(model_or_opts, verb: str) -> str:
    opts = getattr(model_or_opts, "_meta", model_or_opts)
    return f"{opts.app_label}.{opts.model_name}.{verb}"


def role_model_permissions() -> dict[str, set[tuple[str, str]]]:
    """Role -> {(app_label, codename)} derived from the model actions in ACTIONS."""
    result: dict[str, set[tuple[str, str]]] = {role.value: set() for role in Role}
    for action, roles in ACTIONS.items():
        parts = action.split(".")
        if len(parts) != 3 or parts[2] not in MODEL_VERBS:
            continue
        app_label, model_name, verb = parts
        for role in roles:
            result[role.value].add((app_label, f"{verb}_{model_name}"))
    return result


def sync_role_permissions(*, apps=None, using: str = "default") -> None:
    """Create the role groups if missing and give each exactly the model permissions of ACTIONS.

    Runs after every ``migrate`` (post_migrate), so a new model's permissions reach the
    groups without a hand-written migration per app.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = role_model_permissions()
    all_perms = {
        (p.content_type.app_label, p.codename): p.pk
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=role.value)
        pks = [all_perms[key] for key in wanted[role.value] if key in all_perms]
        group.permissions.set(pks)


# --- object rules that need no app ------------------------------------------------------
# The other rules (cases, messages) live with the models they read and are registered by their
# app (OBJECT_SCOPED names which); these two read attributes only.


@object_rule("partners.route.execute")
def _route_execute(user, roles, obj):
    """Seed 001's 변경권한 per route: a ``partners.Route`` (``allowed_role_codes()``) or a
    ``cases.playbooks.base.RouteInfo`` (``allowed_roles``). Duck-typed: no import of partners."""
    allowed = obj.allowed_role_codes() if hasattr(obj, "allowed_role_codes") else obj.allowed_roles
    return bool(roles & frozenset(allowed))


@object_rule("fines.finepayout.approve")
def _payout_approve(user, roles, obj):
    """Four-eyes: never the person who created (requested) the payout."""
    return getattr(obj, "created_by_id", None) != user.pk


# --- security -------------------------------------------------------------------------------
# django-axes (login lockout, kmcs_site/settings/base.py "security"). Leads and managers see who
# is locked out and unlock a colleague (deleting the attempt row is axes' unlock); auditors read
# the records. Access logs are records: nobody edits or deletes them.
ACTIONS.update(
    {
        **_model_actions(
            "axes.accessattempt",
            view=LEADS_AND_MANAGER | {Role.AUDITOR},
            delete=LEADS_AND_MANAGER,
        ),
        **_model_actions("axes.accesslog", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
        **_model_actions("axes.accessfailurelog", view=LEADS_AND_MANAGER | {Role.AUDITOR}),
        # API tokens (django-rest-knox): issued by an operator on the server (manage.py
        # kmcs_api_token, printed once), never added or edited in the admin. The database holds
        # a digest, not the token, so the list (whose key, until when, the digest's start) is
        # readable; revoking a leaked key (delete) is the manager's.
        **_model_actions(
            "knox.authtoken", view=LEADS_AND_MANAGER | {Role.AUDITOR}, delete={Role.MANAGER}
        ),
    }
)
