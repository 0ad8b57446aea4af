"""The case page without reloads, and the keyboard's "next case" (issue 14.6).

- :func:`case_live_response`: after a step tick, a step's send or a step marked N/A posted by
  htmx, the server answers with the part of the case page that action changes (the checklist,
  the clocks, the SMS list, the status card with its close button, the answer card, the log
  and the flash messages) instead of a redirect and the whole page: the checklist is swapped in
  place, the rest out of band. Without htmx (no JavaScript) the same forms post and redirect
  as before.
- :class:`NextCaseView`: ``n`` on any workspace page opens the first case of my queue that is
  not the one on screen (the queue's own order and scope).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views import View

from cases.forms import AnswerForm, TransitionForm
from cases.selectors import case_get_for_user_or_404, case_queue_for
from cases.views.base import ActionRequiredMixin, case_url
from cases.views.presenters import case_page


def case_live_context(request, case_id) -> dict:
    """What the live part of the case page needs, read again after the action (its scope)."""
    from cases.timeline import case_timeline

    case = case_get_for_user_or_404(user=request.user, case_id=case_id)
    page = case_page(case=case, user=request.user)
    return {
        "case": case,
        "page": page,
        "answer_form": AnswerForm(initial={"text": case.answer_text or page.first_driver_message}),
        "transition_form": TransitionForm(),
        "timeline": case_timeline(case=case, limit=100),
        "oob": True,
    }


def case_live_response(request, case_id):
    return render(request, "cases/workspace/_case_live.html", case_live_context(request, case_id))


class NextCaseView(ActionRequiredMixin, View):
    """GET /work/next/?after=<case id>: the first case of my queue other than ``after``."""

    action = "workspace.queue.read"
    http_method_names = ["get", "head"]

    def get(self, request):
        queue = case_queue_for(user=request.user)
        after = request.GET.get("after", "")
        if after.isdigit():
            queue = queue.filter(~Q(pk=int(after)))
        found = list(queue[0:1])
        if not found:
            messages.info(request, "내 큐에 다음 케이스가 없습니다.")
            return redirect("workspace:queue")
        return redirect(case_url(found[0].pk))
