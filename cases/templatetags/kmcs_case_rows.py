"""``{% queue_rows %}`` and ``{% case_rows %}``: the rows of the workspace's case tables, written
once per row in Python (issue 17 round 3).

The rows were a template loop of about 25 variables, 10 ``{% if %}`` and, for an unassigned
case, a permission tag and a CSRF field: rendering 50 of them was most of the queue's time
(several times its SQL). Here everything that is the same for every row is worked out once per
page (labels translated once, the case URL reversed once, the CSRF token read once, the user's
id); per row it is the case's own values, escaped, the date formats and the permission check
``cases.case.take`` for an unassigned case (as before: never skipped). The markup is the
template's, column for column (``tests/workspace/test_case_rows.py`` compares both).
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import timesince_filter
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from cases.templatetags.kmcs_workspace import case_href
from kmcs_site.permissions import user_can

register = template.Library()


class _Page:
    """What every row of one table shares: the viewer, the translated labels, the links."""

    def __init__(self, context):
        request = context["request"]
        self.user = request.user
        self.user_pk = request.user.pk
        token = context.get("csrf_token")
        token = str(token) if token else ""
        self.csrf = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'
            if token and token != "NOTPROVIDED"
            else ""
        )
        t = {
            key: escape(gettext(text))
            for key, text in {
                "created": "접수 시각",
                "age": "경과",
                "playbook": "플레이북",
                "status": "상태",
                "due": "다음 기한",
                "overdue": "기한 초과",
                "ref": "참조",
                "call": "콜",
                "payment": "결제",
                "customer": "고객",
                "assignee": "담당",
                "me": "나",
                "unassigned": "미배정",
                "take": "가져오기",
            }.items()
        }
        self.t = t

    def href(self, case, name="workspace:case"):
        return case_href(case.pk, name)

    def playbook(self, case):
        return (
            f'<td data-label="{self.t["playbook"]}">{escape(case.playbook_label)}<br>'
            f'<span class="muted">{escape(case.channel_label)}</span></td>'
        )

    def status(self, case):
        waiting = (
            f'<br><span class="muted">{escape(case.waiting_on_label)}</span>'
            if case.waiting_on
            else ""
        )
        return (
            f'<td data-label="{self.t["status"]}"><span class="badge {escape(case.status)}">'
            f"{escape(case.status_label)}</span>\n        {waiting}</td>"
        )

    def reference(self, case):
        t = self.t
        call = f"{t['call']} {escape(case.call_id)}" if case.call_id else ""
        tid = f"TID {escape(case.charge_tid)}" if case.charge_tid else ""
        pay = f"{t['payment']} {escape(case.parking_payment_id)}" if case.parking_payment_id else ""
        lot = f'<br><span class="muted">{escape(case.lot)}</span>' if case.lot else ""
        return (
            f'<td data-label="{t["ref"]}">{call}\n          {tid}\n          {pay}\n'
            f"          {lot}</td>"
        )

    def customer(self, case):
        phone = case.masked_customer_phone
        return f'<td data-label="{self.t["customer"]}">{escape(phone) if phone else "—"}</td>'

    def assignee(self, case, *, full_name: bool):
        t = self.t
        if case.assignee_id == self.user_pk:
            who = f"<strong>{t['me']}</strong>"
        elif case.assignee_id:
            user = case.assignee
            name = (user.get_full_name() or user.get_username()) if full_name else None
            who = escape(name if full_name else user.get_username())
        else:
            who = f'<span class="muted">{t["unassigned"]}</span>'
        return f'<td data-label="{t["assignee"]}">{who}</td>'

    def take(self, case):
        form = ""
        if not case.assignee_id and user_can(self.user, "cases.case.take", case):
            form = (
                f'<form method="post" action="{self.href(case, "workspace:case_take")}" '
                f'class="inline">{self.csrf}\n'
                f'            <button type="submit" class="small">{self.t["take"]}</button>\n'
                f"          </form>"
            )
        return f"<td>{form}</td>"

    def first(self, case):
        return (
            f'<td class="card-title"><a href="{self.href(case)}">#{case.pk}</a></td>'
            f'<td data-label="{self.t["created"]}">{date_filter(template_localtime(case.created_at), "Y-m-d H:i")}</td>'
        )


def _due(page: _Page, case) -> str:
    overdue = f'<span class="badge failed">{page.t["overdue"]}</span>'
    if case.next_due_at:
        cell = date_filter(template_localtime(case.next_due_at), "m-d H:i")
        if case.is_overdue:
            cell += f"<br>{overdue}"
    elif case.is_overdue:
        cell = overdue
    else:
        cell = '<span class="muted">—</span>'
    return f'<td class="due" data-label="{page.t["due"]}">{cell}</td>'


@register.simple_tag(takes_context=True)
def queue_rows(context, cases):
    """The queue's rows (``_queue_table.html``): age, next due time and the overdue mark."""
    page = _Page(context)
    rows = []
    for case in cases:
        classes = "mine" if case.assignee_id == page.user_pk else ""
        if case.is_overdue:
            classes += " overdue"
        rows.append(
            f'<tr class="{classes}">{page.first(case)}'
            f'<td class="age" data-label="{page.t["age"]}">'
            f"{escape(timesince_filter(case.created_at))}</td>"
            f"{page.playbook(case)}{page.status(case)}{_due(page, case)}"
            f"{page.reference(case)}{page.customer(case)}"
            f"{page.assignee(case, full_name=True)}{page.take(case)}</tr>"
        )
    return mark_safe("\n".join(rows))  # nosec B308 B703 (values escaped per cell; tests/workspace/test_case_rows.py)


@register.simple_tag(takes_context=True)
def case_rows(context, cases):
    """The case list's rows (``_case_table.html``)."""
    page = _Page(context)
    rows = []
    for case in cases:
        classes = "mine" if case.assignee_id == page.user_pk else ""
        rows.append(
            f'<tr class="{classes}">{page.first(case)}'
            f"{page.playbook(case)}{page.status(case)}"
            f"{page.reference(case)}{page.customer(case)}"
            f"{page.assignee(case, full_name=False)}{page.take(case)}</tr>"
        )
    return mark_safe("\n".join(rows))  # nosec B308 B703 (values escaped per cell; tests/workspace/test_case_rows.py)
