"""The permission matrix, generated: every role x every admin page, admin action, workspace,
audit and dashboard view and API endpoint, with the expected answer derived from the one
permission module (``kmcs_site.permissions.ACTIONS``), never written out by hand.

How each kind of URL is enumerated and what "allowed" means:

- **admin models**: ``admin.site._registry``. changelist / change page need ``view`` or
  ``change``; add page ``add``; delete page ``delete``; history (and simple-history's version
  page) ``audit.history.read`` on top of ``view``/``change``; a change POST by a role that may
  only view is refused. Allowed -> 200, refused -> 403, nobody -> the admin login.
- **admin actions**: every action of every model admin (site-wide ``delete_selected``
  included) with its ``allowed_permissions``: offered in the changelist exactly to the roles
  holding every one of them, and a POST of an action a role is not offered never runs it.
- **extra admin views** (``get_urls``): :data:`ADMIN_EXTRA_VIEWS` names the action each one
  asks; any other new one fails the test until it is classified.
- **workspace, audit, dashboard views**: the view class's own ``action`` (ActionRequiredMixin):
  refused -> 403, nobody -> the login page, allowed -> the page (200) or, for a case action
  POST, back to the case (302).
- **API**: the DRF permission classes of each method (``ActionPermission.action``): refused
  -> 403, nobody -> 401, allowed -> past the permission layer (200 for reads; an empty POST
  body reaches validation, 400).

The admin may offer *less* than ACTIONS where a model's rows are written only by a service
(:data:`ADMIN_NARROWER`, each with its reason); it may never offer more. A URL pattern that
none of the above classifies fails :func:`test_every_url_is_classified`.

Object level: agent A reaches agent B's case by no URL (404, exactly as for an id that does not
exist), whichever screen, action or API endpoint is guessed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from cases.views.base import ActionRequiredMixin
from kmcs_site.permissions import ACTIONS, model_action

from .conftest import AT, ROLES

pytestmark = pytest.mark.django_db

LOGIN = "login"  # outcome: sent to a login page

# --- expectations from the permission module ----------------------------------------------------


def may(role: str, action: str) -> bool:
    """Role-level answer of ACTIONS (object rules are satisfied by the world's objects: the
    agent's case is assigned to the agent)."""
    if role == "anonymous":
        return False
    return role in {r.value for r in ACTIONS[action]}


def may_model(role: str, model, verb: str) -> bool:
    action = model_action(model, verb)
    allowed = action in ACTIONS and may(role, action)
    return allowed and (model._meta.label_lower, verb) not in ADMIN_NARROWER


#: Admins whose list is a scoped selector: a role that may not see the rows gets 404 on an
#: object's pages (its existence is not confirmed), not 403.
SCOPED_ADMINS = {"cases.case": "cases.case.view"}


def object_page(role: str, model, allowed: bool):
    """Expected answer of an object page (change, delete, history) of ``model``."""
    scope = SCOPED_ADMINS.get(model._meta.label_lower)
    if scope is not None and role != "anonymous" and not may(role, scope):
        return 404
    return expected(role, allowed)


#: (model label, verb) -> why the admin offers less than ACTIONS. The rows exist and the roles
#: hold the action, but the admin is not the door: a service writes them from another screen.
ADMIN_NARROWER = {
    ("cases.case", "add"): "cases are opened by intake (case_create: API, workspace form, "
    "importer), which validates the playbook's facts",
    ("fines.finepayout", "add"): "a payout is created from its fine (admin 신규 지급 건 생성 page)",
    ("fines.parkingdispute", "add"): "opened from the fine by the manager (dispute_open)",
    ("cases.caseemail", "add"): "a case mail is written from the case page (case_email_send, "
    "the current step's To/Cc and text); the admin is its read-only record",
}

#: Extra admin views (ModelAdmin.get_urls) -> (action they ask, answer to a role without it,
#: action that makes the object visible first or None). A role that may not even see the object
#: gets 404, as for an object that does not exist.
ADMIN_EXTRA_VIEWS = {
    "cases_case_unmask": ("cases.case.unmask", 404, "cases.case.view"),
    "cases_case_revise_facts": ("cases.case.revise_facts", 403, "cases.case.view"),
    # Override from the admin: a select of the playbook's outcomes (issue 13.3); the view
    # answers 404 to those who may not override, as for a case they cannot act on.
    "cases_case_override": ("cases.case.override", 404, "cases.case.view"),
    "templates_app_smstemplate_preview": ("templates_app.smstemplate.preview", 403, None),
    "fines_finenotice_evidence_review": (
        "fines.finenotice.override_evidence",
        403,
        "fines.finenotice.view",
    ),
    "fines_finenotice_image": ("fines.finenotice.view", 404, "fines.finenotice.view"),
    "fines_finenotice_payout": ("fines.finepayout.add", 403, "fines.finenotice.view"),
    "fines_finepayout_reveal": ("fines.finepayout.unmask", 403, None),
    # Daily reconciliation report: paid payouts vs the bank's statement (issue 16).
    "fines_finepayout_reconciliation": ("fines.finepayout.reconcile", 403, None),
    # The outbox's exact-number search (a POST; GET shows its form).
    "templates_app_outboundmessage_find_recipient": (
        "templates_app.outboundmessage.view",
        403,
        None,
    ),
}

#: Provider webhooks (issue 16): no login and no role; the caller proves itself by the
#: provider's signature, so every role and nobody get the same answer without one
#: (test_provider_webhooks_answer_every_role_alike).
PROVIDER_WEBHOOKS = {"inbound_mail_mailgun"}

#: Extra admin views that take no object id.
ADMIN_EXTRA_VIEWS_WITHOUT_OBJECT = {
    "fines_finepayout_reconciliation",
    "templates_app_outboundmessage_find_recipient",
}

# --- enumerating the URL configuration -----------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as written, e.g. "work/cases/<int:case_id>/take/"
    name: str  # "namespace:name" ("" for an unnamed pattern)
    callback: object


def all_routes() -> Iterator[Route]:
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or ""
                full = f"{namespace}:{name}" if namespace and name else name
                yield Route(prefix + str(pattern.pattern), full, pattern.callback)

    yield from walk(get_resolver().url_patterns, "", "")


#: Providers' callbacks: no user, no session; a signature decides (issue 16).
PROVIDER_CALLBACKS = {"sms_delivery_report"}

ADMIN_SUFFIXES = ("changelist", "add", "change", "delete", "history", "simple_history")
ADMIN_SITE_VIEWS = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:jsi18n",
    "admin:autocomplete",
    "admin:view_on_site",
    "admin:app_list",
}


