"""Admin plumbing shared by every app: permissions come from kmcs_site.permissions only."""

import dataclasses
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from .history import EMPTY, display_value
from .permissions import model_action, user_can

#: (value, historical record) -> the text the history page shows for one field's value.
HistoryFormatter = Callable[[Any, Any], str]


class RoleAdminMixin:
    """Admin ``has_*_permission`` answered by :func:`user_can`, never by ad-hoc checks.

    Custom admin actions declare ``@admin.action(permissions=["decide"])`` and the admin calls
    ``has_decide_permission(request)``; :meth:`__getattr__` maps that onto the action
    ``"<app>.<model>.decide"`` of the ACTIONS table.
    """

    def _can(self, request, verb, obj=None):
        return user_can(request.user, model_action(self.opts, verb), obj)

    def has_module_permission(self, request):
        return self._can(request, "view") or self._can(request, "change")

    def has_view_permission(self, request, obj=None):
        return self._can(request, "view", obj) or self._can(request, "change", obj)

    def has_add_permission(self, request, *args):
        return self._can(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._can(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._can(request, "delete", obj)

    def __getattr__(self, name):
        if name.startswith("has_") and name.endswith("_permission"):
            verb = name[len("has_") : -len("_permission")]
            return lambda request, obj=None: self._can(request, verb, obj)
        raise AttributeError(name)


class KoreanHistoryValues(HistoricalRecordContextHelper):
    """The "변경 내용" column of simple-history's page written as the audit trail writes it
    (kmcs_site.history.display_value): choice labels, Seoul times, 예/아니오, masked phones,
    people by name, "—" for nothing (not "None" or "삭제된 사용자 (pk=None)")."""

    def __init__(self, model, record, *, formatters: dict[str, HistoryFormatter], **kwargs):
        super().__init__(model, record, **kwargs)
        self.formatters = formatters

    def format_delta_change(self, change):
        if isinstance(change.old, dict) and isinstance(change.new, dict):
            # A JSON field (a case's facts): only the keys that changed, not the whole blob.
            keys = [
                k for k in {**change.old, **change.new} if change.old.get(k) != change.new.get(k)
            ]
            change = dataclasses.replace(
                change,
                old={k: change.old[k] for k in keys if k in change.old},
                new={k: change.new[k] for k in keys if k in change.new},
            )
        return super().format_delta_change(change)

    def prepare_delta_change_value(self, change, value):
        model_field = self.model._meta.get_field(change.field)
        if isinstance(model_field, models.ManyToManyField):
            return super().prepare_delta_change_value(change, value)
        if isinstance(value, DeletedObject):
            return EMPTY if value.pk is None else f"#{value.pk}"
        if isinstance(value, get_user_model()):
            return value.get_full_name() or value.get_username()
        if isinstance(value, models.Model):
            return str(value)
        if change.field in self.formatters and value not in (None, ""):
            return self.formatters[change.field](value, self.record)
        return display_value(model_field, change.field, value)


class AuditedAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    """Base admin for audited models: role permissions + simple-history's history view.

    Revert from history is disabled: history is a record, not an undo button.
    """

    show_full_result_count = False
    list_per_page = 50
    #: field name -> how its history values read (e.g. a case's facts as labelled rows, given
    #: the version for its playbook); the other fields go through history.display_value.
    history_value_formatters: dict[str, HistoryFormatter] = {}

    def get_historical_record_context_helper(self, request, historical_record):
        return KoreanHistoryValues(
            self.model, historical_record, formatters=self.history_value_formatters
        )

    def has_view_history_or_change_history_permission(self, request, obj=None):
        # History is an audit read: ACTIONS' "audit.history.read" (auditors, leads, managers),
        # on top of being allowed to see the object itself.
        return user_can(
            request.user, "audit.history.read"
        ) and super().has_view_history_or_change_history_permission(request, obj)

    def _has_record_history(self) -> bool:
        return bool(getattr(self.model._meta, "simple_history_manager_attribute", None))

    def history_view(self, request, object_id, extra_context=None):
        if not self._has_record_history():
            # Rows a service writes once (batches, transfers, unmask logs) keep no
            # simple-history table: the admin's own log, under the same audit permission.
            if not user_can(request.user, "audit.history.read"):
                raise PermissionDenied
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reading an old version is fine; reverting it is refused for everyone (the button is
        # hidden by SIMPLE_HISTORY_REVERT_DISABLED; this refuses a hand-made POST too).
        if request.method == "POST":
            raise PermissionDenied
        if not self._has_record_history():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


admin.site.site_header = "KMCS 백오피스"
admin.site.site_title = "KMCS"
admin.site.index_title = "고객센터 백오피스"
# The leads' landing: the back office's screens (dashboard, overdue steps, audit, workspace)
# above the models, each link for the roles that may open it (templates/admin/kmcs_index.html).
admin.site.index_template = "admin/kmcs_index.html"


# --- security -------------------------------------------------------------------------------
# django-axes' admin pages (who is locked out; unlocking = deleting the attempt) answered by the
# permission module like every other admin, and its one action declares the permission it
# needs: axes offers "clean up expired attempts" to anyone who can open the list.
import axes.admin as axes_admin  # noqa: E402  (registers axes' models first)
from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # noqa: E402


class AccessAttemptAdmin(RoleAdminMixin, axes_admin.AccessAttemptAdmin):
    # axes' two computed columns carry no description (headers "Status", "Expiration").
    @admin.display(description=_("잠금 상태"))
    def status(self, obj):
        return super().status(obj)

    @admin.display(description=_("만료 시각"))
    def expiration(self, obj):
        return super().expiration(obj)

    @admin.action(description="만료된 로그인 실패 기록 정리", permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        # Not axes' own action: it reads request.axes_attempt_time, which only a login request
        # has (500 from the admin, issue 12). The rule is in kmcs_site.lockout.
        from .lockout import lockout_clean_expired

        count = lockout_clean_expired(actor=request.user)
        self.message_user(request, f"만료된 로그인 실패 기록 {count:,}건을 정리했습니다.")


class AccessLogAdmin(RoleAdminMixin, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(RoleAdminMixin, axes_admin.AccessFailureLogAdmin):
    pass


# The apps' names on the admin index (axes and knox name themselves "Axes", "Knox").
apps.get_app_config("axes").verbose_name = _("로그인 잠금·접속 기록")
apps.get_app_config("knox").verbose_name = _("API 토큰")

for _model, _admin_class in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)


# --- API tokens -----------------------------------------------------------------------------
# django-rest-knox's tokens: the database holds a SHA-512 digest and a 15-character lookup
# prefix, never the token. The page lists whose key it is and until when, with the digest's
# start to tell rows apart; knox's own admin listed the whole digest and the lookup prefix and
# offered an "add" that prints a new token in the browser. Tokens are issued on the server
# (manage.py kmcs_api_token); deleting a row revokes the key (ACTIONS "knox.authtoken.*").
import knox.admin  # noqa: E402, F401  (registers knox's admin first)
from knox.models import AuthToken  # noqa: E402


class ApiTokenAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("digest_start", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-created",)
    fields = ("digest_start", "user", "created", "expiry")
    readonly_fields = fields

    @admin.display(description="다이제스트(앞부분)")
    def digest_start(self, obj) -> str:
        return f"{obj.digest[:12]}…"

    def has_add_permission(self, request, *args):
        return False  # issued on the server only: a token is never shown in a browser

    def has_change_permission(self, request, obj=None):
        return False  # nothing to edit: a new expiry is a new token


if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)
admin.site.register(AuthToken, ApiTokenAdmin)
