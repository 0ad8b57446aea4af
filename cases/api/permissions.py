"""DRF permission classes: each one asks ``kmcs_site.permissions.user_can`` one action.

``ActionPermission.for_action("api.case.create")`` makes the class a view lists. Object-level
checks ask the same action with the object (the object rules of the permission module);
case lists are scoped by ``cases.selectors``, which asks ``cases.case.view`` itself.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from kmcs_site.permissions import roles_for, user_can


class DenyAll(BasePermission):
    """The default: a view that declares no action is closed to everyone."""

    message = "이 API는 사용할 수 없습니다."

    def has_permission(self, request, view) -> bool:
        return False


class ActionPermission(BasePermission):
    action: str = ""
    message = "이 작업을 할 권한이 없습니다."

    def has_permission(self, request, view) -> bool:
        return user_can(request.user, self.action)

    def has_object_permission(self, request, view, obj) -> bool:
        return user_can(request.user, self.action, obj)

    @classmethod
    def for_action(cls, action: str, message: str | None = None) -> type[ActionPermission]:
        roles_for(action)  # an unknown action fails at import, not at the first request
        attrs = {"action": action, "message": message or cls.message}
        name = "Can_" + action.replace(".", "_")
        return type(name, (cls,), attrs)


CanReadSchema = ActionPermission.for_action("api.schema.read", "API 문서를 볼 권한이 없습니다.")
