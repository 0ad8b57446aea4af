"""The workspace's case rows written in Python (issue 17 round 3,
``cases/templatetags/kmcs_case_rows.py``) are the rows the template loop wrote: same cells,
labels, links, marks and take buttons, for a lead and for an agent; and the page's work per
row no longer includes a template loop."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.middleware.csrf import get_token
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils import timezone

from cases.models import StepClock
from cases.selectors import case_list_visible_to, case_queue_for

pytestmark = pytest.mark.django_db

# The row loops of _queue_table.html and _case_table.html before the change, kept as the
# reference the new rows must equal.
QUEUE_LOOP = """{% load i18n kmcs_workspace %}{% translate "접수 시각" as t0 %}{% translate "경과" as t1 %}{% translate "플레이북" as t2 %}{% translate "상태" as t3 %}{% translate "다음 기한" as t4 %}{% translate "기한 초과" as t5 %}{% translate "참조" as t6 %}{% translate "콜" as t7 %}{% translate "결제" as t8 %}{% translate "고객" as t9 %}{% translate "담당" as t10 %}{% translate "나" as t11 %}{% translate "미배정" as t12 %}{% translate "가져오기" as t13 %}
  {% for case in cases %}
    <tr class="{% if case.assignee_id == request.user.pk %}mine{% endif %}{% if case.is_overdue %} overdue{% endif %}">
      <td class="card-title"><a href="{{ case.pk|case_href }}">#{{ case.pk }}</a></td>
      <td data-label="{{ t0 }}">{{ case.created_at|date:"Y-m-d H:i" }}</td>
      <td class="age" data-label="{{ t1 }}">{{ case.created_at|timesince }}</td>
      <td data-label="{{ t2 }}">{{ case.playbook_label }}<br><span class="muted">{{ case.channel_label }}</span></td>
      <td data-label="{{ t3 }}"><span class="badge {{ case.status }}">{{ case.status_label }}</span>
        {% if case.waiting_on %}<br><span class="muted">{{ case.waiting_on_label }}</span>{% endif %}</td>
      <td class="due" data-label="{{ t4 }}">{% if case.next_due_at %}{{ case.next_due_at|date:"m-d H:i" }}
          {% if case.is_overdue %}<br><span class="badge failed">{{ t5 }}</span>{% endif %}
          {% elif case.is_overdue %}<span class="badge failed">{{ t5 }}</span>
          {% else %}<span class="muted">—</span>{% endif %}</td>
      <td data-label="{{ t6 }}">{% if case.call_id %}{{ t7 }} {{ case.call_id }}{% endif %}
          {% if case.charge_tid %}TID {{ case.charge_tid }}{% endif %}
          {% if case.parking_payment_id %}{{ t8 }} {{ case.parking_payment_id }}{% endif %}
          {% if case.lot %}<br><span class="muted">{{ case.lot }}</span>{% endif %}</td>
      <td data-label="{{ t9 }}">{{ case.masked_customer_phone|default:"—" }}</td>
      <td data-label="{{ t10 }}">{% if case.assignee_id == request.user.pk %}<strong>{{ t11 }}</strong>
          {% elif case.assignee_id %}{{ case.assignee.get_full_name|default:case.assignee.get_username }}
          {% else %}<span class="muted">{{ t12 }}</span>{% endif %}</td>
      <td>
        {% if not case.assignee_id %}{% user_can request.user "cases.case.take" case as can_take %}
          {% if can_take %}
          <form method="post" action="{{ case.pk|case_href:'workspace:case_take' }}" class="inline">{% csrf_token %}
            <button type="submit" class="small">{{ t13 }}</button>
          </form>
          {% endif %}
        {% endif %}
      </td>
    </tr>
{% endfor %}"""
CASE_LOOP = """{% load i18n kmcs_workspace %}{% translate "접수 시각" as t0 %}{% translate "플레이북" as t1 %}{% translate "상태" as t2 %}{% translate "참조" as t3 %}{% translate "콜" as t4 %}{% translate "결제" as t5 %}{% translate "고객" as t6 %}{% translate "담당" as t7 %}{% translate "나" as t8 %}{% translate "미배정" as t9 %}{% translate "가져오기" as t10 %}
  {% for case in cases %}
    <tr class="{% if case.assignee_id == request.user.pk %}mine{% endif %}">
      <td class="card-title"><a href="{{ case.pk|case_href }}">#{{ case.pk }}</a></td>
      <td data-label="{{ t0 }}">{{ case.created_at|date:"Y-m-d H:i" }}</td>
      <td data-label="{{ t1 }}">{{ case.playbook_label }}<br><span class="muted">{{ case.channel_label }}</span></td>
      <td data-label="{{ t2 }}"><span class="badge {{ case.status }}">{{ case.status_label }}</span>
        {% if case.waiting_on %}<br><span class="muted">{{ case.waiting_on_label }}</span>{% endif %}</td>
      <td data-label="{{ t3 }}">{% if case.call_id %}{{ t4 }} {{ case.call_id }}{% endif %}
          {% if case.charge_tid %}TID {{ case.charge_tid }}{% endif %}
          {% if case.parking_payment_id %}{{ t5 }} {{ case.parking_payment_id }}{% endif %}
          {% if case.lot %}<br><span class="muted">{{ case.lot }}</span>{% endif %}</td>
      <td data-label="{{ t6 }}">{{ case.masked_customer_phone|default:"—" }}</td>
      <td data-label="{{ t7 }}">{% if case.assignee_id == request.user.pk %}<strong>{{ t8 }}</strong>
          {% elif case.assignee_id %}{{ case.assignee.get_username }}
          {% else %}<span class="muted">{{ t9 }}</span>{% endif %}</td>
      <td>
        {% if not case.assignee_id %}{% user_can request.user "cases.case.take" case as can_take %}
          {% if can_take %}
          <form method="post" action="{{ case.pk|case_href:'workspace:case_take' }}" class="inline">{% csrf_token %}
            <button type="submit" class="small">{{ t10 }}</button>
          </form>
          {% endif %}
        {% endif %}
      </td>
    </tr>
{% endfor %}"""


def _normal(html: str) -> list[str]:
    """The rows, one string each, with the template's whitespace between tags dropped."""
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"\s*(<|>)\s*", r"\1", html).strip()
    # Each render masks the CSRF secret afresh: compare the field, not its random mask.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    return html.replace("<tr", "\n<tr").split("\n")