def admin_model_names() -> dict[str, tuple[type, ModelAdmin, str]]:
    """URL name -> (model, model admin, kind) for every URL the registry generates."""
    names = {}
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        for suffix in ADMIN_SUFFIXES:
            names[f"admin:{opts.app_label}_{opts.model_name}_{suffix}"] = (
                model,
                model_admin,
                suffix,
            )
    return names


def view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def classify(route: Route) -> str | None:
    """Which family of checks covers this URL (None: nobody classified it)."""
    if route.name in ADMIN_SITE_VIEWS:
        return "admin-site"
    if route.name in admin_model_names():
        return "admin-model"
    if route.name == "admin:auth_user_password_change":
        return "admin-password"  # UserAdmin: needs auth.user.change (test_admin_password_page)
    if route.name.removeprefix("admin:") in ADMIN_EXTRA_VIEWS:
        return "admin-extra"
    if route.route.startswith("admin/"):
        # Django's unnamed helpers: "<object_id>/" redirects to the change page, the catch-all
        # answers unknown admin URLs; both behind admin_view (login first).
        if route.route.endswith("<path:object_id>/") or route.route.endswith("(?P<url>.*)$"):
            return "admin-helper"
        return None
    if route.name in ("landing", "login", "logout", "favicon"):
        return route.name
    if route.name in PROVIDER_CALLBACKS:
        return "provider-callback"  # no session: an HMAC signature (test_provider_callbacks)
    if route.name == "api:not-found":
        return "api-404"
    if route.name in PROVIDER_WEBHOOKS:
        return "provider-webhook"
    cls = view_class(route.callback)
    if route.name.startswith("notifications:") and cls is not None and cls.action in ACTIONS:
        # A person's own notifications (issue 14.5): no case to come back to, so their own
        # family below (test_notification_views), expected answers from ACTIONS as the rest.
        return "notifications"
    if cls is not None and issubclass(cls, ActionRequiredMixin) and cls.action in ACTIONS:
        return "action-view"
    if cls is not None and issubclass(cls, APIView):
        return "api"
    return None


def test_every_url_is_classified():
    unclassified = [f"{r.route} ({r.name or 'unnamed'})" for r in all_routes() if not classify(r)]
    assert not unclassified, (
        "URLs the permission matrix does not cover; classify them in "
        "tests/security/test_permission_matrix.py:\n" + "\n".join(unclassified)
    )


def test_every_admin_extra_view_and_action_names_an_action_of_the_table():
    for action, _status, visible in ADMIN_EXTRA_VIEWS.values():
        assert action in ACTIONS, action
        assert visible is None or visible in ACTIONS, visible
    for model, model_admin in admin.site._registry.items():
        for _func, name, _desc in model_admin._get_base_actions():
            # Django offers an action without allowed_permissions to anyone who sees the list
            # (a read-only auditor included): every action must say what it needs.
            assert getattr(_func, "allowed_permissions", None), (
                f"{model._meta.label}: admin action {name} declares no permissions"
            )
            for perm in _func.allowed_permissions:
                action = model_action(model, perm)
                assert action in ACTIONS, f"{model._meta.label}: action {name} asks {action}"


# --- requests -------------------------------------------------------------------------------------


def outcome(response) -> int | str:
    if response.status_code in (301, 302):
        location = response.get("Location", "")
        if "/login/" in location:
            return LOGIN
    return response.status_code


def expected(role: str, allowed: bool, *, ok=200, denied=403, nobody=LOGIN):
    if role == "anonymous":
        return nobody
    return ok if allowed else denied


#: Requests checked per test (test-artifacts/security/matrix.json, for the reliability report).
CHECKED: dict[str, int] = {}
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "security" / "matrix.json"


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    roles = len(ROLES)
    ARTIFACT.write_text(
        json.dumps(
            {"roles": roles, "requests": sum(CHECKED.values()), "by_test": CHECKED}, indent=1
        )
    )


class Checker:
    """Collects every mismatch of one test, so a failure lists them all."""

    def __init__(self, client_for, people):
        self.client_for = client_for
        self.people = people
        self.clients = {}
        self.problems: list[str] = []
        self.checked = 0

    def client(self, role: str):
        if role not in self.clients:
            self.clients[role] = self.client_for(self.people[role])
        return self.clients[role]

    def check(self, role, method, url, want, data=None, **extra):
        response = getattr(self.client(role), method)(url, data or {}, **extra)
        got = outcome(response)
        self.checked += 1
        if got != want:
            self.problems.append(f"{role:12} {method.upper():4} {url}: expected {want}, got {got}")
        return response

    def assert_clean(self, minimum: int):
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].split("::")[-1]
        CHECKED[test] = CHECKED.get(test, 0) + self.checked
        assert not self.problems, f"{len(self.problems)} mismatches:\n" + "\n".join(self.problems)
        assert self.checked >= minimum, self.checked


