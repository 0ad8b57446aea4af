"""KMCS's admin site: Django's, with the app list kept per kind of user.

Django builds the app list (side bar and index) on every admin page by asking each model admin
what the user may do: about 5 ms of a 30-50 ms admin page (README, race round 4). What it shows
depends only on the user's permissions (their roles through ``kmcs_site.permissions``, being a
superuser, and the model permissions Django's own admins read, a user's own included), the
language and the URLs (prefix and URLconf); the list is kept per process under that key.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from .permissions import user_roles

#: Kinds of user x languages are few; the bound only guards against a surprise.
_MAX_KEPT = 256


class KmcsAdminSite(admin.AdminSite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._app_lists: dict[tuple, list[dict]] = {}
        self._app_lists_lock = threading.Lock()

    def get_app_list(self, request, app_label=None):
        key = self._app_list_key(request, app_label)
        kept = self._app_lists.get(key)
        if kept is None:
            kept = super().get_app_list(request, app_label)
            with self._app_lists_lock:
                if len(self._app_lists) >= _MAX_KEPT:
                    self._app_lists.clear()
                self._app_lists[key] = kept
        # A copy of the dicts: a view may add to what it is given.
        return [{**app, "models": [dict(model) for model in app["models"]]} for app in kept]

    @staticmethod
    def _app_list_key(request, app_label) -> tuple:
        user = request.user
        return (
            app_label,
            user.is_active,
            user.is_staff,
            user.is_superuser,
            user_roles(user),
            frozenset(user.get_all_permissions()),
            get_language(),
            get_script_prefix(),
            get_urlconf() or settings.ROOT_URLCONF,  # the admin URLs in the list
        )


class KmcsAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`KmcsAdminSite` as ``admin.site`` (INSTALLED_APPS)."""

    default_site = "kmcs_site.admin_site.KmcsAdminSite"
