"""Outside probes (issue 12): the broad sweep an outside reviewer runs, as each role, against
the real URLs with Django's test client, with hostile input.

Roles: anonymous, agent, agent_b (another agent of the same services), team_lead, deputy_lead,
manager, auditor (and the integration role where the API is the door). Every request goes
through one :class:`Prober`, which checks, whatever the family:

- never a 5xx;
- the answer the permission module gives (``kmcs_site.permissions``): the page, 403, 404,
  the login page (401 for the API), or the validation answer (400 / 413 / 415 / 422 / 429);
- ``Content-Security-Policy`` and ``X-Content-Type-Options: nosniff`` on every response;
- no full phone or account number of the world (``conftest.SECRETS``) in any body or redirect
  URL: every role sees those masked outside the logged unmask screens, which no probe opens;
- no live ``<script>alert(1)</script>`` echoed into an HTML page.

A refused request changes nothing: the families compare :func:`snapshot` (rows of every admin
model, every history table, the statuses of cases, messages and payouts) before and after.

This file is the sweep; the detailed reproductions of each defect stay in their own files
(test_upload_xss, test_payout_amounts, test_outbox_scope, test_pagination_probes, test_bidi,
test_csrf, test_permission_matrix, tests/api/test_api_probes.py). The number of requests the
suite makes is counted (``PROBED``), written to ``test-artifacts/security/probes.json`` and
printed at the end of the module.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kmcs_site.permissions import ACTIONS, model_action, user_can

from .conftest import AT, SECRETS, SEOUL, nonride_facts
from .test_permission_matrix import admin_object, case_urls, may, may_model
from .test_upload_xss import RIDE_END, RIDE_MID, RIDE_START, form_data, png_with_size, xss_gif

pytestmark = pytest.mark.django_db

LOGIN = "login"
ROLES = ("anonymous", "agent", "agent_b", "team_lead", "deputy_lead", "manager", "auditor")
API_ROLES = (*ROLES, "integration")

#: A (made-up) account typed by the prober: not one of the world's secrets.
FOREIGN_ACCOUNT = "110-000-111222"
XSS_MARK = "<script>alert(1)</script>"

#: Hostile strings for search boxes, filters and facts.
PAYLOADS = {
    "sql": "' OR '1'='1' -- ; DROP TABLE cases_case; %_\\",
    "markup": f'"><img src=x onerror=alert(1)>{XSS_MARK}{{{{ 7*7 }}}}{{% debug %}}${{7*7}}',
    "bidi": "강남역\u202e5432-0000-010\u2066\u200b\ufeff",
    "nul": "a\x00b",
    "long": "가" * 1000,
    "huge_int": "99999999999999999999999",
}

#: The payloads in three groups (one test instance each: the world is built once per group).
PAYLOAD_GROUPS = {
    "sql_markup": ("sql", "markup"),
    "bidi_nul": ("bidi", "nul"),
    "long_huge": ("long", "huge_int"),
}

#: Requests made per test (the README's figure; test-artifacts/security/probes.json).
PROBED: dict[str, int] = {}
#: Forbidden (role, admin action) pairs tried, per role.
FORBIDDEN_ACTIONS: dict[str, int] = {}
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "security" / "probes.json"


def role_group(role: str) -> str:
    return "agent" if role == "agent_b" else role


def want_for(role: str, allowed: bool, *, ok=200, denied=403, nobody=LOGIN):
    if role == "anonymous":
        return nobody
    return ok if allowed else denied


def allowed(role: str, action: str) -> bool:
    return may(role_group(role), action)


def sees_model(role: str, model) -> bool:
    group = role_group(role)
    return may_model(group, model, "view") or may_model(group, model, "change")


def snapshot() -> dict:
    """Rows of every admin model and every history table, and what a probe could change in
    place (statuses, assignees, amounts): equal before and after a refused request."""
    from simple_history.models import registered_models

    from cases.models import Case
    from fines.models import FineNotice, FinePayout
    from templates_app.models import OutboundMessage

    state = {}
    for model in admin.site._registry:
        if model._meta.app_label == "axes":
            continue  # django-axes logs every login (the prober's own force_login): no data
        state[model._meta.label] = model._default_manager.count()
    for model in registered_models.values():
        history = model.history.model
        state[history._meta.label] = history.objects.count()
    state["case rows"] = sorted(Case.objects.values_list("pk", "status", "assignee_id"))
    state["message rows"] = sorted(
        OutboundMessage.objects.values_list("pk", "status", "hand_sent_by_id")
    )
    state["payout rows"] = sorted(
        FinePayout.objects.values_list("pk", "status", "amount", "account_hash")
    )
    state["notice rows"] = sorted(FineNotice.objects.values_list("pk", "case_id", "amount"))
    return state


def changed(before: dict, after: dict) -> list[str]:
    return [key for key in before.keys() | after.keys() if before.get(key) != after.get(key)]


def outcome(response) -> int | str:
    if response.status_code in (301, 302) and "/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


class Prober:
    """Sends every probe of one test, checks what must hold for any response, and collects the
    mismatches so that a failure lists them all."""

    def __init__(self, people):
        self.people = people
        self.clients: dict[tuple[str, bool], Client] = {}
        self.problems: list[str] = []
        self.count = 0

    def client(self, role: str, *, csrf: bool = False) -> Client:
        key = (role, csrf)
        if key not in self.clients:
            client = Client(raise_request_exception=False, enforce_csrf_checks=csrf)
            if self.people[role] is not None:
                client.force_login(self.people[role])
            self.clients[key] = client
        return self.clients[key]

    def send(self, role, method, url, data=None, *, want, csrf=False, **extra):
        client = self.client(role, csrf=csrf)
        if data is None:
            data = {}
        response = getattr(client, method)(url, data, **extra)
        self.count += 1
        got = outcome(response)
        where = f"{role:11} {method.upper():4} {url[:90]}"
        wanted = want if isinstance(want, (set, frozenset, tuple)) else {want}
        if response.status_code >= 500:
            self.problems.append(f"{where}: {response.status_code}")
        elif got not in wanted:
            self.problems.append(f"{where}: expected {sorted(map(str, wanted))}, got {got}")
        self._headers(response, where)
        self._secrets(response, where)
        return response

    def _headers(self, response, where):
        if not response.get("Content-Security-Policy"):
            self.problems.append(f"{where}: no Content-Security-Policy")
        if response.get("X-Content-Type-Options") != "nosniff":
            self.problems.append(f"{where}: no X-Content-Type-Options: nosniff")

    def _secrets(self, response, where):
        location = response.get("Location", "")
        texts = [location]
        if not response.streaming:
            texts.append(response.content.decode("utf-8", "replace"))
        for text in texts:
            leaked = [s for s in SECRETS if s in text]
            if leaked:
                self.problems.append(f"{where}: full number in the answer ({leaked[0]})")
        html = not response.streaming and "text/html" in response.get("Content-Type", "")
        if html and XSS_MARK in texts[1]:
            self.problems.append(f"{where}: a live <script> echoed into the page")

    def note(self, problem: str):
        self.problems.append(problem)

    def assert_clean(self, minimum: int):
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].split("::")[-1]
        PROBED[test] = PROBED.get(test, 0) + self.count
        assert not self.problems, f"{len(self.problems)} problems:\n" + "\n".join(self.problems)
        assert self.count >= minimum, f"only {self.count} requests (expected {minimum}+)"


@pytest.fixture(scope="module", autouse=True)
def _count_requests(request):
    yield
    total = sum(PROBED.values())
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(
        json.dumps(
            {
                "roles": len(ROLES),
                "requests": total,
                "by_test": PROBED,
                "forbidden_admin_actions": FORBIDDEN_ACTIONS,
            },
            indent=1,
        )
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and PROBED:
        reporter.write_line(
            f"outside probes: {total} requests in {len(PROBED)} tests; "
            f"{sum(FORBIDDEN_ACTIONS.values())} forbidden (role, admin action) pairs tried"
        )


@pytest.fixture
def prober(people):
    return Prober(people)


# --- 1. injection-ish strings and bidi/zero-width characters in search boxes and filters -------


def _search_targets():
    """(url, method, field, what opens it: an action, a model, or None for the two POST
    searches of the outbox and the payout ledger)."""
    targets = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.search_fields:
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            targets.append((url, "get", "q", model))
    targets += [
        (reverse("admin:templates_app_outboundmessage_find_recipient"), "post", "recipient", None),
        (reverse("admin:fines_finepayout_changelist"), "post", "account_search", None),
        (reverse("workspace:queue"), "get", "status", "workspace.queue.read"),
        (reverse("workspace:case_list"), "get", "playbook", "workspace.case.read"),
        (reverse("audit:history"), "get", "object_id", "audit.history.read"),
        (reverse("audit:history"), "get", "start", "audit.history.read"),
        (reverse("api:case-list"), "get", "customer_phone_last4", "cases.case.view"),
    ]
    return targets


def _opens(role: str, url: str, door) -> bool:
    from fines.models import FinePayout
    from templates_app.models import OutboundMessage

    if door is None:
        return sees_model(role, OutboundMessage if "outbound" in url else FinePayout)
    if isinstance(door, str):
        return allowed(role, door)
    return sees_model(role, door)


@pytest.mark.parametrize("group", sorted(PAYLOAD_GROUPS))
def test_hostile_search_and_filter_values(group, prober, world):
    from fines.models import FinePayout
    from templates_app.models import OutboundMessage

    before = snapshot()
    targets = _search_targets()
    first = PAYLOAD_GROUPS[group][0]
    for role, payload in ((r, p) for p in PAYLOAD_GROUPS[group] for r in ROLES):
        value = PAYLOADS[payload]
        for url, method, field, door in targets:
            if payload != first and not _opens(role, url, door):
                continue  # a closed door answers the same whatever is searched: asked once
            if url.startswith("/api/"):
                ok = allowed(role, door)
                want = want_for(role, ok, ok={200, 400}, nobody=401)
                prober.send(role, "get", url, {field: value}, want=want)
                continue
            if door is None:
                model = OutboundMessage if "outbound" in url else FinePayout
                ok = sees_model(role, model)
            elif isinstance(door, str):
                ok = allowed(role, door)
            else:
                ok = sees_model(role, door)
            # A NUL character in a URL is a bad request (Django's 400) before anything runs.
            nobody = {LOGIN, 400} if payload == "nul" else LOGIN
            if method == "post":
                data = {field: value}
                if field == "account_search":
                    data = {"account_search": "1", "account_number": value}
                want = want_for(role, ok, ok={200, 302}, nobody=LOGIN)
                prober.send(role, "post", url, data, want=want)
            else:
                # An impossible filter value: the page with a Korean form error, or the admin's
                # "?e=1" list; never 500.
                want = want_for(role, ok, ok={200, 302}, nobody=nobody)
                prober.send(role, "get", url, {field: value}, want=want)
    after = snapshot()
    # A search writes nothing but the outbox search's session token (no row).
    if changed(before, after):
        prober.note(f"a search changed {changed(before, after)}")
    prober.assert_clean(minimum=len(ROLES) * len(targets))


# --- 2. the same strings in facts: the workspace form, the simulator, intake ------------------


def _form_post(payload: str, call_id: str) -> dict:
    facts = nonride_facts(call_id)
    data = {k: v for k, v in facts.items() if not isinstance(v, bool)}
    data.update({k: "on" for k, v in facts.items() if v is True})
    data.update(
        channel="chatbot_board",
        idempotency_key=f"probe-form-{call_id}",
        customer_phone="010-0000-4401",
        driver_phone="010-0000-4402",
        origin=payload,
        special_note=payload,
    )
    data["start_equals_last_point"] = "true"
    return data


@pytest.mark.parametrize("group", sorted(PAYLOAD_GROUPS))
def test_hostile_values_in_facts(group, prober, people, world):
    from cases.models import Case

    url_form = reverse("workspace:case_create", kwargs={"playbook": "driver_nonride_cancel"})
    evaluate = "/api/v1/playbooks/driver_nonride_cancel/evaluate/"
    intake = "/api/v1/cases/"
    probes = [(r, p) for p in PAYLOAD_GROUPS[group] for r in API_ROLES]
    for n, (role, payload) in enumerate(probes):
        value = PAYLOADS[payload]
        refused_value = payload in ("bidi", "nul")
        call_id = f"94{n:02d}{sorted(PAYLOADS).index(payload):03d}"
        before = snapshot()
        # The agent's new-case form (a person's intake door).
        ok = allowed(role, "workspace.case.intake")
        response = prober.send(
            role,
            "post",
            url_form,
            _form_post(value, call_id),
            want=want_for(role, ok, ok={200} if refused_value else {200, 302}),
        )
        created = Case.objects.filter(idempotency_key=f"probe-form-{call_id}").first()
        if refused_value and created is not None:
            prober.note(f"{role}: the form filed a case with {payload} in a fact")
        if created is not None:
            if created.facts.get("origin") != value:
                prober.note(f"{role}: origin stored as {created.facts.get('origin')!r:.60}")
            # Shown back on the case page as text, never as markup.
            page = prober.send(role, "get", response["Location"], want=200)
            if (
                payload == "markup"
                and "&lt;script&gt;alert(1)&lt;/script&gt;" not in page.content.decode()
            ):
                prober.note(f"{role}: the case page does not show the escaped fact")
        elif (
            ok
            and not refused_value
            and response.status_code == 200
            and "errorlist" not in response.content.decode()
        ):
            # Refused as invalid (a length limit) is fine, with the Korean error; silence isn't.
            prober.note(f"{role}: form answered 200 without an error or a case")
        # The simulator and intake (JSON).
        body = {"facts": {**nonride_facts(call_id), "origin": value}, "at": AT.isoformat()}
        ok = allowed(role, "api.playbook.evaluate")
        want = want_for(role, ok, ok=400 if refused_value else {200, 400}, nobody=401)
        prober.send(role, "post", evaluate, body, content_type="application/json", want=want)
        key = f"probe-api-{call_id}"
        body = {
            "playbook": "driver_nonride_cancel",
            "channel": "chatbot_board",
            "facts": {**nonride_facts(f"1{call_id}"), "origin": value},
            "customer": {"phone": "010-0000-4403"},
            "driver": {"id": "drv-9001", "phone": "010-0000-4404"},
            "references": {"call_id": f"1{call_id}"},
            "idempotency_key": key,
        }
        ok = allowed(role, "api.case.create")
        want = want_for(role, ok, ok=400 if refused_value else {201, 400}, nobody=401)
        prober.send(role, "post", intake, body, content_type="application/json", want=want)
        stored = Case.objects.filter(idempotency_key=key).first()
        if stored is not None and (refused_value or stored.facts.get("origin") != value):
            prober.note(f"{role}: intake stored {stored.facts.get('origin')!r:.60}")
        if refused_value and changed(before, snapshot()):
            prober.note(f"{role}: a refused {payload} fact changed {changed(before, snapshot())}")
    prober.assert_clean(minimum=len(probes) * 3)


# --- 3. ?page= overflow / negative / text on every list ------------------------------------------


PAGE_PROBES = {"overflow": "99999999999999999999999", "negative": "-1", "text": "abc"}


@pytest.mark.parametrize("probe", sorted(PAGE_PROBES))
def test_page_parameter_on_every_list(probe, prober, world):
    value = PAGE_PROBES[probe]
    before = snapshot()
    lists = [
        (reverse("workspace:queue"), "workspace.queue.read"),
        (reverse("workspace:case_list"), "workspace.case.read"),
        (reverse("audit:history"), "audit.history.read"),
        (reverse("audit:case_history", kwargs={"case_id": world.case.pk}), "audit.history.read"),
        (reverse("dashboard:overdue"), None),
    ]
    changelists = [
        (reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"), m)
        for m in admin.site._registry
    ]
    for role in ROLES:
        for url, action in lists:
            if action is None:  # the overdue queue: leads all, agents their own (scoped)
                ok = allowed(role, "clocks.overdue.read") or allowed(role, "workspace.queue.read")
            else:
                ok = allowed(role, action)
            # Beyond the last page: the Korean 404 (never 500); -1 and text: page 1.
            page_ok = {200, 404} if probe == "overflow" else {200}
            prober.send(role, "get", url, {"page": value}, want=want_for(role, ok, ok=page_ok))
        for url, model in changelists if probe != "negative" else ():
            # Django's own paginator: "-1" takes the same path as the overflow (InvalidPage).
            ok = sees_model(role, model)
            # The admin answers an impossible page with the list or its "?e=1" redirect.
            prober.send(role, "get", url, {"p": value}, want=want_for(role, ok, ok={200, 302}))
        ok = allowed(role, "cases.case.view")
        # A forged cursor or an impossible page size: a JSON 400 naming the parameter.
        for params, good in (({"cursor": value}, 400), ({"page_size": value}, 400)):
            want = want_for(role, ok, ok=good, nobody=401)
            prober.send(role, "get", reverse("api:case-list"), params, want=want)
    if changed(before, snapshot()):
        prober.note(f"a page request changed {changed(before, snapshot())}")
    prober.assert_clean(minimum=len(ROLES) * (len(lists) + 2))


# --- 4. the API's bodies: deeply nested JSON, oversize, not JSON --------------------------------


def _nested(depth: int) -> str:
    return "[" * depth


def limit_of(url: str) -> int:
    if url.endswith("/batch/"):
        return django_settings.KMCS_API_MAX_BATCH_BODY_BYTES
    return django_settings.KMCS_API_MAX_BODY_BYTES


def _api_bodies(kind: str, url: str) -> tuple[bytes | str, str, int]:
    """(body, content type, the answer of a role that may post there)."""
    limit = limit_of(url)
    if kind == "nested":
        return _nested(100_000), "application/json", 400
    if kind == "nested_in_facts":
        inner = "[" * 2000 + "]" * 2000
        return '{"facts": {"origin": ' + inner + "}}", "application/json", 400
    if kind == "oversize":
        pad = limit + 1 - len('{"facts": {"origin": ""}}')
        return '{"facts": {"origin": "' + "x" * pad + '"}}', "application/json", 413
    if kind == "not_json":
        return "{'facts': nope", "application/json", 400
    if kind == "form_encoded":
        return "facts=1&at=2", "application/x-www-form-urlencoded", 415
    raise AssertionError(kind)


API_BODY_KINDS = ("nested", "nested_in_facts", "oversize", "not_json", "form_encoded")


@pytest.mark.parametrize("kind", API_BODY_KINDS)
def test_hostile_api_bodies(kind, prober, people, make_case):
    endpoints = {
        "/api/v1/playbooks/driver_nonride_cancel/evaluate/": "api.playbook.evaluate",
        "/api/v1/cases/": "api.case.create",
        "/api/v1/cases/batch/": "api.case.create",
    }
    case = make_case(assignee=people["agent"])
    before = snapshot()
    for url, action in endpoints.items():
        body, content_type, good = _api_bodies(kind, url)
        for role in API_ROLES:
            want = want_for(role, allowed(role, action), ok=good, nobody=401)
            response = prober.send(role, "post", url, body, content_type=content_type, want=want)
            if response.status_code != good or good not in (400, 413, 415):
                continue
            if not response["Content-Type"].startswith("application/json"):
                prober.note(f"{role} {url} {kind}: {good} is not JSON")
            elif good == 413 and f"{limit_of(url):,}바이트" not in response.json().get(
                "detail", ""
            ):
                prober.note(f"{role} {url}: 413 without the limit")
    # Forms are not the API: an oversize body to a page is Django's 400, never 500.
    big = {"reason": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    for role in ROLES:
        url = reverse("workspace:case_record", kwargs={"case_id": case.pk})
        if kind == "oversize":
            ok = allowed(role, "cases.case.change")
            # agent_b does not see the case (404 before the body is read); others read it: 400.
            good = {400, 404} if role == "agent_b" else 400
            prober.send(role, "post", url, big, want=want_for(role, ok, ok=good, denied={400, 403}))
    if changed(before, snapshot()):
        prober.note(f"a refused body changed {changed(before, snapshot())}")
    prober.assert_clean(minimum=len(endpoints) * len(API_ROLES))


# --- 5. IDOR: another agent's case, messages and payouts on every object URL and action -------


def _decided_b(world, people):
    from cases.services import case_decide

    case_decide(case=world.case_b, actor=people["agent_b"], at=AT)
    return world.case_b.outbound_messages.order_by("pk").first()


IDOR_KINDS = ("case", "message", "payout")


@pytest.mark.parametrize("kind", IDOR_KINDS)
def test_another_agents_ids_on_every_object_url(kind, prober, people, world):
    """agent_b guesses the ids of the agent's case, its messages and its payout (and the
    ids just past the last row): the answer is the one for a missing id, nothing runs."""
    from cases.models import Case
    from templates_app.models import OutboundMessage

    _decided_b(world, people)
    role = "agent_b"
    before = snapshot()
    if kind == "case":
        missing = Case.objects.order_by("-pk").first().pk + 1000
        for (method, url), (_m, missing_url) in zip(
            case_urls(world.case.pk, world.attachment.pk),
            case_urls(missing, world.attachment.pk),
            strict=True,
        ):
            got_missing = prober.send(role, method, missing_url, want={403, 404, 401})
            prober.send(role, method, url, want=got_missing.status_code)
        changelist = reverse("admin:cases_case_changelist")
        for action in ("take_cases", "assign_cases", "decide_cases", "close_cases"):
            data = {
                "action": action,
                "_selected_action": [world.case.pk],
                "apply": "1",
                "assignee": people["agent_b"].pk,
                f"fingerprint_{world.case.pk}": "x",
            }
            prober.send(role, "post", changelist, data, want={200, 302})
    elif kind == "message":
        theirs = list(world.case.outbound_messages.order_by("pk"))
        missing = OutboundMessage.objects.order_by("-pk").first().pk + 1000
        for message in theirs:
            for suffix in ("change", "history", "delete"):
                url = reverse(f"admin:templates_app_outboundmessage_{suffix}", args=[message.pk])
                lost = reverse(f"admin:templates_app_outboundmessage_{suffix}", args=[missing])
                got = prober.send(role, "get", lost, want={403, 404}).status_code
                prober.send(role, "get", url, want=got)
            changelist = reverse("admin:templates_app_outboundmessage_changelist")
            for action in ("retry_messages", "mark_sent_by_hand", "delete_selected"):
                data = {
                    "action": action,
                    "_selected_action": [message.pk],
                    "apply": "1",
                    "post": "yes",
                    "reason": "CEMS로 보냄",
                }
                prober.send(role, "post", changelist, data, want={200, 302})
            # The workspace door: from agent_b's own case, naming the agent's message...
            own = reverse(
                "workspace:case_message_sent_by_hand", kwargs={"case_id": world.case_b.pk}
            )
            prober.send(role, "post", own, {"message_id": message.pk, "reason": "CEMS"}, want=302)
            # ...and on the agent's case (invisible: 404).
            url = reverse("workspace:case_message_sent_by_hand", kwargs={"case_id": world.case.pk})
            prober.send(role, "post", url, {"message_id": message.pk, "reason": "CEMS"}, want=404)
        # Not listed either (the outbox list is scoped like the cases).
        listing = prober.send(role, "get", changelist, want=200).content.decode()
        for message in theirs:
            if f"outboundmessage/{message.pk}/change/" in listing:
                prober.note(f"agent_b's outbox lists the agent's message {message.pk}")
    else:
        payout = world.payout
        # The payout ledger is read by every agent (seed 004), masked; nothing else.
        change = reverse("admin:fines_finepayout_change", args=[payout.pk])
        prober.send(role, "get", change, want=200)
        prober.send(role, "post", change, {"amount": "2147483647"}, want=403)
        for suffix in ("history", "delete"):
            url = reverse(f"admin:fines_finepayout_{suffix}", args=[payout.pk])
            prober.send(role, "get", url, want=403)
        reveal = reverse("admin:fines_finepayout_reveal", args=[payout.pk])
        prober.send(role, "get", reveal, want=403)
        prober.send(role, "post", reveal, {"reason": "확인"}, want=403)
        changelist = reverse("admin:fines_finepayout_changelist")
        for action in (
            "approve_selected",
            "reject_selected",
            "cancel_selected",
            "run_batch_now",
            "delete_selected",
        ):
            data = {
                "action": action,
                "_selected_action": [payout.pk],
                "apply": "1",
                "post": "yes",
                "reason": "확인",
            }
            prober.send(role, "post", changelist, data, want={200, 302})
        notice = reverse("admin:fines_finenotice_change", args=[world.notice.pk])
        prober.send(role, "post", notice, {"status": "closed"}, want=403)
        review = reverse("admin:fines_finenotice_evidence_review", args=[world.notice.pk])
        # The agent's notice is seen as its case: agent_b gets the missing-object answer.
        prober.send(role, "post", review, {"decision": "accept", "reason": "x"}, want=404)
    after = snapshot()
    if changed(before, after):
        prober.note(f"agent_b's guesses changed {changed(before, after)}")
    prober.assert_clean(minimum=8)


# --- 6. forbidden admin actions per role (user_can and a real POST) -----------------------------


#: Form fields the actions' intermediate pages ask; sent with every probe so that a forbidden
#: action that was let through would really run (not stop at its confirmation page).
ACTION_FIELDS = {
    "apply": "1",
    "post": "yes",
    "reason": "외부 점검",
    "note": "외부 점검",
}


ROLE_GROUPS = {
    "agents": ("agent", "agent_b"),
    "leads_and_manager": ("team_lead", "deputy_lead", "manager"),
    "auditor_and_anonymous": ("auditor", "anonymous"),
}


@pytest.mark.parametrize("group", ROLE_GROUPS)
def test_forbidden_admin_actions(group, prober, people, world):
    """Every action registered on every ModelAdmin: a role that ``user_can`` refuses is not
    offered it, and its POST to the changelist runs nothing (the real action, no stand-in)."""
    total = 0
    for role in ROLE_GROUPS[group]:
        total += _forbidden_actions_of(role, prober, people, world)
    assert total > 0
    prober.assert_clean(minimum=total)


def _forbidden_actions_of(role, prober, people, world) -> int:
    user = people[role]
    forbidden = 0
    tried: list[str] = []
    before = snapshot()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        obj = admin_object(model, world, people)
        see = sees_model(role, model)
        offered = set()
        if see:
            page = prober.send(role, "get", changelist, want=200)
            select = re.search(
                r'<select name="action"[^>]*>(.*?)</select>', page.content.decode(), re.S
            )
            if select:
                offered = set(re.findall(r'<option value="([^"]+)"', select.group(1)))
        for func, name, _desc in model_admin._get_base_actions():
            perms = getattr(func, "allowed_permissions", ())
            may_run = see and any(user_can(user, model_action(model, p)) for p in perms)
            if name in offered and not may_run:
                prober.note(f"{role}: {opts.label}.{name} offered but user_can refuses it")
            if may_run:
                continue
            forbidden += 1
            data = {"action": name, "_selected_action": [obj.pk], "index": 0, **ACTION_FIELDS}
            want = want_for(role, see, ok={200, 302})
            prober.send(role, "post", changelist, data, want=want)
            tried.append(f"{opts.label}.{name}")
    diff = changed(before, snapshot())
    if diff:
        prober.note(f"{role}: forbidden actions {tried} changed {diff}")
    FORBIDDEN_ACTIONS[role] = forbidden
    return forbidden


# --- 7. the fine-notice upload: HTML in a GIF named notice.html, a decompression bomb ---------


@pytest.fixture
def rides(people):
    from fines.services import ride_upsert

    def _ride(call_id: str):
        return ride_upsert(
            call_id=call_id,
            actor=people["agent"],
            started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
            ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
            start_lat=RIDE_START[0],
            start_lng=RIDE_START[1],
            end_lat=RIDE_END[0],
            end_lng=RIDE_END[1],
            path=[list(RIDE_START), list(RIDE_MID), list(RIDE_END)],
            driver_id="drv-7130",
            driver_name="김기사",
            driver_phone="010-0000-7130",
            fare=25000,
        )

    return _ride


def _media(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("upload", ["html_in_gif", "bomb"])
def test_fine_notice_upload(upload, prober, people, rides, settings):
    from fines.models import FineNotice

    add = reverse("admin:fines_finenotice_add")
    for n, role in enumerate(ROLES):
        call_id = f"7131{n:02d}"
        rides(call_id)
        if upload == "html_in_gif":
            file = SimpleUploadedFile("notice.html", xss_gif(), content_type="text/html")
        else:
            file = SimpleUploadedFile("bomb.png", png_with_size(20_000, 20_000), "image/png")
        data = form_data(file, call_id=call_id, account_number=FOREIGN_ACCOUNT)
        files_before = _media(settings)
        ok = allowed(role, "fines.finenotice.add")
        good = 302 if upload == "html_in_gif" else 200
        response = prober.send(role, "post", add, data, want=want_for(role, ok, ok=good))
        notice = FineNotice.objects.filter(call_id=call_id).first()
        if upload == "bomb" or not ok:
            if notice is not None or _media(settings) != files_before:
                prober.note(f"{role}: a refused {upload} left a row or a file")
            if ok and "이미지가 너무 큽니다" not in response.content.decode():
                prober.note(f"{role}: the bomb got no Korean form error")
            continue
        if notice is None:
            prober.note(f"{role}: the GIF notice was not filed")
            continue
        if not notice.notice_image.name.endswith(".gif") or "html" in notice.notice_image.name:
            prober.note(f"{role}: stored as {notice.notice_image.name}")
        # Everyone who may open the image gets the GIF type, nosniff, never HTML.
        image = reverse("admin:fines_finenotice_image", args=[notice.pk])
        for reader in ROLES:
            # A notice is seen as its case is (fines.selectors): the case's object rule.
            see = allowed(reader, "fines.finenotice.view") and (
                reader == "anonymous" or user_can(people[reader], "cases.case.view", notice.case)
            )
            served = prober.send(reader, "get", image, want=want_for(reader, see, denied=404))
            if served.status_code == 200:
                kind = served["Content-Type"]
                disposition = served.get("Content-Disposition", "")
                if kind != "image/gif" or "html" in disposition:
                    prober.note(f"{reader}: served as {kind} ({disposition})")
    prober.assert_clean(minimum=len(ROLES))


# --- 8. the payout form: amount=2147483647 and a foreign account ---------------------------------


@pytest.fixture
def cancelled_fine(people):
    """A general fine whose automatic payout a lead cancelled (the probe's starting point)."""
    from fines import services

    from .conftest import CUSTOMER_PHONE, DRIVER_PHONE, fine_facts, png_bytes

    services.ride_upsert(
        call_id="931301",
        actor=people["agent"],
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        driver_id="drv-9001",
        driver_name="김기사",
        driver_phone=DRIVER_PHONE,
        fare=25000,
    )
    result = services.fine_intake(
        facts=fine_facts("931301"),
        actor=people["agent"],
        notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    assert result.payout is not None, result.message
    services.payout_cancel(
        payout=result.payout, actor=people["team_lead"], reason="계좌 변경 요청", at=AT
    )
    return result


@pytest.mark.parametrize("amount", ["2147483647", "-40000"])
def test_payout_form_with_any_amount_and_a_foreign_account(amount, prober, people, cancelled_fine):
    from fines import services
    from fines.models import BankTransfer, FinePayout, PayoutStatus

    notice, old = cancelled_fine.notice, cancelled_fine.payout
    url = reverse("admin:fines_finenotice_payout", args=[notice.pk])
    data = {
        "amount": amount,
        "bank": "088",
        "account_number": FOREIGN_ACCOUNT,
        "holder": "김철수",
        "charge_driver": "on",
    }
    for role in ROLES:
        ok = allowed(role, "fines.finepayout.add")
        # The notice is seen as its case (the agent's): anyone else who may not sees a 404.
        sees = role == "anonymous" or user_can(people[role], "cases.case.view", notice.case)
        want = want_for(role, ok, ok={200, 302} if sees else 404)
        prober.send(role, "post", url, data, want=want)
    made = FinePayout.objects.filter(notice=notice).exclude(pk=old.pk)
    if made.count() != 1:
        prober.note(f"{made.count()} payouts made by the probes (one expected, then refused)")
    for payout in made:
        if payout.amount != notice.amount:
            prober.note(f"payout {payout.pk}: amount {payout.amount}, notice {notice.amount}")
        if payout.status != PayoutStatus.PENDING_APPROVAL or payout.scheduled_at is not None:
            prober.note(f"payout {payout.pk}: {payout.status}, scheduled {payout.scheduled_at}")
    report = services.payout_batch_run(at=AT.replace(hour=14))
    if set(report.paid) & set(made.values_list("pk", flat=True)):
        prober.note("the 14:00 batch paid an unapproved payout")
    if BankTransfer.objects.filter(payout__in=made).exists():
        prober.note("a transfer was made for an unapproved payout")
    prober.assert_clean(minimum=len(ROLES))


# --- 9. mark sent by hand on another agent's message ----------------------------------------------


@pytest.mark.parametrize("door", ["admin_action", "case_page"])
def test_mark_sent_by_hand_on_another_agents_message(door, prober, people, world):
    from templates_app.models import OutboundMessage

    target = world.case.outbound_messages.order_by("pk").first()
    action = "templates_app.outboundmessage.mark_sent_by_hand"
    # The owner reaches the SMS step (seed 002: 어드민 확인 후 결제취소 first): from here on only
    # the object rule stands between another role and the message.
    step = reverse("workspace:case_step", kwargs={"case_id": world.case.pk})
    for code in ("check_meter", "cancel_payment"):
        prober.send("agent", "post", step, {"step_code": code}, want=302)

    def post(role):
        if door == "admin_action":
            url = reverse("admin:templates_app_outboundmessage_changelist")
            data = {
                "action": "mark_sent_by_hand",
                "_selected_action": [target.pk],
                "apply": "1",
                "reason": "CEMS로 보냄",
            }
            see = sees_model(role, OutboundMessage)
            return prober.send(role, "post", url, data, want=want_for(role, see, ok={200, 302}))
        url = reverse("workspace:case_message_sent_by_hand", kwargs={"case_id": world.case.pk})
        data = {"message_id": target.pk, "reason": "CEMS로 보냄"}
        ok = allowed(role, action)
        want = want_for(role, ok, ok=404 if role == "agent_b" else 302)
        return prober.send(role, "post", url, data, want=want)

    # Every role whose object rule says no: nothing recorded.
    for role in ROLES:
        if role != "anonymous" and user_can(people[role], action, target):
            continue
        before = snapshot()
        post(role)
        if changed(before, snapshot()):
            prober.note(f"{role}: marked the agent's message sent ({changed(before, snapshot())})")
    if user_can(people["agent_b"], action, target):
        prober.note("agent_b's object rule allows the agent's message")
    # The owner's own request goes through the same door (the probe can see a change).
    post("agent")
    target.refresh_from_db()
    if target.status != "sent_by_hand" or target.hand_sent_by_id != people["agent"].pk:
        prober.note(f"the owner's own request did not record it ({target.status})")
    prober.assert_clean(minimum=len(ROLES) - 3)


# --- 10. CSRF missing on POST ----------------------------------------------------------------------


CSRF_DOORS = ("workspace", "admin", "api_and_login")


def _csrf_posts(door: str, world) -> list[tuple[str, dict, int | None]]:
    """(url, form data, answer for anonymous or None: 403 like everyone)."""
    case = world.case.pk
    if door == "workspace":
        return [
            (reverse("workspace:case_take", kwargs={"case_id": case}), {}, None),
            (
                reverse("workspace:case_decide", kwargs={"case_id": case}),
                {"fingerprint": "x"},
                None,
            ),
            (reverse("workspace:case_record", kwargs={"case_id": case}), {"memo": "x"}, None),
            (
                reverse("workspace:case_create", kwargs={"playbook": "driver_nonride_cancel"}),
                _form_post("강남역", "950001"),
                None,
            ),
            (reverse("dashboard:clock_pause", kwargs={"case_id": case}), {"reason": "x"}, None),
        ]
    if door == "admin":
        message = world.case.outbound_messages.order_by("pk").first()
        return [
            (
                reverse("admin:templates_app_outboundmessage_changelist"),
                {
                    "action": "mark_sent_by_hand",
                    "_selected_action": [message.pk],
                    "apply": "1",
                    "reason": "x",
                },
                None,
            ),
            (
                reverse("admin:fines_finenotice_payout", args=[world.notice.pk]),
                {"bank": "088"},
                None,
            ),
            (
                reverse("admin:fines_finepayout_reveal", args=[world.payout.pk]),
                {"reason": "x"},
                None,
            ),
            (reverse("admin:partners_partner_add"), {"name": "x", "code": "x"}, None),
            (reverse("admin:cases_case_unmask", args=[case]), {"reason": "x"}, None),
        ]
    body = json.dumps({"facts": nonride_facts("950002"), "at": AT.isoformat()})
    return [
        (reverse("login"), {"username": "sec_agent", "password": "pw-test-1234"}, None),
        (reverse("logout"), {}, None),
        # The API by session needs the token too; anonymous is asked to authenticate first.
        ("/api/v1/cases/", body, 401),
        ("/api/v1/playbooks/driver_nonride_cancel/evaluate/", body, 401),
    ]


@pytest.mark.parametrize("door", CSRF_DOORS)
def test_post_without_csrf_token(door, prober, world):
    posts = _csrf_posts(door, world)
    before = snapshot()
    for role in ROLES:
        for url, data, anonymous in posts:
            want = anonymous if (role == "anonymous" and anonymous) else 403
            extra = {"content_type": "application/json"} if isinstance(data, str) else {}
            prober.send(role, "post", url, data, csrf=True, want=want, **extra)
    if changed(before, snapshot()):
        prober.note(f"a POST without CSRF changed {changed(before, snapshot())}")
    prober.assert_clean(minimum=len(posts) * len(ROLES))


# --- 11. API throttling: JSON 429 with Retry-After, per user -------------------------------------


def test_api_throttle_answers_429(prober, people, settings):
    from django.core.cache import cache

    cache.clear()
    settings.KMCS_API_THROTTLE_RATES = {"api_user": "3/minute", "api_ip": "1000/minute"}
    try:
        for role in API_ROLES:
            ok = allowed(role, "api.playbook.evaluate")
            for _ in range(3):
                prober.send(
                    role, "get", "/api/v1/playbooks/", want=want_for(role, ok, ok=200, nobody=401)
                )
            # The throttle counts refused requests too (it answers before the permission).
            last = prober.send(
                role, "get", "/api/v1/playbooks/", want=want_for(role, True, ok=429, nobody=401)
            )
            if last.status_code == 429 and not int(last.get("Retry-After", "0")) > 0:
                prober.note(f"{role}: 429 without Retry-After")
    finally:
        cache.clear()
    prober.assert_clean(minimum=len(API_ROLES) * 4)


def test_every_role_of_the_table_is_probed():
    """The sweep covers every role of the permission module (a new role must be added here)."""
    table_roles = {role.value for roles in ACTIONS.values() for role in roles}
    assert table_roles <= {role_group(r) for r in API_ROLES}
