"""Foundation: roles, the permission module, settings profiles, demo users, bootstrap."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from kmcs_site.permissions import (
    ACTIONS,
    MODEL_VERBS,
    Role,
    UnknownAction,
    role_model_permissions,
    user_can,
)
from tests.conftest import ROOT
from tests.production_env import production_env

pytestmark = pytest.mark.django_db


def test_korean_first_settings():
    assert settings.LANGUAGE_CODE == "ko-kr"
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.USE_TZ is True


def test_role_groups_exist_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names


def test_group_model_permissions_follow_the_actions_table():
    wanted = role_model_permissions()
    for role in Role:
        group = Group.objects.get(name=role.value)
        have = {
            (p.content_type.app_label, p.codename)
            for p in group.permissions.select_related("content_type")
        }
        assert have == wanted[role.value], role


#: API tokens are issued on the server (manage.py kmcs_api_token, printed once) and the
#: database holds only their digest: no role adds or edits one in a browser, where a new
#: token would be shown (django-rest-knox's own admin prints it on "add").
CREDENTIAL_WRITES = {"knox.authtoken.add", "knox.authtoken.change"}


def test_credentials_are_never_issued_or_edited_in_the_browser():
    for action in CREDENTIAL_WRITES:
        assert ACTIONS[action] == frozenset(), action


def test_auditor_may_read_everything_and_change_nothing():
    for action, roles in ACTIONS.items():
        verb = action.rsplit(".", 1)[1]
        if verb in MODEL_VERBS and verb != "view":
            assert Role.AUDITOR not in roles, action
        if verb == "view" or action == "audit.history.read":
            assert Role.AUDITOR in roles, action
        if verb not in MODEL_VERBS and action != "audit.history.read":
            assert Role.AUDITOR not in roles, action


def test_every_action_answers_by_role_membership(role_users):
    for action, roles in ACTIONS.items():
        for role, user in role_users.items():
            expected = role in roles
            assert user_can(user, action) is expected, (action, role)


def test_model_actions_agree_with_django_has_perm(role_users):
    for action in ACTIONS:
        app_label, model_name, verb = (action.split(".") + [""])[:3]
        if verb not in MODEL_VERBS:
            continue
        for role, user in role_users.items():
            if user is None:
                continue
            fresh = type(user).objects.get(pk=user.pk)  # no permission cache
            assert fresh.has_perm(f"{app_label}.{verb}_{model_name}") is user_can(fresh, action), (
                action,
                role,
            )


def test_unknown_action_is_a_programming_error(role_users):
    with pytest.raises(UnknownAction):
        user_can(role_users["team_lead"], "cases.case.fly")


def test_inactive_and_anonymous_users_may_do_nothing(make_user):
    lead = make_user("team_lead", is_active=False)
    assert not user_can(lead, "auth.user.view")
    assert not user_can(None, "auth.user.view")


def test_superuser_may_do_everything(make_user):
    root = make_user(None, is_superuser=True)
    assert all(user_can(root, action) for action in ACTIONS)


def test_user_roles_are_read_once_per_user(make_user, django_assert_num_queries):
    agent = make_user("agent")
    with django_assert_num_queries(1):
        for action in ACTIONS:
            user_can(agent, action)


def test_demo_users_command_is_idempotent(settings):
    settings.DEBUG = True
    call_command("kmcs_demo_users", password="pw-demo-1234")
    call_command("kmcs_demo_users", password="pw-demo-1234")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        username__in=["lead", "deputy", "agent", "manager", "auditor"]
    )
    assert users.count() == 5
    for user in users:
        assert user.email.endswith(".example")
        assert not user.is_superuser
        assert user.groups.count() == 1
        assert user.check_password("pw-demo-1234")


def test_demo_users_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("kmcs_demo_users")


def test_bootstrap_command_runs_twice():
    call_command("kmcs_bootstrap")
    call_command("kmcs_bootstrap")


def test_production_settings_pass_check_deploy_with_no_warning():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_production_settings_require_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kmcs_site.settings.production"}
    env.pop("SECRET_KEY", None)
    env["ALLOWED_HOSTS"] = "kmcs.example"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_every_model_action_names_a_real_model():
    from django.apps import apps

    for action in ACTIONS:
        app_label, model_name, verb = (action.split(".") + [""])[:3]
        if verb in MODEL_VERBS:
            assert apps.get_model(app_label, model_name), action


def test_no_template_has_a_multiline_short_comment():
    """``{# ... #}`` is a one-line comment in Django; spread over lines it is rendered as
    page text. Longer notes use ``{% comment %}``."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.glob("*/templates/**/*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert not offenders, offenders