@pytest.fixture
def checker(client_for, people):
    return Checker(client_for, people)


# --- admin: model pages ----------------------------------------------------------------------------


def admin_object(model, world, people):
    """The row the matrix opens: the agent's own case and fine, else the first row."""
    label = model._meta.label_lower
    special = {
        "cases.case": world.case,
        "fines.finenotice": world.notice,
        "fines.finepayout": world.payout,
        "auth.user": people["agent"],
        "templates_app.outboundmessage": world.case.outbound_messages.order_by("pk").first(),
    }
    if label in special:
        return special[label]
    if label == "templates_app.smstemplate":
        return model.objects.exclude(status="retired").filter(versions__isnull=False).first()
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {model._meta.label}: add one to tests/security"
    return obj


ADMIN_APPS = sorted({m._meta.app_label for m in admin.site._registry})


def _admin_url(model, suffix, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{suffix}", args=args)


@pytest.mark.parametrize("app_label", ADMIN_APPS)
def test_admin_model_pages(app_label, checker, world, people):
    models = [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label == app_label]
    for model, model_admin in models:
        obj = admin_object(model, world, people)
        history = getattr(model_admin, "history_form_view", None) and hasattr(
            model, getattr(model._meta, "simple_history_manager_attribute", "") or "-"
        )
        for role in ROLES:
            see = may_model(role, model, "view") or may_model(role, model, "change")
            change = may_model(role, model, "change")
            history_read = see and may(role, "audit.history.read")
            checker.check(role, "get", _admin_url(model, "changelist"), expected(role, see))
            checker.check(
                role, "get", _admin_url(model, "add"), expected(role, may_model(role, model, "add"))
            )
            page = checker.check(
                role, "get", _admin_url(model, "change", obj.pk), object_page(role, model, see)
            )
            if see:
                has_save = b'name="_save"' in page.content
                if has_save != change:
                    checker.problems.append(
                        f"{role:12} change page of {model._meta.label}: save button "
                        f"{'shown' if has_save else 'missing'}, change allowed={change}"
                    )
                if not change:
                    checker.check(role, "post", _admin_url(model, "change", obj.pk), 403)
            # The delete page asks the permission before looking the object up: 403 for any id.
            checker.check(
                role,
                "get",
                _admin_url(model, "delete", obj.pk),
                expected(role, may_model(role, model, "delete")),
            )
            checker.check(
                role,
                "get",
                _admin_url(model, "history", obj.pk),
                object_page(role, model, history_read),
            )
            if history:
                version = model.history.order_by("-history_id").first()
                assert version is not None, f"the world has no history of {model._meta.label}"
                url = _admin_url(model, "simple_history", version.instance.pk, version.history_id)
                checker.check(role, "get", url, object_page(role, model, history_read))
                # History is a record: no role reverts it, not even by a hand-made POST.
                checker.check(role, "post", url, object_page(role, model, False))
    checker.assert_clean(minimum=len(models) * len(ROLES) * 4)


def _offered_actions(response) -> set[str]:
    select = re.search(rb'<select name="action"[^>]*>(.*?)</select>', response.content, re.S)
    if not select:
        return set()
    return {v.decode() for v in re.findall(rb'<option value="([^"]+)"', select.group(1))}


def _action_roles(model, func) -> set[str]:
    roles = set()
    for role in ROLES:
        see = may_model(role, model, "view") or may_model(role, model, "change")
        # Django offers an action to a role holding ANY of its allowed_permissions.
        perms = func.allowed_permissions
        if see and any(may_model(role, model, perm) for perm in perms):
            roles.add(role)
    return roles


@pytest.mark.parametrize("app_label", ADMIN_APPS)
def test_admin_actions(app_label, checker, world, people, monkeypatch):
    models = [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label == app_label]
    ran: list[tuple[str, str]] = []
    for model, model_admin in models:
        obj = admin_object(model, world, people)
        actions = [(func, name) for func, name, _desc in model_admin._get_base_actions()]
        # Stand-ins for the model admin's own actions: same name and permissions, they only
        # record that they ran (the real ones change data; their services are tested apart).
        for func, name in actions:
            if name in (model_admin.actions or ()):

                def stand_in(admin_obj, request, queryset, _name=name, _model=model):
                    ran.append((_model._meta.label_lower, _name))

                stand_in.allowed_permissions = func.allowed_permissions
                stand_in.short_description = getattr(func, "short_description", name)
                monkeypatch.setattr(type(model_admin), name, stand_in)
        changelist = _admin_url(model, "changelist")
        for role in ROLES:
            see = may_model(role, model, "view") or may_model(role, model, "change")
            if not see:
                continue
            response = checker.check(role, "get", changelist, 200)
            offered = _offered_actions(response)
            want = set()
            if model_admin.actions is not None:
                want = {name for func, name in actions if role in _action_roles(model, func)}
            if offered != want:
                checker.problems.append(
                    f"{role:12} actions of {model._meta.label}: offered {sorted(offered)}, "
                    f"ACTIONS allow {sorted(want)}"
                )
            for func, name in actions:
                if name not in (model_admin.actions or ()):
                    continue
                ran.clear()
                # Whatever the page answers (back to the list, or the list again when the
                # role has no action at all), what counts is whether the action ran.
                checker.client(role).post(
                    changelist, {"action": name, "_selected_action": [obj.pk], "index": 0}
                )
                did_run = ran == [(model._meta.label_lower, name)]
                if did_run != (role in _action_roles(model, func)):
                    checker.problems.append(
                        f"{role:12} POST action {model._meta.label}.{name}: "
                        f"{'ran' if did_run else 'did not run'}"
                    )
    # An app whose lists no role may open has nothing to offer anyone.
    checker.assert_clean(minimum=0)


def _extra_view_url(name: str, world) -> str:
    if name in ADMIN_EXTRA_VIEWS_WITHOUT_OBJECT:
        return reverse(f"admin:{name}")
    obj = {
        "cases_case_unmask": world.case,
        "cases_case_revise_facts": world.case,
        "cases_case_override": world.case_b,  # open: a decided case has nothing to override
        "templates_app_smstemplate_preview": None,
        "fines_finenotice_evidence_review": world.notice,
        "fines_finenotice_image": world.notice,
        "fines_finenotice_payout": world.notice,
        "fines_finepayout_reveal": world.payout,
    }[name]
    if obj is None:
        from templates_app.models import SmsTemplate

        obj = SmsTemplate.objects.exclude(status="retired").filter(versions__isnull=False).first()
    return reverse(f"admin:{name}", args=[obj.pk])


def test_admin_password_page(checker, people):
    url = reverse("admin:auth_user_password_change", args=[people["agent_b"].pk])
    for role in ROLES:
        checker.check(role, "get", url, expected(role, may(role, "auth.user.change")))
    checker.assert_clean(minimum=len(ROLES))


def test_admin_extra_views(checker, world):
    for name, (action, denied, visible) in ADMIN_EXTRA_VIEWS.items():
        url = _extra_view_url(name, world)
        for role in ROLES:
            if visible is not None and not may(role, visible):
                want = expected(role, False, denied=404)
            else:
                want = expected(role, may(role, action), denied=denied)
            checker.check(role, "get", url, want)
    checker.assert_clean(minimum=len(ADMIN_EXTRA_VIEWS) * len(ROLES))


def test_admin_site_views(checker, world, people):
    """Index, app pages and Django's helpers: staff only; an app page only with a model of it."""
    from django.contrib.contenttypes.models import ContentType

    for role in ROLES:
        staff = role != "anonymous"
        checker.check(role, "get", reverse("admin:index"), expected(role, staff))
        checker.check(role, "get", reverse("admin:jsi18n"), expected(role, staff))
        checker.check(role, "get", reverse("admin:password_change"), expected(role, staff))
        checker.check(role, "get", reverse("admin:password_change_done"), expected(role, staff))
        # Autocomplete without a known field: refused for everyone who is logged in.
        checker.check(role, "get", reverse("admin:autocomplete"), expected(role, False))
        login = checker.check(role, "get", reverse("admin:login"), 302 if staff else 200)
        if staff:
            assert login["Location"] == reverse("admin:index")
        for app_label in ADMIN_APPS:
            visible = any(
                may_model(role, model, "view") or may_model(role, model, "change")
                for model in admin.site._registry
                if model._meta.app_label == app_label
            )
            url = reverse("admin:app_list", kwargs={"app_label": app_label})
            checker.check(role, "get", url, expected(role, visible, denied=404))
        # "<object_id>/" redirects to the change page (which then decides); catch-all 404.
        ct = ContentType.objects.get_for_model(world.case)
        url = reverse("admin:view_on_site", args=[ct.pk, world.case.pk])
        checker.check(role, "get", url, expected(role, True, ok=404))  # cases have no public URL
        checker.check(
            role,
            "get",
            f"/admin/cases/case/{world.case.pk}/",
            expected(role, True, ok=302),
        )
        checker.check(role, "get", "/admin/no/such/page/", expected(role, True, ok=404))
        # Last: it ends this role's session.
        checker.check(role, "post", reverse("admin:logout"), 200 if staff else 302)
    checker.assert_clean(minimum=len(ROLES) * 10)


# --- workspace, audit, dashboard: ActionRequiredMixin views ------------------------------------


def _kwargs_for(route: Route, world) -> dict:
    kwargs = {}
    if "<int:case_id>" in route.route:
        kwargs["case_id"] = world.case.pk
    if "<str:playbook>" in route.route:
        kwargs["playbook"] = "driver_nonride_cancel"
    if "<int:attachment_id>" in route.route:
        kwargs["attachment_id"] = world.attachment.pk
    return kwargs


def action_views() -> list[Route]:
    return [r for r in all_routes() if classify(r) == "action-view"]


#: Action pages whose GET is a redirect by design.
REDIRECTING_PAGES = {"workspace:case_next"}


def test_action_views(checker, world, people):
    from cases.models import Case
    from cases.services import case_assign

    def keep_the_agents_case():
        # "take" really takes the case (it needs no form): give it back, so the next role's
        # request meets the same world.
        if Case.objects.get(pk=world.case.pk).assignee_id != people["agent"].pk:
            case = Case.objects.get(pk=world.case.pk)
            case_assign(case=case, assignee=people["agent"], actor=people["team_lead"])

    routes = action_views()
    assert len(routes) >= 20, [r.name for r in routes]
    for route in routes:
        cls = view_class(route.callback)
        url = reverse(route.name, kwargs=_kwargs_for(route, world))
        posts = "get" not in cls.http_method_names
        case_url = reverse("workspace:case", kwargs={"case_id": world.case.pk})
        for role in ROLES:
            allowed = may(role, cls.action)
            if posts:
                response = checker.check(role, "post", url, expected(role, allowed, ok=302))
                keep_the_agents_case()
                # Reached the view: a case action (or the unmask page's empty form) answers on
                # the case page, whatever the service then said.
                reached = allowed and response.status_code == 302
                if reached and response["Location"] != case_url:
                    checker.problems.append(
                        f"{role:12} POST {url}: back to {response['Location']}, not the case"
                    )
            else:
                # "Next case" (issue 14.6) answers with the case (or the queue) to open.
                ok = 302 if route.name in REDIRECTING_PAGES else 200
                checker.check(role, "get", url, expected(role, allowed, ok=ok))
                if allowed:
                    # Pages accept no other method than they declare.
                    checker.check(role, "delete", url, 405)
    checker.assert_clean(minimum=len(routes) * len(ROLES))


# --- notifications: a person's own (issue 14.5) ------------------------------------------------


def test_notification_views(checker, people):
    """Every notifications URL x every role, expected from ACTIONS: refused -> 403, nobody ->
    the login page, allowed -> the page (200) or, for a POST, back to the list (302). Each role
    acts on a notification of its own; then agent A guesses agent B's notification (404, as
    for an id that does not exist) and it stays unread."""
    from notifications.models import Kind, Notification
    from notifications.services import notification_create

    own = {
        role: notification_create(recipient=user, kind=Kind.CASE_ASSIGNED, title="t", path="/")
        for role, user in people.items()
        if user is not None
    }
    routes = [r for r in all_routes() if classify(r) == "notifications"]
    assert {r.name for r in routes} >= {
        "notifications:list",
        "notifications:read",
        "notifications:read_all",
        "notifications:preferences",
    }
    for route in routes:
        cls = view_class(route.callback)
        for role in ROLES:
            kwargs = {}
            if "<int:notification_id>" in route.route:
                mine = own.get(role) or next(iter(own.values()))
                kwargs["notification_id"] = mine.pk
            url = reverse(route.name, kwargs=kwargs)
            allowed = may(role, cls.action)
            if "get" in cls.http_method_names:
                checker.check(role, "get", url, expected(role, allowed))
                if allowed:
                    checker.check(role, "delete", url, 405)
            if "post" in cls.http_method_names:
                response = checker.check(role, "post", url, expected(role, allowed, ok=302))
                if allowed and response.status_code == 302:
                    location = response["Location"]
                    if not location.startswith(("/notifications/", reverse("notifications:list"))):
                        checker.problems.append(f"{role:12} POST {url}: went to {location}")
    theirs = own["agent_b"]
    Notification.objects.filter(pk=theirs.pk).update(read_at=None)
    url = reverse("notifications:read", kwargs={"notification_id": theirs.pk})
    checker.check("agent", "post", url, 404)
    checker.check("agent", "post", reverse("notifications:read", args=[999_999]), 404)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    checker.assert_clean(minimum=len(routes) * len(ROLES))


def test_landing_login_logout_favicon(checker):
    for role in ROLES:
        if may(role, "workspace.home.admin"):
            want, place = 302, reverse("admin:index")
        elif may(role, "workspace.queue.read"):
            want, place = 302, reverse("workspace:queue")
        elif may(role, "audit.history.read"):
            want, place = 302, reverse("audit:history")
        else:
            want, place = (LOGIN if role == "anonymous" else 403), None
        response = checker.check(role, "get", reverse("landing"), want)
        if place:
            assert response["Location"] == place, role
        # Logged-in users are sent on from the login page; everyone may log out (POST).
        checker.check(role, "get", reverse("login"), 200 if role == "anonymous" else 302)
        checker.check(role, "post", reverse("logout"), LOGIN)
        # The browser's /favicon.ico: a redirect to the static icon for everyone (no data).
        checker.check(role, "get", reverse("favicon"), 301)
    checker.assert_clean(minimum=len(ROLES) * 4)


# --- API ---------------------------------------------------------------------------------------


def api_methods(route: Route) -> list[tuple[str, str]]:
    """(method, action) pairs: each method the view serves and the action its permission asks."""
    from django.conf import settings as django_settings

    cls = view_class(route.callback)
    found = []
    factory = APIRequestFactory()
    for method in ("get", "post", "put", "patch", "delete"):
        if not hasattr(cls, method):
            continue
        view = cls()
        view.request = view.initialize_request(getattr(factory, method)("/"))
        view.format_kwarg = None
        view.kwargs = {}
        actions = {getattr(p, "action", None) for p in view.get_permissions()}
        actions.discard(None)
        assert len(actions) == 1, (route.name, method, actions)
        (action,) = actions
        assert action in ACTIONS, (route.name, action)
        found.append((method, action))
    assert found, route.name
    del django_settings
    return found


def _api_url(route: Route, world) -> str:
    kwargs = {}
    if "<int:case_id>" in route.route:
        kwargs["case_id"] = world.case.pk
    if "<str:code>" in route.route:
        kwargs["code"] = "no_such_playbook"  # the generic route only serves unknown codes
    return reverse(route.name, kwargs=kwargs)


def test_api_endpoints(world, people):
    from knox.models import AuthToken

    problems, checked = [], 0
    routes = [r for r in all_routes() if classify(r) == "api"]
    assert len(routes) >= 10, [r.name for r in routes]
    clients = {}
    for role in ROLES:
        client = APIClient()
        if people[role] is not None:
            _row, token = AuthToken.objects.create(user=people[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clients[role] = client
    for route in routes:
        url = _api_url(route, world)
        for method, action in api_methods(route):
            for role in ROLES:
                response = getattr(clients[role], method)(url, {}, format="json")
                got = response.status_code
                checked += 1
                if role == "anonymous":
                    ok = got == 401
                elif not may(role, action):
                    ok = got == 403
                elif method == "get":
                    ok = got == (404 if "<str:code>" in route.route else 200)
                else:
                    ok = got in (400, 404) if "<str:code>" in route.route else got == 400
                if not ok:
                    problems.append(f"{role:12} {method.upper()} {url} ({action}): got {got}")
    for role in ROLES:
        got = clients[role].get("/api/v1/no/such/endpoint/").status_code
        checked += 1
        if got != 404:
            problems.append(f"{role:12} GET unknown API path: got {got}")
    CHECKED["test_api_endpoints"] = checked
    assert not problems, "\n".join(problems)
    assert checked >= len(routes) * len(ROLES)


# --- object level: agent A guesses agent B's case ----------------------------------------------


#: Message actions with an object rule: the message's case decides (kmcs_site.permissions).
MESSAGE_ACTIONS = (
    "templates_app.outboundmessage.view",
    "templates_app.outboundmessage.retry",
    "templates_app.outboundmessage.mark_sent_by_hand",
    "templates_app.outboundmessage.retry_dead_letter",
)


@pytest.mark.parametrize("name", sorted(PROVIDER_CALLBACKS))
def test_provider_callbacks(name, checker):
    """Every role and anonymous: an unsigned POST is refused without detail, GET is 405."""
    url = reverse(name)
    for role in (None, *ROLES):
        web = checker.client(role) if role else Client()
        answer = web.post(url, data=b"{}", content_type="application/json")
        assert answer.status_code == 400 and answer.content == b"", (role, answer.status_code)
        assert web.get(url).status_code == 405


def test_message_object_rules_follow_the_case(world, people):
    """Every role x every message action on a message of the agent's case and of agent B's:
    the role's row of ACTIONS, narrowed for agents to the cases they work (issue 12)."""
    from cases.services import case_decide
    from kmcs_site.permissions import user_can

    case_decide(case=world.case_b, actor=people["agent_b"], at=AT)
    mine = world.case.outbound_messages.order_by("pk").first()
    theirs = world.case_b.outbound_messages.order_by("pk").first()
    problems, checked = [], 0
    for role in ROLES:
        for action in MESSAGE_ACTIONS:
            for message, owner in ((mine, "agent"), (theirs, "agent_b")):
                want = may(role, action) and (role != "agent" or owner == "agent")
                got = user_can(people[role], action, message)
                checked += 1
                if got != want:
                    problems.append(f"{role:12} {action} on {owner}'s message: {got}")
    CHECKED["test_message_object_rules_follow_the_case"] = checked
    assert not problems, "\n".join(problems)


def test_agent_cannot_reach_another_agents_messages(world, people, client_for):
    """Agent A: agent B's message is a 404 like a missing id, its actions never run, and the
    outbox list does not show it."""
    from cases.services import case_decide

    case_decide(case=world.case_b, actor=people["agent_b"], at=AT)
    theirs = world.case_b.outbound_messages.order_by("pk").first()
    missing = theirs.pk + 100_000
    before = theirs.status
    web = client_for(people["agent"])
    for suffix in ("change", "history"):
        got = web.get(_admin_url(theirs, suffix, theirs.pk)).status_code
        assert got == web.get(_admin_url(theirs, suffix, missing)).status_code == 404, suffix
    changelist = _admin_url(theirs, "changelist")
    for action, extra in (("mark_sent_by_hand", {"apply": "1", "reason": "CEMS"}),):
        web.post(changelist, {"action": action, "_selected_action": [theirs.pk], **extra})
    theirs.refresh_from_db()
    assert theirs.status == before and theirs.hand_sent_by_id is None
    assert f"outboundmessage/{theirs.pk}/change/" not in web.get(changelist).content.decode()
    CHECKED["test_agent_cannot_reach_another_agents_messages"] = 6


def case_urls(case_id: int, attachment_id: int = 1) -> Iterator[tuple[str, str]]:
    """Every URL that takes a case id, with the method it answers (an attachment's URL with
    ``attachment_id``)."""
    for route in all_routes():
        if "<int:case_id>" not in route.route and not route.name.startswith("admin:cases_case"):
            continue
        if route.name.startswith("admin:"):
            continue
        cls = view_class(route.callback)
        method = "get"
        if cls is not None and "get" not in getattr(cls, "http_method_names", ["get"]):
            method = "post"
        kwargs = {"case_id": case_id}
        if "<int:attachment_id>" in route.route:
            kwargs["attachment_id"] = attachment_id
        yield method, reverse(route.name, kwargs=kwargs)
    yield "get", reverse("admin:cases_case_change", args=[case_id])
    yield "post", reverse("admin:cases_case_change", args=[case_id])
    yield "get", reverse("admin:cases_case_history", args=[case_id])
    yield "get", reverse("admin:cases_case_unmask", args=[case_id])


def test_agent_cannot_reach_another_agents_case_by_url(world, people, client_for):
    from knox.models import AuthToken

    from cases.models import Case

    other = world.case_b
    missing = Case.objects.order_by("-pk").first().pk + 1000
    before = other.history.count()
    web = client_for(people["agent"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=people['agent'])[1]}")
    problems, checked = [], 0
    # Attachment URLs name the agent's own file: under agent B's case number it is not served.
    mine = world.attachment.pk
    for (method, url), (_m, missing_url) in zip(
        case_urls(other.pk, mine), case_urls(missing, mine), strict=True
    ):
        client = api if url.startswith("/api/") else web
        got = getattr(client, method)(url, {}).status_code
        got_missing = getattr(client, method)(missing_url, {}).status_code
        checked += 1
        # Same answer as for a case that does not exist; past the door that is 404.
        if got != got_missing or got not in (404, 403):
            problems.append(f"{method.upper()} {url}: {got} (missing case: {got_missing})")
        if got == 403:
            # Only a door closed for every case (the agent may not open that screen at all).
            own = url.replace(f"/{other.pk}/", f"/{world.case.pk}/")
            if getattr(client, method)(own, {}).status_code != 403:
                problems.append(f"{method.upper()} {url}: 403 only for the other agent's case")
    CHECKED["test_agent_cannot_reach_another_agents_case_by_url"] = checked
    assert not problems, "\n".join(problems)
    assert checked >= 15, checked
    other.refresh_from_db()
    assert other.history.count() == before  # nothing was changed on the way
    # ...and the case appears in none of agent A's lists.
    for url in (reverse("workspace:queue"), reverse("workspace:case_list")):
        assert f"/work/cases/{other.pk}/" not in web.get(url).content.decode()
    listed = api.get("/api/v1/cases/").json()
    assert other.pk not in [row["id"] for row in listed["results"]]


# --- fines: four-eyes payout approval (issue 12) ----------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_payout_approval_role_x_action(verb, world, people):
    """``fines.finepayout.approve`` (approve and reject a manual payout): each role against the
    table, through the service the admin actions call, on a payout someone else created; and
    nobody, whatever the role, on a payout they created themselves (the object rule)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.exceptions import ActionNotAllowed
    from fines import services
    from fines.models import FinePayout, PayoutStatus
    from kmcs_site.permissions import user_can

    from .conftest import AT, CUSTOMER_PHONE, DRIVER_PHONE, fine_facts, png_bytes

    fine = services.fine_intake(
        facts=fine_facts("930777", violation_at="2024-06-15T21:10:00+09:00"),
        actor=people["agent"],
        notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    live = ("pending_approval", "created", "scheduled")

    def pending(creator):
        # The previous round's payout is set aside (as a cancel would), freeing the fine.
        FinePayout.objects.filter(notice=fine.notice, status__in=live).update(
            status=PayoutStatus.CANCELLED
        )
        return services.payout_create(notice=fine.notice, actor=creator)

    def act(payout, user):
        if verb == "approve":
            return services.payout_approve(payout=payout, actor=user)
        return services.payout_reject(payout=payout, actor=user, reason="매트릭스 확인")

    problems, checked = [], 0
    for role in ROLES:
        if role == "anonymous":
            continue
        user = people[role]
        creator = people["agent"] if role != "agent" else people["agent_b"]
        if not user_can(creator, "fines.finepayout.add"):
            continue
        payout = pending(creator)
        allowed = may(role, "fines.finepayout.approve")
        try:
            act(payout, user)
            did = True
        except ActionNotAllowed:
            did = False
        checked += 1
        if did != allowed:
            problems.append(f"{role:12} {verb} another's payout: {'did' if did else 'refused'}")
        # Own payout: refused for every role that may create one.
        if user_can(user, "fines.finepayout.add"):
            own = pending(user)
            try:
                act(own, user)
                problems.append(f"{role:12} {verb}d their own payout")
            except ActionNotAllowed:
                pass
            checked += 1
    CHECKED[f"test_payout_approval_role_x_action[{verb}]"] = checked
    assert not problems, "\n".join(problems)
    assert checked >= 8, checked


# --- fact revisions (issue 13.2): role x object ---------------------------------------------------


def test_revise_facts_role_and_object_rule(world, people):
    """``cases.case.revise_facts``: agents on their own (assigned) case only, leads and the
    manager on any case, auditors and the integration never; the table decides each answer."""
    from kmcs_site.permissions import user_can

    for role in ROLES:
        user = people[role]
        own = may(role, "cases.case.revise_facts")
        assert user_can(user, "cases.case.revise_facts", world.case) is own, role
        others = own and role != "agent"  # world.case_b belongs to agent_b
        assert user_can(user, "cases.case.revise_facts", world.case_b) is others, role
    assert not user_can(people["agent_b"], "cases.case.revise_facts", world.case)
    assert user_can(people["agent_b"], "cases.case.revise_facts", world.case_b)


# --- the case plan (issue 13.4 / 13.5): role x action, written out as the issue states it -------
PLAN_ACTIONS = {
    # Sending a step's SMS and marking a step not applicable: whoever works the case.
    "cases.casestep.send": {"agent", "team_lead", "deputy_lead", "manager"},
    "cases.casestep.mark_na": {"agent", "team_lead", "deputy_lead", "manager"},
    # Closing with open steps: the leads and the manager only (kmcs_site/permissions.py).
    "cases.case.force_close": {"team_lead", "deputy_lead", "manager"},
}


@pytest.mark.parametrize("action", sorted(PLAN_ACTIONS))
def test_plan_actions_role_by_role(world, people, action):
    from kmcs_site.permissions import user_can

    for role in ROLES:
        user = people.get(role)
        allowed = role in PLAN_ACTIONS[action]
        assert may(role, action) is allowed, (role, action)  # the table says so
        if user is None:
            continue
        # ...and the question every door asks, on the agent's case and on agent B's case.
        assert user_can(user, action, world.case) is allowed, (role, action)
        other = user_can(user, action, world.case_b)
        assert other is (allowed and role != "agent"), (role, action, "another agent's case")


def test_provider_webhooks_answer_every_role_alike(checker):
    """Unsigned POSTs are refused (403) whoever is logged in; other methods are 405."""
    for name in sorted(PROVIDER_WEBHOOKS):
        url = reverse(name)
        for role in ROLES:
            checker.check(role, "post", url, 403)
            checker.check(role, "get", url, 405)
    checker.assert_clean(minimum=len(PROVIDER_WEBHOOKS) * len(ROLES) * 2)


# --- search, history, related cases (issue 14.1-14.3) -------------------------------------------
#: Written out as the issue states it: whoever works cases searches, links and merges; the
#: auditor reads the history pages (no search box), the integration has no screen at all.
SEARCH_RELATION_ACTIONS = {
    "workspace.search.read": {"agent", "team_lead", "deputy_lead", "manager"},
    "cases.case.link": {"agent", "team_lead", "deputy_lead", "manager"},
    "cases.case.merge": {"agent", "team_lead", "deputy_lead", "manager"},
}


def test_search_link_merge_role_by_role(checker, world, people):
    """Every role: the table, the search POST (a token in the URL, never the phone), and the
    object rule of link / merge on the agent's case and on agent B's."""
    from .conftest import CUSTOMER_PHONE

    search = reverse("workspace:search")
    for role in ROLES:
        for action, roles in SEARCH_RELATION_ACTIONS.items():
            assert may(role, action) is (role in roles), (role, action)
        allowed = may(role, "workspace.search.read")
        response = checker.check(
            role, "post", search, expected(role, allowed, ok=302), {"q": CUSTOMER_PHONE}
        )
        if allowed and response.status_code == 302:
            location = response["Location"]
            if not location.startswith(search + "?t=") or "1234" in location:
                checker.problems.append(f"{role:12} search redirect: {location}")
        user = people[role]
        if user is None:
            continue
        from kmcs_site.permissions import user_can

        for action in ("cases.case.link", "cases.case.merge"):
            mine = user_can(user, action, world.case)
            theirs = user_can(user, action, world.case_b)
            checker.checked += 2
            if mine is not may(role, action) or theirs is not (
                may(role, action) and role != "agent"
            ):
                checker.problems.append(f"{role:12} {action}: own {mine}, agent B's {theirs}")
    checker.assert_clean(minimum=len(ROLES) * 3)


def test_agent_finds_sees_and_links_none_of_another_agents_cases(world, people, client_for):
    """Agent A: agent B's case (same customer phone, same driver) is not in A's search results
    nor in the history panel of A's case; linking or merging with it is refused exactly as for a
    case number that does not exist, and nothing is written."""
    from html import unescape

    from cases.models import Case, CaseLink

    from .conftest import CUSTOMER_PHONE

    other = world.case_b
    missing = Case.objects.order_by("-pk").first().pk + 1000
    web, lead = client_for(people["agent"]), client_for(people["team_lead"])

    def found(client, text):
        location = client.post(reverse("workspace:search"), {"q": text})["Location"]
        return {case.pk for case in client.get(location).context["cases"]}

    for text in (CUSTOMER_PHONE, other.call_id, str(other.pk), "drv-9001"):
        assert other.pk not in found(web, text), text
        assert other.pk in found(lead, text), text
    own_page = reverse("workspace:case", args=[world.case.pk])
    history = {row.case.pk for row in web.get(own_page).context["related"].history}
    assert other.pk not in history
    assert other.pk in {row.case.pk for row in lead.get(own_page).context["related"].history}
    link = reverse("workspace:case_link", args=[world.case.pk])
    merge = reverse("workspace:case_merge", args=[world.case.pk])
    for url, field, extra in ((link, "other", {"kind": "follow_up"}), (merge, "original", {})):
        answers = []
        for number in (other.pk, missing):
            response = web.post(url, {field: number, **extra}, follow=True)
            text = unescape(response.content.decode())
            answers.append(text.count(f"케이스 #{number}를 찾을 수 없습니다."))
        assert answers == [1, 1], (url, answers)
    assert not CaseLink.objects.exists()
    assert Case.objects.get(pk=world.case.pk).status != "closed"
    CHECKED["test_agent_finds_sees_and_links_none_of_another_agents_cases"] = 14


# --- attachments (issue 14.4) ------------------------------------------------------------------

ATTACHMENT_ACTIONS = {
    "cases.caseattachment.add": {"agent", "team_lead", "deputy_lead", "manager"},
    "cases.caseattachment.view": {"agent", "team_lead", "deputy_lead", "manager", "auditor"},
}


def test_attachments_role_by_role_and_object_rule(checker, world, people):
    """Every role: the table, the object rule on the agent's case and on agent B's (an agent only
    the cases they work), and the download of the agent's attachment through agent B's case
    number and through the agent's own (only the case it belongs to serves it)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services.attachments import case_attachment_add
    from kmcs_site.permissions import user_can

    from .conftest import png_bytes

    theirs = case_attachment_add(
        case=world.case_b,
        actor=people["agent_b"],
        upload=SimpleUploadedFile("b.png", png_bytes(), content_type="image/png"),
        kind="other",
    ).attachment
    for role in ROLES:
        for action, roles in ATTACHMENT_ACTIONS.items():
            assert may(role, action) is (role in roles), (role, action)
        user = people[role]
        if user is not None:
            for action in ATTACHMENT_ACTIONS:
                mine = user_can(user, action, world.case)
                other = user_can(user, action, world.case_b)
                checker.checked += 2
                if mine is not may(role, action) or other is not (
                    may(role, action) and role != "agent"
                ):
                    checker.problems.append(f"{role:12} {action}: own {mine}, agent B's {other}")
        see = may(role, "cases.caseattachment.view")
        own = {"case_id": world.case.pk, "attachment_id": world.attachment.pk}
        checker.check(
            role, "get", reverse("workspace:case_attachment", kwargs=own), expected(role, see)
        )
        # Agent B's file, asked for under its own case: only those who see that case get it.
        b = {"case_id": world.case_b.pk, "attachment_id": theirs.pk}
        want = expected(role, see, ok=404 if role == "agent" else 200)
        checker.check(role, "get", reverse("workspace:case_attachment", kwargs=b), want)
        # Agent B's file under the agent's case number: never, for anyone.
        crossed = {"case_id": world.case.pk, "attachment_id": theirs.pk}
        checker.check(
            role,
            "get",
            reverse("workspace:case_attachment", kwargs=crossed),
            expected(role, see, ok=404),
        )
    checker.assert_clean(minimum=len(ROLES) * 3)
