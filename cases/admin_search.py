"""The case admin's search (issue 14.1): the workspace search's lookups, in the admin.

Django's default search over ``search_fields`` found only exact IDs and last-4 digits ("5", a
full phone, a lot name found nothing). :class:`CaseAdminSearchMixin` answers a term with
``cases.search.search_condition`` (case number, phone, references, lot/station, 출발지,
차량번호, free text; every branch indexed) on the admin's scoped queryset.

A full phone number never travels in a URL: the search box POSTs
(``admin/cases/case/change_list_search.html``); a phone is kept in the session and the list's
URL carries an HMAC token (``?ps=``, :class:`PhoneSearchFilter`), any other term goes to the
usual ``?q=``. A full phone typed into ``?q=`` by hand is refused with a Korean message.

A search result list (``?q=`` or ``?ps=``) reads the replica when one is configured (issue
17.7), unless the user just wrote (``kmcs_site.db_router``); the search POST writes only the
session, so it pins nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.search import read_term, search_condition
from kmcs_site.db_router import not_a_write, request_replica_context
from kmcs_site.privacy import recall_search, remember_search

ADMIN_SEARCH_PURPOSE = "admin_case_search"
SEARCH_FIELD = "kmcs_case_search"


class PhoneSearchFilter(admin.SimpleListFilter):
    """The result of a POSTed phone search: the URL carries the token, the session the number."""

    title = _("전화번호 검색")
    parameter_name = "ps"

    def lookups(self, request, model_admin):
        token = request.GET.get(self.parameter_name)
        if not token:
            return []
        known = recall_search(request, token, purpose=ADMIN_SEARCH_PURPOSE) is not None
        return [(token, _("전화번호 검색 결과") if known else _("만료된 검색"))]

    def queryset(self, request, queryset):
        token = self.value()
        if not token:
            return queryset
        term = recall_search(request, token, purpose=ADMIN_SEARCH_PURPOSE)
        condition = search_condition(read_term(term)) if term else None
        if condition is None:
            messages.warning(request, "전화번호 검색이 만료되었습니다. 다시 검색해 주세요.")
            return queryset.none()
        return queryset.filter(condition)


class CaseAdminSearchMixin:
    """For ``CaseAdmin``: POSTed search box, workspace lookups, phones through a token."""

    change_list_template = "admin/cases/case/change_list_search.html"
    search_help_text = _(
        "케이스 번호, 전화번호(전체 또는 끝 4자리), 콜 ID, TID, 결제 ID, 기사 ID, 차량번호, "
        "주차장·충전소 이름, 출발지, 제목·문의내용·처리내용"
    )

    def get_search_results(self, request, queryset, search_term):
        term = read_term(search_term)
        if not term.text:
            return queryset, False
        if term.is_phone:
            messages.error(
                request,
                "전화번호 전체는 주소(URL)로 검색할 수 없습니다. 목록 위 검색창을 이용해 주세요.",
            )
            return queryset.none(), False
        return queryset.filter(search_condition(term)), False

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and SEARCH_FIELD in request.POST:
            return self._search_redirect(request)
        searching = request.GET.get("q") or request.GET.get(PhoneSearchFilter.parameter_name)
        if request.method != "GET" or not searching:
            return super().changelist_view(request, extra_context)
        with request_replica_context(request):
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # the list is read while the template renders
            return response

    def _search_redirect(self, request):
        """POST -> GET: a phone as a session-bound token, any other term as ``q``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        not_a_write(request)  # only the session changes: the results may read the replica
        changelist = reverse("admin:cases_case_changelist")
        term = read_term(request.POST.get(SEARCH_FIELD))
        if not term.text:
            return HttpResponseRedirect(changelist)
        if term.is_phone:
            token = remember_search(request, term.text, purpose=ADMIN_SEARCH_PURPOSE)
            return HttpResponseRedirect(f"{changelist}?{urlencode({'ps': token})}")
        return HttpResponseRedirect(f"{changelist}?{urlencode({'q': term.text})}")
