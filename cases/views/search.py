"""Workspace search (issue 14.1) and the related-cases actions of the case page (issue 14.3).

The search box on every page POSTs its term; the term is kept in the user's session and the
results' URL carries only an HMAC token of it (``kmcs_site.privacy.remember_search``), so a
phone number never reaches a URL, an access log or the browser's history. A token from another
session finds nothing. The rows come from ``cases.search.case_search`` (scoped to the user).

With a replica configured (issue 17.7) the results and the case page's reference history read
it, unless the user just wrote (``kmcs_site.db_router``); the search POST stores only the term
in the session, so it does not count as a write.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cases.search import case_search, read_term
from cases.search_forms import CaseLinkForm, CaseMergeForm, SearchForm
from cases.selectors import case_few_visible_to
from cases.services.relations import RelationRefused
from cases.views.base import ActionRequiredMixin, CaseActionView
from kmcs_site.db_router import not_a_write, request_replica_context
from kmcs_site.pagination import DEFAULT_PER_PAGE, page_number, peek_paginate
from kmcs_site.privacy import mask_phone, recall_search, remember_search

#: The purpose the search tokens are made for (a token made for another purpose finds nothing).
SEARCH_PURPOSE = "workspace_case_search"


class SearchView(ActionRequiredMixin, View):
    """POST: remember the term, redirect to the results (PRG). GET ``?t=<token>``: the results,
    newest first, paginated without a count."""

    action = "workspace.search.read"
    http_method_names = ["get", "head", "post"]
    template_name = "cases/workspace/search.html"
    per_page = DEFAULT_PER_PAGE

    def post(self, request):
        not_a_write(request)  # only the session changes: the results may read the replica
        form = SearchForm(request.POST)
        if not form.is_valid():
            return self.render_results(request, form=form, status=400)
        token = remember_search(request, form.cleaned_data["q"], purpose=SEARCH_PURPOSE)
        return redirect(f"{reverse('workspace:search')}?t={token}")

    def get(self, request):
        token = request.GET.get("t", "")
        term = recall_search(request, token, purpose=SEARCH_PURPOSE) if token else None
        if token and term is None:
            messages.warning(request, "검색이 만료되었습니다. 검색어를 다시 입력해 주세요.")
        return self.render_results(request, term=term)

    def render_results(self, request, *, term: str | None = None, form=None, status=200):
        read = read_term(term)
        page = None
        if read.text:
            with request_replica_context(request):
                page = peek_paginate(
                    case_search(user=request.user, term=read),
                    number=page_number(request.GET.get("page")),
                    per_page=self.per_page,
                )
        context = {
            "search_form": form or SearchForm(initial={"q": read.text}),
            # A phone number is shown masked in the heading (the box keeps what was typed).
            "term_label": mask_phone(read.phone) if read.is_phone else read.text,
            "page": page,
            "cases": page.object_list if page is not None else [],
        }
        return render(request, self.template_name, context, status=status)


def _other_case(user, number: int):
    """The case ``number`` if ``user`` may see it; otherwise the same refusal whether it exists
    or not (no existence leak)."""
    other = case_few_visible_to(user=user).filter(pk=number).first()
    if other is None:
        raise RelationRefused(f"케이스 #{number}를 찾을 수 없습니다.")
    return other


class CaseLinkView(CaseActionView):
    """관련 케이스 연결: ``case_link`` from this case to another the user may see."""

    action = "cases.case.link"
    form_class = CaseLinkForm

    def perform(self, case, form) -> str:
        from cases.services.relations import case_link

        data = form.cleaned_data
        other = _other_case(self.request.user, data["other"])
        link = case_link(
            case=case, other=other, kind=data["kind"], actor=self.request.user, note=data["note"]
        )
        return f"케이스 #{case.pk}를 #{other.pk}와 '{link.get_kind_display()}'(으)로 연결했습니다."

    def success_url(self, case) -> str:
        return reverse("workspace:case", kwargs={"case_id": case.pk}) + "#related"


class CaseMergeView(CaseActionView):
    """중복 병합: ``case_merge`` of this case (the duplicate) into the original."""

    action = "cases.case.merge"
    form_class = CaseMergeForm

    def perform(self, case, form) -> str:
        from cases.services.relations import case_merge

        data = form.cleaned_data
        original = _other_case(self.request.user, data["original"])
        case_merge(
            duplicate=case, original=original, actor=self.request.user, reason=data["reason"]
        )
        messages.info(
            self.request, f"병합된 케이스 #{case.pk}는 종결되었고 이력은 그대로 남습니다."
        )
        return f"케이스 #{case.pk}를 원건 #{original.pk}에 병합했습니다."

    def success_url(self, case) -> str:
        return reverse("workspace:case", kwargs={"case_id": case.pk}) + "#related"


def case_related_context(request, case) -> dict:
    """The case page's "같은 고객·참조의 다른 케이스" / "관련 케이스" panel and its two forms
    (a fixed number of queries: ``cases.search.case_related_panel``)."""
    from cases.search import case_related_panel

    with request_replica_context(request):  # the other cases of this customer: lag is fine
        related = case_related_panel(user=request.user, case=case)
    return {
        "related": related,
        "link_form": CaseLinkForm(),
        "merge_form": CaseMergeForm(),
    }
