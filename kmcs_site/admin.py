"""Admin plumbing shared by every app: permissions come from kmcs_site.permissions only."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .permissions import model_action, user_can


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


class AuditedAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    """Base admin for audited models: role permissions + simple-history's history view.

    Revert from history is disabled: history is a record, not an undo button.
    """

    show_full_result_count = False
    list_per_page = 50

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


# --- security -------------------------------------------------------------------------------
# django-axes' admin pages (who is locked out; unlocking = deleting the attempt) answered by the
# permission module like every other admin, and its one action declares the permission it
# needs: axes offers "clean up expired attempts" to anyone who can open the list.
import axes.admin as axes_admin  # noqa: E402  (registers axes' models first)
from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # noqa: E402


class AccessAttemptAdmin(RoleAdminMixin, axes_admin.AccessAttemptAdmin):
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
