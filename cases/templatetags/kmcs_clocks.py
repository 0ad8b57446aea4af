"""Step clocks on other screens, one line each:

- case page: ``{% load kmcs_clocks %}{% case_clocks case %}`` -> the clock panel with time
  left and the "고객 회신 대기" / "고객 회신" buttons (one query for the clocks);
- agent queue: ``{% load kmcs_clocks %}{% my_overdue_steps %}`` -> the user's overdue steps
  (the 'overdue' queue scoped to them; nothing when there are none);
- ``{{ delta|korean_duration }}``: a timedelta as '1일 6시간', '45분'.
"""

from django import template

from cases.dashboard.selectors import (
    case_clock_rows,
    clock_row,
    human_duration,
    overdue_clocks_for,
)
from cases.models import Status, WaitingOn
from kmcs_site.permissions import user_can

register = template.Library()


@register.inclusion_tag("cases/_clocks.html", takes_context=True)
def case_clocks(context, case):
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = case_clock_rows(case=case)
    decided = case.status == Status.DECIDED
    can_change = decided and user is not None and user_can(user, "cases.case.change", case)
    waiting = case.waiting_on == WaitingOn.CUSTOMER
    pausable = any(r.clock.pauses_on_customer and r.clock.stopped_at is None for r in rows)
    return {
        "case": case,
        "rows": rows,
        "waiting_on_customer": waiting,
        "can_pause": can_change and not waiting and pausable,
        "can_resume": can_change and waiting,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("dashboard/_my_overdue.html", takes_context=True)
def my_overdue_steps(context, limit: int = 10):
    from django.utils import timezone

    request = context.get("request")
    user = getattr(request, "user", None)
    clocks = list(overdue_clocks_for(user=user)[: limit + 1]) if user is not None else []
    now = timezone.now()
    return {
        "rows": [clock_row(c, now) for c in clocks[:limit]],
        "more": len(clocks) > limit,
    }


@register.filter
def korean_duration(value):
    return human_duration(value) if value is not None else ""
