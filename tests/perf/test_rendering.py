"""Per-row rendering cut (issue 17.2): labels from a per-language table, row links reversed
once, templates compiled once in production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from cases.labels import choice_label
from cases.models import Case, Channel, PlaybookCode, Status
from cases.templatetags.kmcs_workspace import case_href
from tests.production_env import production_env

ROOT = Path(__file__).resolve().parents[2]


def test_labels_equal_the_display_methods_for_every_choice():
    for status in Status.values:
        for playbook in PlaybookCode.values:
            case = Case(pk=7, playbook=playbook, status=status, channel=Channel.values[0])
            assert case.status_label == case.get_status_display()
            assert case.playbook_label == case.get_playbook_display()
            assert str(case) == f"#7 {case.get_playbook_display()} ({case.get_status_display()})"
    for channel in Channel.values:
        assert Case(channel=channel).channel_label == Case(channel=channel).get_channel_display()


def test_an_unknown_code_shows_itself_and_none_shows_nothing():
    assert choice_label(Status, "archived") == "archived"
    assert choice_label(Status, None) == ""


def test_labels_follow_the_active_language():
    with translation.override("ko"):
        korean = choice_label(Status, Status.NEW)
    with translation.override("en"):
        english = choice_label(Status, Status.NEW)
        assert english == str(Status.NEW.label)
    assert korean == "신규"


def _count_gettext(monkeypatch) -> list:
    """Every message translated from now on (``gettext`` and the lazy labels alike)."""
    import django.utils.translation as tr

    calls = []
    real = tr._trans.gettext
    monkeypatch.setattr(tr._trans, "gettext", lambda s: calls.append(s) or real(s))
    return calls


def test_case_str_runs_no_gettext_per_call(monkeypatch):
    """After the first use per language, ``str(case)`` translates nothing (the display
    methods translate every choice of the field on each call)."""
    case = Case(pk=1, playbook=PlaybookCode.values[0], status=Status.NEW)
    str(case)
    calls = _count_gettext(monkeypatch)
    case.get_status_display()
    assert calls, "the counter must see the display method's gettext"
    calls.clear()
    for _ in range(100):
        str(case)
    assert calls == []


def test_case_href_equals_reverse():
    assert case_href(42) == reverse("workspace:case", kwargs={"case_id": 42})
    assert case_href(7, "workspace:case_take") == reverse(
        "workspace:case_take", kwargs={"case_id": 7}
    )
    with pytest.raises((TypeError, ValueError)):
        case_href("1; drop")


def test_production_reads_templates_through_the_cached_loader():
    env = production_env()
    code = (
        "import django; django.setup();"
        "from django.template import engines;"
        "from django.db import connection;"
        "e = engines['django'].engine;"
        "print(type(e.template_loaders[0]).__module__, connection.settings_dict['CONN_MAX_AGE'],"
        " connection.settings_dict['CONN_HEALTH_CHECKS']);"
        "e.get_template('cases/workspace/_queue_table.html')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.template.loaders.cached", "60", "True"]


@pytest.mark.django_db
def test_admin_changelist_shows_korean_labels_with_little_gettext(admin_client, monkeypatch):
    """The case changelist's choice columns read the label tables: the page translates about
    as much with 30 rows as with 3 (Django's choice display translated each field's every
    choice per row: about 4,200 calls for 100 rows)."""

    def make(n):
        Case.objects.bulk_create(
            Case(
                playbook=PlaybookCode.values[i % len(PlaybookCode.values)],
                service="driver",
                channel=Channel.values[i % len(Channel.values)],
                status=Status.NEW,
            )
            for i in range(n)
        )

    url = reverse("admin:cases_case_changelist")
    make(3)
    admin_client.get(url)  # warm the tables and the templates
    calls = _count_gettext(monkeypatch)
    small = admin_client.get(url)
    few = len(calls)
    make(27)
    calls.clear()
    big = admin_client.get(url)
    assert small.status_code == big.status_code == 200
    html = big.content.decode()
    assert str(Status.NEW.label) in html and str(PlaybookCode(PlaybookCode.values[0]).label) in html
    assert len(calls) - few < 3 * 27, (few, len(calls))
