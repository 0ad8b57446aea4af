"""The case change list's rows written once per row (issue 17 round 3, ``cases.admin_rows``):
the same HTML as Django's ``{% result_list %}``, with per-page work that no longer grows with
the rows (no ``reverse``, no widget rendering, no translation per row)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.templatetags import admin_list
from django.urls import reverse

import cases.templatetags.kmcs_admin_list as fast_rows
from cases.models import Case, ConsultationType
from tests.cases import fakes

pytestmark = pytest.mark.django_db


def _cases(n, *, start=0, assignee=None):
    kind = ConsultationType.objects.filter(is_leaf=True).first()
    return Case.objects.bulk_create(
        Case(
            playbook=fakes.CODE,
            service="driver",
            channel="chatbot_board",
            status=("new", "in_progress", "closed")[i % 3],
            customer_phone="01000001234" if i % 2 else "",
            customer_phone_last4="1234",
            # Every third row without a call ID, one blank: the empty mark, as Django shows it.
            call_id=("", "  ", f"<b>{800_000 + start + i}</b>")[i % 3],
            business_key=str(800_000 + start + i),
            assignee=assignee if i % 2 else None,
            consultation_type=kind if i % 2 else None,
        )
        for i in range(n)
    )


def _table(html: str) -> str:
    table = re.search(r'<table id="result_list">.*?</table>', html, re.S).group(0)
    return re.sub(r">\s+<", "><", table)


def _django_table(client, url, monkeypatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(fast_rows, "_fast_result_list", admin_list.result_list)
        return _table(client.get(url).content.decode())


@pytest.mark.parametrize(
    "params",
    ["", "?status__exact=new", "?q=1234", "?o=3.-1", f"?playbook__exact={fakes.CODE}&o=-2"],
)
def test_rows_are_the_html_django_writes(client, staff, monkeypatch, params):
    """Classes, the two link columns with the list's filters preserved, the checkbox and its
    label, escaped values, the empty mark for blank fields: byte for byte Django's."""
    _cases(12, assignee=staff.agent)
    client.force_login(staff.lead)
    url = reverse("admin:cases_case_changelist") + params
    ours = _table(client.get(url).content.decode())
    assert ours == _django_table(client, url, monkeypatch)
    if params == "?q=1234":
        assert "_changelist_filters=q%3D1234" in ours
    if not params:
        assert "&lt;b&gt;" in ours and "<b>8" not in ours  # values escaped
        assert ours.count('class="action-select"') == 12


def test_rows_for_an_agent_are_django_rows_of_their_scope(client, staff, monkeypatch):
    """An agent's list: the unassigned cases of their service, not the cases assigned
    without their work permission (the visibility selector, unchanged)."""
    rows = _cases(4, assignee=staff.agent_b)
    client.force_login(staff.agent)
    url = reverse("admin:cases_case_changelist")
    ours = _table(client.get(url).content.decode())
    assert ours == _django_table(client, url, monkeypatch)
    shown = set(map(int, re.findall(r'name="_selected_action" value="(\d+)"', ours)))
    assert shown == {c.pk for c in rows if c.assignee_id is None}


def test_reverse_translation_and_widgets_do_not_grow_with_the_rows(client, staff, monkeypatch):
    """3 rows or 40: the same number of ``reverse`` calls, no checkbox widget rendered
    through a template, and no translation per row beyond the date's (Django: 2 reverses, a
    widget render and the checkbox label's gettext per row)."""
    import django.forms.widgets as widgets
    import django.utils.translation as tr
    from django.urls.resolvers import URLResolver

    client.force_login(staff.lead)
    url = reverse("admin:cases_case_changelist")
    _cases(3)
    client.get(url)  # warm caches and templates

    def measure():
        with monkeypatch.context() as m:
            reverses = []
            real_reverse = URLResolver._reverse_with_prefix

            def counted_reverse(self, *a, **k):
                reverses.append(a)
                return real_reverse(self, *a, **k)

            m.setattr(URLResolver, "_reverse_with_prefix", counted_reverse)
            texts = []
            real_gettext = tr._trans.gettext
            m.setattr(tr._trans, "gettext", lambda s: texts.append(s) or real_gettext(s))
            renders = []
            real_render = widgets.Widget.render

            def counted_render(self, *a, **k):
                renders.append(type(self).__name__)
                return real_render(self, *a, **k)

            m.setattr(widgets.Widget, "render", counted_render)
            response = client.get(url)
        assert response.status_code == 200
        return len(reverses), len(texts), renders.count("CheckboxInput")

    few = measure()
    _cases(37, start=3)
    many = measure()
    assert many[0] == few[0], (few, many)
    # At most one per row: the date format's 오전/오후 (Django's own date display does it too).
    assert many[1] - few[1] <= 37, (few, many)
    assert many[2] == few[2] == 0


def test_list_rows_leave_the_json_and_long_texts_unread(client, staff):
    """The list's rows are read without the facts, the proposal snapshot and the long texts
    (decoding 50 snapshots cost more than the list's SQL); actions read whole cases."""
    from cases.admin_rows import CHANGELIST_DEFERRED

    _cases(3)
    client.force_login(staff.lead)
    response = client.get(reverse("admin:cases_case_changelist"))
    rows = list(response.context["cl"].result_list)
    assert rows
    for row in rows:
        assert set(CHANGELIST_DEFERRED) <= row.get_deferred_fields()
    assert not set(CHANGELIST_DEFERRED) & {"playbook", "status", "customer_phone", "call_id"}
    queryset = response.context["cl"].get_queryset(response.wsgi_request)
    assert not queryset.first().get_deferred_fields()
