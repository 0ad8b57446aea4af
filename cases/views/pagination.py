"""Moved to :mod:`kmcs_site.pagination` (every app paginates with it); kept so that old imports
still work."""

from kmcs_site.pagination import (  # noqa: F401
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    PeekPage,
    page_number,
    peek_paginate,
)
