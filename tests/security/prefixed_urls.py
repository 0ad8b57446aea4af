"""KMCS's URLs under /prefixed/ (tests/security/test_admin_app_list.py)."""

from django.urls import include, path

urlpatterns = [path("prefixed/", include("kmcs_site.urls"))]
