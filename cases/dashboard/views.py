"""Screens of the clocks and the lead dashboard. Thin: validate, call one selector or service.

- ``/dashboard/``: the lead dashboard (``dashboard.view``: leads, managers, auditors). Read
  only: any other method than GET is 405, for every role.
- ``/dashboard/overdue/``: the 'overdue' queue (leads and managers: every case; agents: their
  own cases).
- ``/dashboard/cases/<id>/clocks/pause|resume/``: "고객 회신 대기" on a decided case (the
  clock panel of the case page posts here).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from cases.dashboard.figures import Filters, dashboard_figures
from cases.dashboard.forms import MAX_YEARS, DashboardFilterForm
from cases.dashboard.selectors import clock_row, overdue_clocks_for
from cases.services.clocks import case_clocks_pause, case_clocks_resume
from cases.views.base import ActionRequiredMixin, CaseActionView
from kmcs_site.db_router import PIN_COOKIE, replica_context
from kmcs_site.permissions import user_can

OVERDUE_PAGE_SIZE = 50


class DashboardView(ActionRequiredMixin, View):
    action = "dashboard.view"
    http_method_names = ["get", "head", "options"]
    template_name = "dashboard/dashboard.html"

    def get(self, request):
        form = DashboardFilterForm.from_query(request.GET)
        context = {"form": form, "max_years": MAX_YEARS}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        data = form.cleaned_data
        filters = Filters(data["date_from"], data["date_to"], data.get("playbook") or "")
        # Read from the replica when one is configured (issue 17.7), unless this user just
        # wrote (kmcs_site.db_router: read-your-own-write).
        with replica_context(pinned=bool(request.COOKIES.get(PIN_COOKIE))):
            figures = dashboard_figures(filters=filters, now=timezone.now())
        context.update(figures=figures, charts=figures.charts())
        return render(request, self.template_name, context)


class OverdueQueueView(ActionRequiredMixin, View):
    action = "workspace.queue.read"
    http_method_names = ["get", "head", "options"]
    template_name = "dashboard/overdue.html"

    def get(self, request):
        now = timezone.now()
        page = Paginator(overdue_clocks_for(user=request.user), OVERDUE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = [clock_row(clock, now) for clock in page.object_list]
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "rows": rows,
                "everyone": user_can(request.user, "clocks.overdue.read"),
            },
        )


class ClockPauseView(CaseActionView):
    action = "cases.case.change"

    def perform(self, case, form) -> str:
        case_clocks_pause(case=case, actor=self.request.user)
        return "고객 회신 대기로 기록했습니다. 고객 답변이 필요한 단계의 기한이 멈춥니다."


class ClockResumeView(CaseActionView):
    action = "cases.case.change"

    def perform(self, case, form) -> str:
        case_clocks_resume(case=case, actor=self.request.user)
        return "고객 회신을 기록했습니다. 멈춘 기한이 다시 흐르고, 멈춘 만큼 기한이 늘었습니다."
