"""The auditor's read-only history: who changed what, when, with before/after values.

GET only (any other method is 405 for whoever may open the page); no form here posts
anything. Auditors, leads and the manager read it (``audit.history.read``).
"""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from cases.case_history import case_history_case
from cases.forms import HistoryFilterForm
from cases.selectors import case_history_page
from cases.views.base import ActionRequiredMixin, is_htmx
from kmcs_site.db_router import request_replica_context
from kmcs_site.history import (
    HistoryFilters,
    archive_supported,
    history_fetcher,
    model_choices,
)
from kmcs_site.pagination import DEFAULT_PER_PAGE, PeekPage, page_number, peek_paginate


class ReadOnlyView(ActionRequiredMixin, View):
    action = "audit.history.read"
    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, **kwargs):
        # The audit pages read from the replica when one is configured (issue 17.7), unless
        # this user just wrote (read-your-own-write: kmcs_site.db_router).
        with request_replica_context(request):
            return super().dispatch(request, *args, **kwargs)


class HistoryView(ReadOnlyView):
    """Every audited model's history rows, newest first, filtered and paginated (no COUNT)."""

    per_page = DEFAULT_PER_PAGE

    def get(self, request):
        form = HistoryFilterForm(request.GET or None, model_choices=model_choices())
        number = page_number(request.GET.get("page"))
        if form.is_bound and not form.is_valid():
            page = PeekPage(object_list=(), number=number, has_next=False)
        else:
            filters = HistoryFilters()
            if form.is_bound:
                data = form.cleaned_data
                since, until = form.period()
                filters = HistoryFilters(
                    user_id=data["user"].pk if data.get("user") else None,
                    model=data.get("model") or None,
                    since=since,
                    until=until,
                    object_id=data.get("object_id"),
                    archived=bool(data.get("archived")) and archive_supported(),
                    case_id=data.get("case"),
                )
            page = peek_paginate(history_fetcher(filters), number=number, per_page=self.per_page)
        context = {"form": form, "page": page, "rows": page.object_list}
        if is_htmx(request):
            return render(request, "cases/audit/_history_table.html", context)
        return render(request, "cases/audit/history.html", context)


class CaseHistoryView(ReadOnlyView):
    """One case and its parts (steps, Agit posts, OB log, phone unmasking), newest first, in
    pages: a case with 10,000 versions reads one page of them, never all."""

    per_page = DEFAULT_PER_PAGE

    def get(self, request, case_id):
        # Read (and access-checked) once, for the history and for the timeline.
        case = case_history_case(user=request.user, case_id=case_id)
        page = case_history_page(
            user=request.user,
            case=case,
            number=page_number(request.GET.get("page")),
            per_page=self.per_page,
        )
        context = {"case_id": case_id, "page": page, "entries": page.object_list}
        if page.number == 1:
            # The story first (issue 13.7).
            from cases.timeline import case_timeline

            context["timeline"] = case_timeline(case=case)
        return render(request, "cases/audit/case_history.html", context)
