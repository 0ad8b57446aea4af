"""The person's notifications (list, mark read, mark all read) and their e-mail setting.

Thin: each view asks its action through :class:`~cases.views.base.ActionRequiredMixin`, reads
through :mod:`notifications.selectors` (only the user's own rows; anybody else's is a 404) and
changes through one service. Links are made absolute with the request's own host and port.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cases.views.base import ActionRequiredMixin
from kmcs_site.pagination import page_number, peek_paginate

from .selectors import (
    notification_get_for_user_or_404,
    notification_list_for,
    notification_unread_count,
    preference_for,
)
from .services import (
    NotificationError,
    notification_mark_all_read,
    notification_mark_read,
    preference_set,
)

PER_PAGE = 30


class NotificationListView(ActionRequiredMixin, TemplateView):
    action = "notifications.inbox.read"
    template_name = "notifications/list.html"
    http_method_names = ["get"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        unread_only = self.request.GET.get("unread") == "1"
        page = peek_paginate(
            notification_list_for(user=user, unread_only=unread_only),
            number=page_number(self.request.GET.get("page")),
            per_page=PER_PAGE,
        )
        build = self.request.build_absolute_uri
        context.update(
            page=page,
            rows=[(n, build(n.path) if n.path else "") for n in page],
            unread_only=unread_only,
            unread=notification_unread_count(user=user),
        )
        return context


class NotificationReadView(ActionRequiredMixin, View):
    """POST: mark one read; with ``open=1`` go on to what it is about (the notification's own
    path on this host), else back to the list."""

    action = "notifications.inbox.mark_read"
    http_method_names = ["post"]

    def post(self, request, notification_id):
        row = notification_get_for_user_or_404(user=request.user, notification_id=notification_id)
        try:
            notification_mark_read(notification=row, actor=request.user)
        except NotificationError as exc:
            messages.error(request, exc.message)
            return redirect("notifications:list")
        safe = url_has_allowed_host_and_scheme(row.path, allowed_hosts={request.get_host()})
        if request.POST.get("open") == "1" and row.path.startswith("/") and safe:
            return redirect(row.path)
        return redirect("notifications:list")


class NotificationReadAllView(ActionRequiredMixin, View):
    action = "notifications.inbox.mark_read"
    http_method_names = ["post"]

    def post(self, request):
        try:
            count = notification_mark_all_read(actor=request.user)
        except NotificationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("알림 %(n)s건을 읽음으로 표시했습니다.") % {"n": count})
        return redirect("notifications:list")


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("알림을 메일로도 받기"), required=False)


class PreferenceView(ActionRequiredMixin, TemplateView):
    action = "notifications.preference.edit"
    template_name = "notifications/preferences.html"
    http_method_names = ["get", "post"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pref = preference_for(user=self.request.user)
        context.setdefault(
            "form", PreferenceForm(initial={"email_enabled": bool(pref and pref.email_enabled)})
        )
        return context

    def post(self, request):
        form = PreferenceForm(request.POST)
        if not form.is_valid():  # a checkbox is always valid; kept for the house habit
            return self.render_to_response(self.get_context_data(form=form))
        try:
            preference_set(
                user=request.user,
                email_enabled=form.cleaned_data["email_enabled"],
                actor=request.user,
            )
        except NotificationError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("알림 설정을 저장했습니다."))
        return redirect("notifications:preferences")