def _render(source: str, user, cases) -> str:
    request = RequestFactory().get("/work/")
    request.user = user
    get_token(request)
    return Template(source).render(RequestContext(request, {"cases": cases}))


def _varied_cases(make_case, staff):
    """Unassigned, mine, someone else's; references, a lot, a waiting state, an overdue clock."""
    from cases.models import Case

    cases = [
        make_case(),
        make_case(assignee=staff.agent),
        make_case(assignee=staff.agent_b),
        make_case(assignee=staff.lead),
    ]
    Case.objects.filter(pk=cases[0].pk).update(
        charge_tid="T<1>", parking_payment_id="P-9", lot="강남 & 역삼", waiting_on="customer"
    )
    staff.agent_b.first_name = "길동"
    staff.agent_b.last_name = "홍"
    staff.agent_b.save()
    past = timezone.now() - timedelta(hours=3)
    StepClock.objects.filter(case=cases[1]).update(due_at=past, started_at=past)
    return cases


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_queue_rows_equal_the_template_rows(staff, make_case, who):
    _varied_cases(make_case, staff)
    user = getattr(staff, who)
    rows = list(case_queue_for(user=user, sort="age"))
    assert rows
    ours = _render("{% load kmcs_case_rows %}{% queue_rows cases %}", user, rows)
    assert _normal(ours) == _normal(_render(QUEUE_LOOP, user, rows))
    assert "&lt;1&gt;" in ours and "강남 &amp; 역삼" in ours


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_case_list_rows_equal_the_template_rows(staff, make_case, who):
    _varied_cases(make_case, staff)
    user = getattr(staff, who)
    rows = list(case_list_visible_to(user=user)[:50])
    assert rows
    ours = _render("{% load kmcs_case_rows %}{% case_rows cases %}", user, rows)
    assert _normal(ours) == _normal(_render(CASE_LOOP, user, rows))


def test_take_button_only_where_the_permission_allows(staff, make_case):
    """The permission check stays per row: an auditor-like viewer without ``cases.case.take``
    gets no button, an agent gets one on the unassigned case of their service."""
    case = make_case()
    rows = list(case_queue_for(user=staff.agent, sort="age"))
    html = _render("{% load kmcs_case_rows %}{% queue_rows cases %}", staff.agent, rows)
    assert f"/work/cases/{case.pk}/take/" in html and "csrfmiddlewaretoken" in html
    html = _render("{% load kmcs_case_rows %}{% queue_rows cases %}", staff.auditor, rows)
    assert "/take/" not in html


def test_template_nodes_rendered_do_not_grow_with_the_rows(
    staff, make_case, client_for, monkeypatch
):
    """The queue page renders as many template nodes for 2 rows as for 8."""
    from django.template import base
    from django.urls import reverse

    client = client_for(staff.lead)
    url = reverse("workspace:queue")
    make_case()
    make_case()
    client.get(url)
    counts = []
    real = base.Node.render_annotated

    def counted(self, context):
        counts.append(1)
        return real(self, context)

    monkeypatch.setattr(base.Node, "render_annotated", counted)
    client.get(url)
    few = len(counts)
    for _ in range(6):
        make_case()
    counts.clear()
    client.get(url)
    assert len(counts) == few, (few, len(counts))


@pytest.mark.parametrize("sort", ["", "age", "due"])
def test_queue_and_case_list_rows_leave_the_json_unread(staff, make_case, client_for, sort):
    """The tables read cases without the facts, the proposal snapshot and the long texts
    (decoding them was the largest item of the queue's profile); the case page reads its case
    whole (``case_get_for_user_or_404``, untouched)."""
    from django.urls import reverse

    from cases.selectors import TABLE_DEFERRED, case_get_for_user_or_404

    case = make_case()
    client = client_for(staff.lead)
    for url in (reverse("workspace:queue") + (f"?sort={sort}" if sort else ""),):
        rows = list(client.get(url).context["cases"])
        assert rows and all(set(TABLE_DEFERRED) <= r.get_deferred_fields() for r in rows)
    rows = list(client.get(reverse("workspace:case_list")).context["cases"])
    assert rows and all(set(TABLE_DEFERRED) <= r.get_deferred_fields() for r in rows)
    assert not case_get_for_user_or_404(user=staff.lead, case_id=case.pk).get_deferred_fields()


@pytest.mark.parametrize("url_name", ["workspace:queue", "workspace:case_list"])
def test_tables_show_no_template_comment_text(staff, make_case, client_for, url_name):
    """Django's ``{# #}`` comments end at the line: a two-line one is printed as text above the
    table (seen in the browser after round 3)."""
    from django.urls import reverse

    make_case()
    html = client_for(staff.agent).get(reverse(url_name)).content.decode()
    assert "{#" not in html and "#}" not in html
