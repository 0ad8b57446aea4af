"""Issue 14.9: the permission module imports no app; apps register their object rules with it.

``kmcs_site.permissions`` declares who may do what (ACTIONS) and which actions also depend on
the object (OBJECT_SCOPED); ``cases.access`` registers the rule bodies from
``CasesConfig.ready``. A missing registration fails closed and fails the system check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from kmcs_site import permissions
from kmcs_site.checks import check_object_rules

ROOT = Path(__file__).resolve().parents[2]
APPS = {"cases", "fines", "partners", "templates_app", "rules", "notifications"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "module", ["kmcs_site/permissions.py", "kmcs_site/pagination.py", "kmcs_site/history.py"]
)
def test_shared_modules_import_no_app(module):
    # Not even lazily inside a function: the dependency runs apps -> kmcs_site only.
    imported = _imported_modules(ROOT / module)
    assert not {name for name in imported if name.split(".")[0] in APPS}, imported


def test_every_object_scoped_action_has_its_registered_rule():
    assert permissions.missing_object_rules() == []
    assert check_object_rules(None) == []
    from cases import access

    for action, rule in access.RULES.items():
        assert permissions.OBJECT_SCOPED[action] == "cases"
        assert permissions.OBJECT_RULES[action] is rule


def test_only_declared_actions_take_a_rule():
    with pytest.raises(permissions.UnknownAction):
        permissions.register_object_rule("cases.case.nonexistent", lambda u, r, o: True)
    # Declared in ACTIONS but not object-scoped: registering would silently narrow it.
    with pytest.raises(permissions.UnknownAction):
        permissions.register_object_rule("workspace.queue.read", lambda u, r, o: True)


@pytest.mark.django_db
def test_a_missing_rule_fails_closed_and_fails_the_check(monkeypatch, make_user, make_case):
    lead = make_user("team_lead")
    case = make_case()
    assert permissions.user_can(lead, "cases.case.view", case)
    monkeypatch.delitem(permissions.OBJECT_RULES, "cases.case.view")
    assert not permissions.user_can(lead, "cases.case.view", case)  # no rule: no object
    assert permissions.user_can(lead, "cases.case.view")  # the role question stands
    errors = check_object_rules(None)
    assert [e.id for e in errors] == ["kmcs_site.E001"] and "cases.case.view" in errors[0].msg
    with pytest.raises(SystemCheckError, match="kmcs_site.E001"):
        call_command("check")


def test_old_import_paths_still_work():
    from cases.views import history as old_history
    from cases.views import pagination as old_pagination
    from kmcs_site import history, pagination
    from templates_app import paginators

    assert old_pagination.peek_paginate is pagination.peek_paginate
    assert paginators.CappedCountPaginator is pagination.CappedCountPaginator
    assert old_history.history_rows is history.history_rows
