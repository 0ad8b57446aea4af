"""Moved to :mod:`kmcs_site.pagination` (every app's admin uses it); kept so that old imports
still work."""

from kmcs_site.pagination import CappedCountPaginator  # noqa: F401
